/* sr-backend.c — checked op wrappers, the run-time loader of the CUDA
 * module, and the device list. */
#include "sr-backend.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sr-config.h"
#include "sr-i18n.h"

/* Shapes beyond this are a caller bug, not a real workload; refusing them
 * keeps every size_t product below overflow. */
#define SR_TENSOR_DIM_MAX (1 << 20)

size_t
sr_conv_weight_count(const sr_conv_desc *d)
{
  size_t k = (size_t)sr_conv_kernel(d->kind);
  return (size_t)d->cout * k * k * (size_t)d->cin;
}

int
sr_conv_kernel(sr_conv_kind kind)
{
  switch (kind) {
  case SR_CONV_3X3: return 3;
  case SR_CONV_1X1: return 1;
  case SR_CONV_DOWN2:
  case SR_CONV_UP2: return 2;
  }
  return 0;
}

sr_adam_desc
sr_adam_defaults(void)
{
  sr_adam_desc d = {
      .lr = 2e-4f,
      .beta1 = 0.9f,
      .beta2 = 0.999f,
      .eps = 1e-8f,
      .weight_decay = 0.0f,
      .step = 1,
  };
  return d;
}

/* ---- wrappers ---------------------------------------------------------------- */

static bool
check_backend(const sr_backend *be, sr_error *err)
{
  if (!be || !be->ops) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("compute backend: not open (open one with sr_backend_open)"));
    return false;
  }
  return true;
}

static bool
check_tensor(const char *what, const sr_tensor *t, int c, sr_error *err)
{
  if (!t || !t->data) {
    sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: tensor %s has no data"), what);
    return false;
  }
  if (t->n <= 0 || t->h <= 0 || t->w <= 0 || t->c <= 0 || t->n > SR_TENSOR_DIM_MAX ||
      t->h > SR_TENSOR_DIM_MAX || t->w > SR_TENSOR_DIM_MAX || t->c > SR_TENSOR_DIM_MAX) {
    sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: tensor %s has shape %dx%dx%dx%d"), what,
                 t->n, t->h, t->w, t->c);
    return false;
  }
  if (c > 0 && t->c != c) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("compute backend: tensor %s has %d channels, expected %d"), what, t->c, c);
    return false;
  }
  return true;
}

/* t's layout is one be takes for its channel count; NHWC only when
 * nhwc_only (the loss and the residual, which the host side reads). */
static bool
check_layout(const sr_backend *be, const char *what, const sr_tensor *t, bool nhwc_only,
             sr_error *err)
{
  if (t->layout == SR_LAYOUT_NHWC)
    return true;
  if (t->layout == SR_LAYOUT_BLOCKED && !nhwc_only &&
      sr_backend_preferred_layout(be, t->c) == SR_LAYOUT_BLOCKED)
    return true;
  sr_error_set(err, SR_ERR_INVALID,
               SR_("compute backend %s: tensor %s (%d channels) is in a layout this op does not "
                   "take (%d)"),
               be->name, what, t->c, (int)t->layout);
  return false;
}

static bool
same_shape(const char *a, const sr_tensor *x, const char *b, const sr_tensor *y, bool channels,
           sr_error *err)
{
  if (x->n != y->n || x->h != y->h || x->w != y->w || (channels && x->c != y->c)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("compute backend: %s (%dx%dx%dx%d) and %s (%dx%dx%dx%d) do not match"), a,
                 x->n, x->h, x->w, x->c, b, y->n, y->h, y->w, y->c);
    return false;
  }
  return true;
}

float *
sr_backend_alloc(sr_backend *be, size_t count, sr_error *err)
{
  if (!check_backend(be, err))
    return NULL;
  if (count == 0 || count > SIZE_MAX / 2 / sizeof(float)) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("compute backend %s: cannot allocate %zu floats"), be->name,
                 count);
    return NULL;
  }
  return be->ops->alloc(be->ctx, count, err);
}

void
sr_backend_release(sr_backend *be, float *p)
{
  if (be && be->ops && p)
    be->ops->release(be->ctx, p);
}

bool
sr_backend_upload(sr_backend *be, float *dst, const float *host, size_t count, sr_error *err)
{
  if (!check_backend(be, err))
    return false;
  if (count == 0)
    return true;
  return be->ops->upload(be->ctx, dst, host, count, err);
}

bool
sr_backend_download(sr_backend *be, float *host, const float *src, size_t count, sr_error *err)
{
  if (!check_backend(be, err))
    return false;
  if (count == 0)
    return true;
  return be->ops->download(be->ctx, host, src, count, err);
}

bool
sr_backend_fill(sr_backend *be, float *dst, float value, size_t count, sr_error *err)
{
  if (!check_backend(be, err))
    return false;
  if (count == 0)
    return true;
  return be->ops->fill(be->ctx, dst, value, count, err);
}

bool
sr_backend_copy(sr_backend *be, float *dst, const float *src, size_t count, sr_error *err)
{
  if (!check_backend(be, err))
    return false;
  if (count == 0 || dst == src)
    return true;
  return be->ops->copy(be->ctx, dst, src, count, err);
}

bool
sr_backend_axpy(sr_backend *be, float *y, float a, const float *x, size_t count, sr_error *err)
{
  if (!check_backend(be, err))
    return false;
  if (count == 0)
    return true;
  return be->ops->axpy(be->ctx, y, a, x, count, err);
}

bool
sr_backend_synchronize(sr_backend *be, sr_error *err)
{
  if (!check_backend(be, err))
    return false;
  return be->ops->synchronize(be->ctx, err);
}

bool
sr_backend_tensor_alloc(sr_backend *be, sr_tensor *t, int n, int h, int w, int c, sr_error *err)
{
  t->n = n, t->h = h, t->w = w, t->c = c, t->data = NULL, t->layout = SR_LAYOUT_NHWC;
  if (n <= 0 || h <= 0 || w <= 0 || c <= 0 || n > SR_TENSOR_DIM_MAX || h > SR_TENSOR_DIM_MAX ||
      w > SR_TENSOR_DIM_MAX || c > SR_TENSOR_DIM_MAX) {
    sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: cannot allocate a %dx%dx%dx%d tensor"),
                 n, h, w, c);
    return false;
  }
  t->data = sr_backend_alloc(be, sr_tensor_count(t), err);
  return t->data != NULL;
}

sr_layout
sr_backend_preferred_layout(const sr_backend *be, int c)
{
  int b = be ? be->channel_block : 0;
  return b > 0 && c > 0 && c % b == 0 ? SR_LAYOUT_BLOCKED : SR_LAYOUT_NHWC;
}

void
sr_backend_tensor_release(sr_backend *be, sr_tensor *t)
{
  if (!t)
    return;
  sr_backend_release(be, t->data);
  t->data = NULL;
}

bool
sr_conv_output_shape(const sr_conv_desc *d, const sr_tensor *x, int *h, int *w, sr_error *err)
{
  switch (d->kind) {
  case SR_CONV_3X3:
  case SR_CONV_1X1: *h = x->h, *w = x->w; return true;
  case SR_CONV_DOWN2:
    if (x->h % 2 || x->w % 2) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("compute backend: a stride-2 conv needs an even size, got %dx%d"), x->w,
                   x->h);
      return false;
    }
    *h = x->h / 2, *w = x->w / 2;
    return true;
  case SR_CONV_UP2:
    if (x->h > SR_TENSOR_DIM_MAX / 2 || x->w > SR_TENSOR_DIM_MAX / 2) {
      sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: %dx%d is too large to upsample"),
                   x->w, x->h);
      return false;
    }
    *h = x->h * 2, *w = x->w * 2;
    return true;
  }
  sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: unknown conv kind %d"), (int)d->kind);
  return false;
}

static bool
check_conv(const sr_backend *be, const sr_conv_desc *d, const sr_tensor *x, const sr_tensor *y,
           sr_error *err)
{
  if (!d || d->cin <= 0 || d->cout <= 0 || sr_conv_kernel(d->kind) == 0) {
    sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: invalid conv description"));
    return false;
  }
  if (!check_tensor("x", x, d->cin, err) || !check_tensor("y", y, d->cout, err) ||
      !check_layout(be, "x", x, false, err) || !check_layout(be, "y", y, false, err))
    return false;
  int oh, ow;
  if (!sr_conv_output_shape(d, x, &oh, &ow, err))
    return false;
  if (y->n != x->n || y->h != oh || y->w != ow) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("compute backend: conv output is %dx%dx%d, expected %dx%dx%d for input "
                     "%dx%dx%d"),
                 y->n, y->h, y->w, x->n, oh, ow, x->n, x->h, x->w);
    return false;
  }
  return true;
}

bool
sr_backend_conv_forward(sr_backend *be, const sr_conv_desc *d, const sr_tensor *x, const float *w,
                        const float *b, sr_tensor *y, sr_error *err)
{
  if (!check_backend(be, err) || !check_conv(be, d, x, y, err))
    return false;
  if (!w || (d->bias && !b)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: conv without weights or bias"));
    return false;
  }
  return be->ops->conv_forward(be->ctx, d, x, w, d->bias ? b : NULL, y, err);
}

bool
sr_backend_conv_backward_data(sr_backend *be, const sr_conv_desc *d, const sr_tensor *dy,
                              const float *w, sr_tensor *dx, bool accumulate, sr_error *err)
{
  if (!check_backend(be, err) || !check_conv(be, d, dx, dy, err))
    return false;
  if (!w) {
    sr_error_set(err, SR_ERR_INVALID, SR_("compute backend: conv backward without weights"));
    return false;
  }
  return be->ops->conv_backward_data(be->ctx, d, dy, w, dx, accumulate, err);
}

bool
sr_backend_conv_backward_weights(sr_backend *be, const sr_conv_desc *d, const sr_tensor *x,
                                 const sr_tensor *dy, float *dw, float *db, bool accumulate,
                                 sr_error *err)
{
  if (!check_backend(be, err) || !check_conv(be, d, x, dy, err))
    return false;
  if (!dw || (d->bias && !db)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("compute backend: conv backward without weight gradient"));
    return false;
  }
  return be->ops->conv_backward_weights(be->ctx, d, x, dy, dw, d->bias ? db : NULL, accumulate,
                                        err);
}

bool
sr_backend_relu_backward(sr_backend *be, const sr_tensor *y, sr_tensor *dy, sr_error *err)
{
  if (!check_backend(be, err) || !check_tensor("y", y, 0, err) || !check_tensor("dy", dy, 0, err) ||
      !same_shape("y", y, "dy", dy, true, err) || !check_layout(be, "y", y, false, err) ||
      !check_layout(be, "dy", dy, false, err))
    return false;
  if (y->layout != dy->layout) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("compute backend: ReLU backward needs y and dy in the same layout"));
    return false;
  }
  return be->ops->relu_backward(be->ctx, y, dy, err);
}

bool
sr_backend_charbonnier_luma(sr_backend *be, const sr_loss_desc *d, const sr_tensor *src,
                            const sr_tensor *delta, const sr_tensor *target, double *loss,
                            sr_tensor *ddelta, sr_error *err)
{
  if (!check_backend(be, err) || !check_tensor("source", src, 3, err) ||
      !check_tensor("delta", delta, 1, err) || !check_tensor("target", target, 3, err) ||
      !same_shape("source", src, "delta", delta, false, err) ||
      !same_shape("source", src, "target", target, true, err) ||
      !check_layout(be, "source", src, true, err) || !check_layout(be, "delta", delta, true, err) ||
      !check_layout(be, "target", target, true, err))
    return false;
  if (ddelta && (!check_tensor("ddelta", ddelta, 1, err) ||
                 !same_shape("delta", delta, "ddelta", ddelta, true, err) ||
                 !check_layout(be, "ddelta", ddelta, true, err)))
    return false;
  if (!(d->eps > 0.0f)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("Charbonnier loss: eps must be positive, got %g"),
                 (double)d->eps);
    return false;
  }
  return be->ops->charbonnier_luma(be->ctx, d, src, delta, target, loss, ddelta, err);
}

bool
sr_backend_apply_luma_residual(sr_backend *be, const sr_tensor *src, const sr_tensor *delta,
                               bool clamp, sr_tensor *out, sr_error *err)
{
  if (!check_backend(be, err) || !check_tensor("source", src, 3, err) ||
      !check_tensor("delta", delta, 1, err) || !check_tensor("out", out, 3, err) ||
      !same_shape("source", src, "delta", delta, false, err) ||
      !same_shape("source", src, "out", out, true, err) ||
      !check_layout(be, "source", src, true, err) || !check_layout(be, "delta", delta, true, err) ||
      !check_layout(be, "out", out, true, err))
    return false;
  return be->ops->apply_luma_residual(be->ctx, src, delta, clamp, out, err);
}

bool
sr_backend_adam(sr_backend *be, const sr_adam_desc *d, float *param, const float *grad, float *m,
                float *v, size_t count, sr_error *err)
{
  if (!check_backend(be, err))
    return false;
  if (d->step < 1 || !(d->lr >= 0.0f) || !(d->beta1 >= 0.0f && d->beta1 < 1.0f) ||
      !(d->beta2 >= 0.0f && d->beta2 < 1.0f) || !(d->eps > 0.0f)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("Adam: invalid settings (step %lld, lr %g, beta1 %g, beta2 %g, eps %g)"),
                 (long long)d->step, (double)d->lr, (double)d->beta1, (double)d->beta2,
                 (double)d->eps);
    return false;
  }
  if (count == 0)
    return true;
  return be->ops->adam(be->ctx, d, param, grad, m, v, count, err);
}

/* ---- loader ---------------------------------------------------------------- */

/* Copies text into reason (may be NULL), truncating to fit. */
static void
set_reason(char *reason, size_t len, const char *text)
{
  if (!reason || len == 0)
    return;
  size_t n = strlen(text);
  if (n >= len)
    n = len - 1;
  memcpy(reason, text, n);
  reason[n] = '\0';
}

/* out = dir + "/" + name; false when it would not fit. */
static bool
join_path(char *out, size_t len, const char *dir, const char *name)
{
  size_t a = strlen(dir), b = strlen(name);
  if (a + 1 + b + 1 > len)
    return false;
  memcpy(out, dir, a);
  out[a] = '/';
  memcpy(out + a + 1, name, b + 1);
  return true;
}

static const char *
dlerror_text(void)
{
  const char *e = dlerror();
  return e ? e : SR_("cannot be loaded");
}

/* dlopens the first libsrcuda.so found; writes why none was into why. */
static void *
open_cuda_module(char *why, size_t why_len)
{
  char path[PATH_MAX];
  char first_error[512] = "";
  const char *env = getenv("SR_BACKEND_PATH");
  char dirs[4][PATH_MAX];
  int ndirs = 0;
  /* SR_BACKEND_PATH may be a colon-separated list of folders. */
  char envcopy[PATH_MAX * 2] = "";
  if (env && *env)
    snprintf(envcopy, sizeof envcopy, "%s", env);

  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  bool in_build_tree = false;
  if (n > 0) {
    exe[n] = '\0';
    size_t root_len = strlen(SR_BUILD_ROOT);
    in_build_tree = strncmp(exe, SR_BUILD_ROOT, root_len) == 0 && exe[root_len] == '/';
  }
  if (in_build_tree && ndirs < 4)
    snprintf(dirs[ndirs++], PATH_MAX, "%s/engine/cuda", SR_BUILD_ROOT);
  snprintf(dirs[ndirs++], PATH_MAX, "%s", SR_LIBDIR);

  char *save = NULL;
  for (char *tok = strtok_r(envcopy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
    if (!join_path(path, sizeof path, tok, SR_BACKEND_CUDA_MODULE) || access(path, F_OK) != 0)
      continue;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h)
      return h;
    if (!first_error[0])
      set_reason(first_error, sizeof first_error, dlerror_text());
  }
  /* A module named by SR_BACKEND_PATH that does not load is reported, not
   * silently replaced by another copy from the build tree or install. */
  for (int i = 0; i < ndirs && !first_error[0]; i++) {
    if (!join_path(path, sizeof path, dirs[i], SR_BACKEND_CUDA_MODULE) || access(path, F_OK) != 0)
      continue;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h)
      return h;
    if (!first_error[0])
      set_reason(first_error, sizeof first_error, dlerror_text());
  }
  if (first_error[0]) {
    /* The module exists but does not load. When what is missing is the
     * driver library, say so in the archivist's words. */
    if (strstr(first_error, "libcuda.so")) {
      set_reason(why, why_len, SR_("no NVIDIA driver"));
    } else {
      char msg[600];
      snprintf(msg, sizeof msg, SR_("cannot load %.500s"), first_error);
      set_reason(why, why_len, msg);
    }
  } else {
    char msg[128];
    snprintf(msg, sizeof msg, SR_("%s not found"), SR_BACKEND_CUDA_MODULE);
    set_reason(why, why_len, msg);
  }
  return NULL;
}

static sr_backend *
open_cuda(char *why, size_t why_len, sr_error *err)
{
  void *h = open_cuda_module(why, why_len);
  if (!h)
    return NULL;
  sr_backend_cuda_create_fn create;
  *(void **)&create = dlsym(h, SR_BACKEND_CUDA_CREATE_SYMBOL);
  if (!create) {
    char msg[256];
    snprintf(msg, sizeof msg, SR_("%s has no %s (rebuild the module with this version)"),
             SR_BACKEND_CUDA_MODULE, SR_BACKEND_CUDA_CREATE_SYMBOL);
    set_reason(why, why_len, msg);
    dlclose(h);
    return NULL;
  }
  char r[256] = "";
  sr_error e = {0};
  sr_backend *be = create(0, r, sizeof r, &e);
  if (!be) {
    set_reason(why, why_len, r[0] ? r : e.message[0] ? e.message : SR_("module refused to start"));
    dlclose(h);
    return NULL;
  }
  if (be->abi_version != SR_BACKEND_ABI_VERSION) {
    char msg[128];
    snprintf(msg, sizeof msg, SR_("%s was built for backend interface %d, this program uses %d"),
             SR_BACKEND_CUDA_MODULE, be->abi_version, SR_BACKEND_ABI_VERSION);
    set_reason(why, why_len, msg);
    be->ops->destroy(be->ctx);
    dlclose(h);
    return NULL;
  }
  be->module = h;
  (void)err;
  return be;
}

sr_backend *
sr_backend_open(const char *name, char *reason, size_t reason_len, sr_error *err)
{
  if (reason && reason_len > 0)
    reason[0] = '\0';
  if (!name || !*name)
    name = "auto";
  if (strcmp(name, "cpu") == 0)
    return sr_backend_cpu_create(0, err);
  if (strcmp(name, "cuda") != 0 && strcmp(name, "auto") != 0) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("backend \"%s\" is unknown: use \"auto\", \"cpu\" or \"cuda\""), name);
    return NULL;
  }
  char why[512] = "";
  sr_backend *be = open_cuda(why, sizeof why, err);
  if (be)
    return be;
  char line[600];
  snprintf(line, sizeof line, SR_("CUDA backend unavailable: %.500s"), why);
  if (strcmp(name, "cuda") == 0) {
    set_reason(reason, reason_len, line);
    sr_error_set(err, SR_ERR_BACKEND, SR_("%s (use --backend cpu to run on the processor)"), line);
    return NULL;
  }
  be = sr_backend_cpu_create(0, err);
  if (be)
    set_reason(reason, reason_len, line);
  return be;
}

void
sr_backend_close(sr_backend *be)
{
  if (!be)
    return;
  void *module = be->module;
  if (be->ops && be->ops->destroy)
    be->ops->destroy(be->ctx);
  if (module)
    dlclose(module);
}

/* ---- devices --------------------------------------------------------------- */

/* Filled in by the CPU backend file, which knows oneDNN. */
void sr_backend_cpu_device_info(sr_device_info *info);

bool
sr_backend_list_devices(sr_device_info *out, size_t max, size_t *count, char *cuda_reason,
                        size_t reason_len, sr_error *err)
{
  *count = 0;
  if (cuda_reason && reason_len > 0)
    cuda_reason[0] = '\0';
  if (max == 0) {
    sr_error_set(err, SR_ERR_INVALID, SR_("device list: no room for any device"));
    return false;
  }
  sr_backend_cpu_device_info(&out[0]);
  *count = 1;

  char why[512] = "";
  void *h = open_cuda_module(why, sizeof why);
  if (!h) {
    set_reason(cuda_reason, reason_len, why);
    return true;
  }
  sr_backend_cuda_list_devices_fn list;
  *(void **)&list = dlsym(h, SR_BACKEND_CUDA_LIST_SYMBOL);
  if (!list) {
    char msg[256];
    snprintf(msg, sizeof msg, SR_("%s has no %s (rebuild the module with this version)"),
             SR_BACKEND_CUDA_MODULE, SR_BACKEND_CUDA_LIST_SYMBOL);
    set_reason(cuda_reason, reason_len, msg);
    dlclose(h);
    return true;
  }
  size_t got = 0;
  char r[256] = "";
  sr_error e = {0};
  if (!list(out + 1, max - 1, &got, r, sizeof r, &e)) {
    set_reason(cuda_reason, reason_len, r[0] ? r : e.message);
    got = 0;
  } else if (got == 0) {
    set_reason(cuda_reason, reason_len, r[0] ? r : SR_("no CUDA device found"));
  }
  *count = 1 + (got < max - 1 ? got : max - 1);
  dlclose(h);
  return true;
}
