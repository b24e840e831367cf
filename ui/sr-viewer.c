/* sr-viewer.c — the A/B image viewer.
 *
 * A GtkGLArea child draws the frames (half-float textures, display LUT in a
 * 3D texture, comparison in the fragment shader); SrViewer's own snapshot
 * draws the overlays on top (wipe line, crop rectangle and handles, labels)
 * with GtkSnapshot, so they stay crisp at any zoom and look the same on both
 * renderers. When GL cannot be used the frames are converted on the CPU
 * through the same LUT and drawn as GdkTextures instead.
 */
#include "sr-viewer.h"

#include <epoxy/gl.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "sr-display-lut.h"

#define RESOURCE_PREFIX "/io/github/spatialrecovery/SpatialRecovery/shaders/"
#define MIN_ZOOM        (1.0 / 64.0)
#define MAX_ZOOM        64.0
#define HANDLE_SIZE     9.0  /* drawn handle square, widget px */
#define HANDLE_HIT      10.0 /* grab distance from a handle centre */
#define WIPE_HIT        7.0  /* grab distance from the wipe line */
#define MIN_CROP        16
/* Surround: a dark neutral grey, so the picture is judged against nothing
 * tinted (sRGB ~0.12, about 1.5 % luminance). */
static const float surround[3] = {0.118f, 0.118f, 0.125f};

enum {
  HANDLE_NONE = -1,
  HANDLE_TL = 0,
  HANDLE_T,
  HANDLE_TR,
  HANDLE_R,
  HANDLE_BR,
  HANDLE_B,
  HANDLE_BL,
  HANDLE_L,
};

/* Frames of up to this many pixels (thumbnails, contact-sheet crops) are
 * converted right in the draw; anything bigger, a frame of the demo included,
 * on a worker, so scrubbing never waits: a 480×270 frame through the software
 * LUT already costs tens of milliseconds on a slow machine. */
#define SYNC_CONVERT_PIXELS (256 * 256)

typedef struct {
  SrFrame *frame;  /* what was converted (a reference) */
  guint16 *pixels; /* RGBA half, tw × th */
  int tw, th;      /* texture size (decimated past the GL limit) */
} HalfImage;

typedef struct {
  GLuint id;
  int width, height;   /* size of the frame the texture shows */
  SrFrame *shown;      /* the frame whose pixels are in the texture */
  SrFrame *converting; /* the frame a worker converts now */
  GCancellable *cancel;
  HalfImage *ready; /* converted, waiting for the next draw to upload */
} GlImage;

/* A software-rendered picture: `want` bumps whenever what it depends on
 * changes; `tex` (possibly older) stays on screen until the new one is made. */
typedef struct {
  GdkTexture *tex;
  guint tex_gen;
  guint want;
  GCancellable *cancel;
} SwSlot;

enum { SW_A = 0, SW_B, SW_DIFF };

struct _SrViewer {
  GtkWidget parent_instance;

  GtkWidget *gl_area;

  SrFrame *frame_a;
  SrFrame *frame_b;

  sr_colourspace colourspace;
  char *display_profile;
  SrDisplayLut *lut;
  double exposure;

  SrViewerMode mode;
  SrViewerWipe wipe;
  double wipe_position;
  double gain;

  double zoom;
  gboolean zoom_fit;
  double pan_x, pan_y;

  sr_ycbcr_matrix matrix;
  SrViewerProbe probe;

  sr_rect crop;
  gboolean show_crop;
  gboolean crop_edit;

  char *label_a;
  char *label_b;
  int frame_number;
  gboolean show_labels;
  gboolean show_probe;

  /* Pointer state. */
  gboolean space_held;
  double pointer_x, pointer_y;
  gboolean pointer_in;
  SrViewerDrag drag;
  int drag_handle;
  int drag_pane;
  double drag_start_x, drag_start_y;
  double drag_start_pan_x, drag_start_pan_y;
  sr_rect drag_start_crop;

  /* Renderer. */
  gboolean force_software;
  gboolean software;
  char *fallback_reason;
  gboolean gl_ready;
  guint gl_errors;
  GLuint program, vao, lut_tex;
  gboolean lut_dirty;
  GlImage gl_a, gl_b;
  GLint max_texture_size;
  GHashTable *uniforms; /* name → location + 1 */

  /* Software renderer: the frames through the display transform. */
  SwSlot sw[3]; /* A, B, difference */
};

enum {
  PROP_0,
  PROP_MODE,
  PROP_WIPE_ORIENTATION,
  PROP_WIPE_POSITION,
  PROP_DIFFERENCE_GAIN,
  PROP_EXPOSURE,
  PROP_ZOOM,
  PROP_ZOOM_FIT,
  PROP_PAN_X,
  PROP_PAN_Y,
  PROP_COLOURSPACE,
  PROP_DISPLAY_PROFILE,
  PROP_YCBCR_MATRIX,
  PROP_CROP_X,
  PROP_CROP_Y,
  PROP_CROP_WIDTH,
  PROP_CROP_HEIGHT,
  PROP_SHOW_CROP,
  PROP_CROP_EDIT,
  PROP_SHOW_LABELS,
  PROP_SHOW_PROBE,
  PROP_LABEL_A,
  PROP_LABEL_B,
  PROP_FRAME_NUMBER,
  PROP_RENDERER,
  PROP_FALLBACK_REASON,
  PROP_FORCE_SOFTWARE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum { SIGNAL_PROBE, SIGNAL_CROP_EDITED, SIGNAL_GL_ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(SrViewer, sr_viewer, GTK_TYPE_WIDGET)

/* ---- Enum and boxed types ------------------------------------------------ */

GType
sr_viewer_mode_get_type(void)
{
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {SR_VIEWER_MODE_A, "SR_VIEWER_MODE_A", "a"},
        {SR_VIEWER_MODE_B, "SR_VIEWER_MODE_B", "b"},
        {SR_VIEWER_MODE_WIPE, "SR_VIEWER_MODE_WIPE", "wipe"},
        {SR_VIEWER_MODE_SIDE_BY_SIDE, "SR_VIEWER_MODE_SIDE_BY_SIDE", "side-by-side"},
        {SR_VIEWER_MODE_DIFFERENCE, "SR_VIEWER_MODE_DIFFERENCE", "difference"},
        {0, NULL, NULL},
    };
    g_once_init_leave(&type, g_enum_register_static("SrViewerMode", values));
  }
  return type;
}

GType
sr_viewer_wipe_get_type(void)
{
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {SR_VIEWER_WIPE_VERTICAL, "SR_VIEWER_WIPE_VERTICAL", "vertical"},
        {SR_VIEWER_WIPE_HORIZONTAL, "SR_VIEWER_WIPE_HORIZONTAL", "horizontal"},
        {0, NULL, NULL},
    };
    g_once_init_leave(&type, g_enum_register_static("SrViewerWipe", values));
  }
  return type;
}

SrViewerProbe *
sr_viewer_probe_copy(const SrViewerProbe *probe)
{
  return g_memdup2(probe, sizeof *probe);
}

void
sr_viewer_probe_free(SrViewerProbe *probe)
{
  g_free(probe);
}

G_DEFINE_BOXED_TYPE(SrViewerProbe, sr_viewer_probe, sr_viewer_probe_copy, sr_viewer_probe_free)

/* ---- Geometry ------------------------------------------------------------ */

static const sr_image *
image_a(SrViewer *self)
{
  return self->frame_a ? sr_frame_get_image(self->frame_a) : NULL;
}

static const sr_image *
image_b(SrViewer *self)
{
  return self->frame_b ? sr_frame_get_image(self->frame_b) : NULL;
}

/* The image that defines the coordinate system: A, or B when A is absent. */
static gboolean
reference_size(SrViewer *self, int *w, int *h)
{
  const sr_image *img = image_a(self);
  if (img == NULL)
    img = image_b(self);
  if (img == NULL)
    return FALSE;
  *w = img->width;
  *h = img->height;
  return TRUE;
}

static double
pane_width(SrViewer *self)
{
  double w = gtk_widget_get_width(GTK_WIDGET(self));
  return self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE ? floor(w / 2.0) : w;
}

static double
view_height(SrViewer *self)
{
  return gtk_widget_get_height(GTK_WIDGET(self));
}

static int
pane_of(SrViewer *self, double wx)
{
  return self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE && wx >= pane_width(self) ? 1 : 0;
}

static void
to_image(SrViewer *self, int pane, double wx, double wy, double *ix, double *iy)
{
  double pw = pane_width(self);
  *ix = (wx - pane * pw - pw / 2.0) / self->zoom + self->pan_x;
  *iy = (wy - view_height(self) / 2.0) / self->zoom + self->pan_y;
}

static void
to_widget(SrViewer *self, int pane, double ix, double iy, double *wx, double *wy)
{
  double pw = pane_width(self);
  *wx = (ix - self->pan_x) * self->zoom + pw / 2.0 + pane * pw;
  *wy = (iy - self->pan_y) * self->zoom + view_height(self) / 2.0;
}

static void
notify_view(SrViewer *self)
{
  g_object_freeze_notify(G_OBJECT(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ZOOM]);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PAN_X]);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PAN_Y]);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ZOOM_FIT]);
  g_object_thaw_notify(G_OBJECT(self));
}

static void
redraw(SrViewer *self)
{
  gtk_widget_queue_draw(GTK_WIDGET(self));
  if (self->gl_area != NULL)
    gtk_widget_queue_draw(self->gl_area);
}

/* Fit: the whole reference image inside one pane, centred. */
static void
apply_fit(SrViewer *self)
{
  int w, h;
  double pw = pane_width(self), vh = view_height(self);
  if (!reference_size(self, &w, &h) || pw <= 0 || vh <= 0) {
    self->zoom = 1.0;
    self->pan_x = self->pan_y = 0;
    return;
  }
  self->zoom = CLAMP(MIN(pw / w, vh / h), MIN_ZOOM, MAX_ZOOM);
  self->pan_x = w / 2.0;
  self->pan_y = h / 2.0;
}

/* ---- GL ------------------------------------------------------------------ */

static void
report_gl_error(SrViewer *self, const char *message)
{
  self->gl_errors++;
  g_warning("Viewer: %s", message);
  g_signal_emit(self, signals[SIGNAL_GL_ERROR], 0, message);
}

static gboolean
check_gl(SrViewer *self, const char *where)
{
  GLenum e, first = GL_NO_ERROR;
  while ((e = glGetError()) != GL_NO_ERROR)
    if (first == GL_NO_ERROR)
      first = e;
  if (first == GL_NO_ERROR)
    return TRUE;
  g_autofree char *msg = g_strdup_printf("OpenGL error 0x%04x after %s", first, where);
  report_gl_error(self, msg);
  return FALSE;
}

static void
switch_to_software(SrViewer *self, const char *reason)
{
  if (self->software)
    return;
  self->software = TRUE;
  g_free(self->fallback_reason);
  self->fallback_reason = g_strdup(reason);
  if (self->force_software)
    g_debug("Viewer draws on the CPU: %s", reason);
  else
    g_message("Viewer draws on the CPU: %s", reason);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RENDERER]);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FALLBACK_REASON]);
  redraw(self);
}

static GLint
uniform(SrViewer *self, const char *name)
{
  gpointer v = g_hash_table_lookup(self->uniforms, name);
  if (v == NULL) {
    GLint loc = glGetUniformLocation(self->program, name);
    g_hash_table_insert(self->uniforms, (gpointer)name, GINT_TO_POINTER(loc + 2));
    return loc;
  }
  return GPOINTER_TO_INT(v) - 2;
}

static GLuint
compile_shader(SrViewer *self, GLenum type, const char *resource, gboolean es, GError **error)
{
  g_autoptr(GBytes) bytes = g_resources_lookup_data(resource, 0, error);
  if (bytes == NULL)
    return 0;
  const char *header = es ? "#version 300 es\nprecision highp float;\nprecision highp sampler3D;\n"
                          : "#version 150\n";
  gsize len;
  const char *body = g_bytes_get_data(bytes, &len);
  const char *sources[2] = {header, body};
  GLint lengths[2] = {(GLint)strlen(header), (GLint)len};
  GLuint sh = glCreateShader(type);
  glShaderSource(sh, 2, sources, lengths);
  glCompileShader(sh);
  GLint ok = 0;
  glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[2048] = "";
    glGetShaderInfoLog(sh, sizeof log, NULL, log);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("shader %s did not compile: %s"), resource,
                log);
    glDeleteShader(sh);
    return 0;
  }
  return sh;
}

static gboolean
build_program(SrViewer *self, gboolean es, GError **error)
{
  GLuint vs = compile_shader(self, GL_VERTEX_SHADER, RESOURCE_PREFIX "viewer.vert", es, error);
  if (vs == 0)
    return FALSE;
  GLuint fs = compile_shader(self, GL_FRAGMENT_SHADER, RESOURCE_PREFIX "viewer.frag", es, error);
  if (fs == 0) {
    glDeleteShader(vs);
    return FALSE;
  }
  GLuint prog = glCreateProgram();
  glAttachShader(prog, vs);
  glAttachShader(prog, fs);
  glLinkProgram(prog);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(prog, GL_LINK_STATUS, &ok);
  if (!ok) {
    char log[2048] = "";
    glGetProgramInfoLog(prog, sizeof log, NULL, log);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("viewer shaders did not link: %s"), log);
    glDeleteProgram(prog);
    return FALSE;
  }
  self->program = prog;
  return TRUE;
}

/* NaN has no colour to show; draw it as black rather than let the shader's
 * arithmetic decide. Infinities clamp to white in the shaper. */
static inline guint16
display_half(float v)
{
  return isnan(v) ? 0 : sr_float_to_half(v);
}

static void
half_image_free(HalfImage *h)
{
  if (h == NULL)
    return;
  sr_frame_unref(h->frame);
  g_free(h->pixels);
  g_free(h);
}

/* Frame → RGBA half pixels; frames larger than the GL limit are decimated
 * (the probe still reads full-resolution values from the frame). Runs on
 * any thread: frames are immutable. NULL when memory runs out. */
static HalfImage *
half_image_new(SrFrame *frame, int max_texture_size)
{
  const sr_image *img = sr_frame_get_image(frame);
  int step = 1;
  while ((img->width + step - 1) / step > max_texture_size ||
         (img->height + step - 1) / step > max_texture_size)
    step++;
  int tw = (img->width + step - 1) / step, th = (img->height + step - 1) / step;
  guint16 *buf = g_try_malloc((gsize)tw * th * 4 * sizeof(guint16));
  if (buf == NULL)
    return NULL;
  const int c = img->channels;
  const guint16 one = sr_float_to_half(1.0f);
  for (int y = 0; y < th; y++) {
    const float *row = sr_image_row(img, y * step);
    guint16 *o = buf + (gsize)y * tw * 4;
    for (int x = 0; x < tw; x++, o += 4) {
      const float *p = row + (gsize)x * step * c;
      if (c >= 3) {
        o[0] = display_half(p[0]);
        o[1] = display_half(p[1]);
        o[2] = display_half(p[2]);
        o[3] = c == 4 ? display_half(p[3]) : one;
      } else {
        o[0] = o[1] = o[2] = display_half(p[0]);
        o[3] = one;
      }
    }
  }
  HalfImage *h = g_new0(HalfImage, 1);
  h->frame = sr_frame_ref(frame);
  h->pixels = buf;
  h->tw = tw;
  h->th = th;
  return h;
}

static void
upload_half(SrViewer *self, GlImage *gi, const HalfImage *h)
{
  if (gi->id == 0)
    glGenTextures(1, &gi->id);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, gi->id);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 2);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA16F, h->tw, h->th, 0, GL_RGBA, GL_HALF_FLOAT, h->pixels);
  glGenerateMipmap(GL_TEXTURE_2D);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR_MIPMAP_LINEAR);
  const sr_image *img = sr_frame_get_image(h->frame);
  gi->width = img->width;
  gi->height = img->height;
  if (gi->shown != h->frame) {
    sr_frame_unref(gi->shown);
    gi->shown = sr_frame_ref(h->frame);
  }
  check_gl(self, "uploading a frame");
}

static void
convert_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SrViewer *self = source;
  if (g_task_return_error_if_cancelled(task))
    return;
  HalfImage *h = half_image_new(data, self->max_texture_size);
  if (h == NULL)
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
                            _("not enough memory to prepare a frame for display"));
  else
    g_task_return_pointer(task, h, (GDestroyNotify)half_image_free);
}

static void
convert_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrViewer *self = SR_VIEWER(source);
  int slot = GPOINTER_TO_INT(user_data);
  g_autoptr(GError) error = NULL;
  HalfImage *h = g_task_propagate_pointer(G_TASK(result), &error);
  SrFrame *job_frame = g_task_get_task_data(G_TASK(result));
  GlImage *gi = slot == 0 ? &self->gl_a : &self->gl_b;
  if (gi->converting == job_frame) {
    g_clear_pointer(&gi->converting, sr_frame_unref);
    g_clear_object(&gi->cancel);
  }
  if (h == NULL) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      report_gl_error(self, error->message);
    return;
  }
  SrFrame *want = slot == 0 ? self->frame_a : self->frame_b;
  if (h->frame != want || self->gl_area == NULL) {
    half_image_free(h);
    return;
  }
  half_image_free(gi->ready);
  gi->ready = h;
  gtk_widget_queue_draw(self->gl_area);
}

static void
cancel_conversion(GlImage *gi)
{
  if (gi->cancel != NULL)
    g_cancellable_cancel(gi->cancel);
  g_clear_object(&gi->cancel);
  g_clear_pointer(&gi->converting, sr_frame_unref);
}

/* Brings the texture of one slot up to date with the frame it should show.
 * While a big frame converts, the previous picture stays (as on a deck). */
static void
sync_slot(SrViewer *self, GlImage *gi, SrFrame *want, int slot)
{
  if (want == NULL) {
    cancel_conversion(gi);
    g_clear_pointer(&gi->ready, half_image_free);
    g_clear_pointer(&gi->shown, sr_frame_unref);
    gi->width = gi->height = 0;
    return;
  }
  if (gi->shown == want)
    return;
  if (gi->ready != NULL && gi->ready->frame == want) {
    upload_half(self, gi, gi->ready);
    g_clear_pointer(&gi->ready, half_image_free);
    return;
  }
  const sr_image *img = sr_frame_get_image(want);
  if ((gint64)img->width * img->height <= SYNC_CONVERT_PIXELS) {
    HalfImage *h = half_image_new(want, self->max_texture_size);
    if (h == NULL) {
      report_gl_error(self, "not enough memory to prepare a frame for display");
      return;
    }
    cancel_conversion(gi);
    upload_half(self, gi, h);
    half_image_free(h);
    return;
  }
  if (gi->converting == want)
    return;
  cancel_conversion(gi);
  gi->converting = sr_frame_ref(want);
  gi->cancel = g_cancellable_new();
  GTask *task = g_task_new(self, gi->cancel, convert_done, GINT_TO_POINTER(slot));
  g_task_set_task_data(task, sr_frame_ref(want), (GDestroyNotify)sr_frame_unref);
  g_task_run_in_thread(task, convert_thread);
  g_object_unref(task);
}

static void
release_slot(GlImage *gi)
{
  cancel_conversion(gi);
  g_clear_pointer(&gi->ready, half_image_free);
  g_clear_pointer(&gi->shown, sr_frame_unref);
  gi->width = gi->height = 0;
}

static void
upload_lut(SrViewer *self)
{
  self->lut_dirty = FALSE;
  if (self->lut == NULL)
    return;
  int n = self->lut->size;
  gsize count = (gsize)n * n * n;
  guint16 *buf = g_new(guint16, count * 4);
  const guint16 one = sr_float_to_half(1.0f);
  for (gsize i = 0; i < count; i++) {
    buf[i * 4 + 0] = sr_float_to_half(self->lut->table[i * 3 + 0]);
    buf[i * 4 + 1] = sr_float_to_half(self->lut->table[i * 3 + 1]);
    buf[i * 4 + 2] = sr_float_to_half(self->lut->table[i * 3 + 2]);
    buf[i * 4 + 3] = one;
  }
  if (self->lut_tex == 0)
    glGenTextures(1, &self->lut_tex);
  glBindTexture(GL_TEXTURE_3D, self->lut_tex);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 2);
  glTexImage3D(GL_TEXTURE_3D, 0, GL_RGBA16F, n, n, n, 0, GL_RGBA, GL_HALF_FLOAT, buf);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_R, GL_CLAMP_TO_EDGE);
  g_free(buf);
  check_gl(self, "uploading the display LUT");
}

/* Builds the GL resources; the area's context must be current. */
static void
gl_setup(SrViewer *self, GtkGLArea *area)
{
  GError *gl_error = gtk_gl_area_get_error(area);
  if (gl_error != NULL) {
    g_autofree char *r = g_strdup_printf("OpenGL is not available (%s)", gl_error->message);
    switch_to_software(self, r);
    return;
  }
  GdkGLContext *ctx = gtk_gl_area_get_context(area);
  if (ctx == NULL) {
    switch_to_software(self, "no OpenGL context could be created");
    return;
  }
  gboolean es = gdk_gl_context_get_use_es(ctx);
  int major = 0, minor = 0;
  gdk_gl_context_get_version(ctx, &major, &minor);
  if (es ? major < 3 : (major < 3 || (major == 3 && minor < 2))) {
    g_autofree char *r = g_strdup_printf("OpenGL%s %d.%d is older than the viewer needs "
                                         "(3.2, or ES 3.0)",
                                         es ? " ES" : "", major, minor);
    switch_to_software(self, r);
    return;
  }
  while (glGetError() != GL_NO_ERROR)
    ;
  g_autoptr(GError) error = NULL;
  if (!build_program(self, es, &error)) {
    report_gl_error(self, error->message);
    g_autofree char *r = g_strdup_printf("the viewer's shaders failed (%s)", error->message);
    switch_to_software(self, r);
    return;
  }
  glGenVertexArrays(1, &self->vao);
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &self->max_texture_size);
  if (self->max_texture_size < 1024)
    self->max_texture_size = 1024;
  g_clear_pointer(&self->gl_a.shown, sr_frame_unref);
  g_clear_pointer(&self->gl_b.shown, sr_frame_unref);
  self->lut_dirty = TRUE;
  if (!check_gl(self, "setting up the viewer")) {
    switch_to_software(self, "OpenGL setup reported an error");
    return;
  }
  self->gl_ready = TRUE;
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RENDERER]);
}

static void
gl_realize_cb(GtkGLArea *area, SrViewer *self)
{
  if (self->force_software) {
    switch_to_software(self, "the software renderer was requested");
    return;
  }
  gtk_gl_area_make_current(area);
  gl_setup(self, area);
}

static void
gl_unrealize_cb(GtkGLArea *area, SrViewer *self)
{
  if (!self->gl_ready)
    return;
  gtk_gl_area_make_current(area);
  if (gtk_gl_area_get_error(area) == NULL) {
    if (self->gl_a.id)
      glDeleteTextures(1, &self->gl_a.id);
    if (self->gl_b.id)
      glDeleteTextures(1, &self->gl_b.id);
    if (self->lut_tex)
      glDeleteTextures(1, &self->lut_tex);
    if (self->vao)
      glDeleteVertexArrays(1, &self->vao);
    if (self->program)
      glDeleteProgram(self->program);
  }
  self->gl_a.id = self->gl_b.id = self->lut_tex = self->vao = self->program = 0;
  g_clear_pointer(&self->gl_a.shown, sr_frame_unref);
  g_clear_pointer(&self->gl_b.shown, sr_frame_unref);
  g_hash_table_remove_all(self->uniforms);
  self->gl_ready = FALSE;
}

static void
bind_image(SrViewer *self, GlImage *gi, int unit)
{
  glActiveTexture(GL_TEXTURE0 + unit);
  glBindTexture(GL_TEXTURE_2D, gi->id);
  /* Magnified pixels stay square from 2:1 up, as an inspection viewer should. */
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, self->zoom >= 2.0 ? GL_NEAREST : GL_LINEAR);
}

static gboolean
gl_render_cb(GtkGLArea *area, GdkGLContext *context, SrViewer *self)
{
  if (!self->gl_ready && !self->software)
    gl_setup(self, area);
  if (!self->gl_ready || self->software) {
    glClearColor(surround[0], surround[1], surround[2], 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    return TRUE;
  }
  if (self->lut_dirty)
    upload_lut(self);
  sync_slot(self, &self->gl_a, self->frame_a, 0);
  sync_slot(self, &self->gl_b, self->frame_b, 1);

  int fb_w = gtk_widget_get_width(GTK_WIDGET(area)) * gtk_widget_get_scale_factor(GTK_WIDGET(area));
  int fb_h =
      gtk_widget_get_height(GTK_WIDGET(area)) * gtk_widget_get_scale_factor(GTK_WIDGET(area));
  glViewport(0, 0, fb_w, fb_h);
  glDisable(GL_BLEND);
  glDisable(GL_DEPTH_TEST);
  glClearColor(surround[0], surround[1], surround[2], 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);

  glUseProgram(self->program);
  glBindVertexArray(self->vao);
  gboolean has_a = self->gl_a.shown != NULL && self->gl_a.width > 0;
  gboolean has_b = self->gl_b.shown != NULL && self->gl_b.width > 0;
  if (has_a)
    bind_image(self, &self->gl_a, 0);
  if (has_b)
    bind_image(self, &self->gl_b, 1);
  glActiveTexture(GL_TEXTURE2);
  glBindTexture(GL_TEXTURE_3D, self->lut_tex);

  int rw = 1, rh = 1;
  reference_size(self, &rw, &rh);
  glUniform1i(uniform(self, "u_tex_a"), 0);
  glUniform1i(uniform(self, "u_tex_b"), 1);
  glUniform1i(uniform(self, "u_lut"), 2);
  glUniform1i(uniform(self, "u_has_a"), has_a);
  glUniform1i(uniform(self, "u_has_b"), has_b);
  glUniform2f(uniform(self, "u_size_a"), (float)MAX(self->gl_a.width, 1),
              (float)MAX(self->gl_a.height, 1));
  glUniform2f(uniform(self, "u_size_b"), (float)MAX(self->gl_b.width, 1),
              (float)MAX(self->gl_b.height, 1));
  glUniform1i(uniform(self, "u_mode"), (int)self->mode);
  glUniform1i(uniform(self, "u_wipe_vertical"), self->wipe == SR_VIEWER_WIPE_VERTICAL);
  glUniform1f(uniform(self, "u_wipe_pos"),
              (float)(self->wipe_position * (self->wipe == SR_VIEWER_WIPE_VERTICAL ? rw : rh)));
  glUniform1f(uniform(self, "u_gain"), (float)self->gain);
  glUniform1f(uniform(self, "u_exposure_gain"), (float)exp2(self->exposure));
  glUniform1i(uniform(self, "u_decode"), self->lut ? (int)self->lut->decode : 0);
  glUniform1f(uniform(self, "u_lut_size"), self->lut ? (float)self->lut->size : 2.0f);
  glUniform1f(uniform(self, "u_scale"), (float)gtk_widget_get_scale_factor(GTK_WIDGET(area)));
  glUniform1f(uniform(self, "u_fb_height"), (float)fb_h);
  glUniform1f(uniform(self, "u_pane_width"), (float)pane_width(self));
  glUniform1f(uniform(self, "u_view_height"), (float)view_height(self));
  glUniform1f(uniform(self, "u_zoom"), (float)self->zoom);
  glUniform2f(uniform(self, "u_pan"), (float)self->pan_x, (float)self->pan_y);
  glUniform3f(uniform(self, "u_background"), surround[0], surround[1], surround[2]);

  glDrawArrays(GL_TRIANGLES, 0, 3);

  glBindVertexArray(0);
  glUseProgram(0);
#ifndef NDEBUG
  check_gl(self, "drawing the frame");
#endif
  return TRUE;
}

/* ---- Software renderer --------------------------------------------------- */

static GdkTexture *
texture_from_rgba8(guint8 *pixels, int w, int h)
{
  GBytes *bytes = g_bytes_new_take(pixels, (gsize)w * h * 4);
  GdkTexture *t = gdk_memory_texture_new(w, h, GDK_MEMORY_R8G8B8A8, bytes, (gsize)w * 4);
  /* Kept for the magnified view, which samples the pixels itself. */
  g_object_set_data_full(G_OBJECT(t), "sr-rgba8", bytes, (GDestroyNotify)g_bytes_unref);
  return t;
}

static GdkTexture *
software_display(const SrDisplayLut *lut, float exposure, const sr_image *img)
{
  guint8 *px = g_try_malloc((gsize)img->width * img->height * 4);
  if (px == NULL)
    return NULL;
  sr_display_lut_apply_rgba8(lut, exposure, img->pixels, img->channels, px,
                             (gsize)img->width * img->height);
  /* Alpha only matters to the shader path's blending, which it does not do. */
  for (gsize i = 0; i < (gsize)img->width * img->height; i++)
    px[i * 4 + 3] = 255;
  return texture_from_rgba8(px, img->width, img->height);
}

static GdkTexture *
software_difference(const sr_image *a, const sr_image *b, float gain)
{
  if (a == NULL && b == NULL)
    return NULL;
  int w = MAX(a ? a->width : 0, b ? b->width : 0);
  int h = MAX(a ? a->height : 0, b ? b->height : 0);
  guint8 *px = g_try_malloc0((gsize)w * h * 4);
  if (px == NULL)
    return NULL;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float va[3] = {0, 0, 0}, vb[3] = {0, 0, 0};
      gboolean in_a = a && x < a->width && y < a->height;
      gboolean in_b = b && x < b->width && y < b->height;
      guint8 *o = px + ((gsize)y * w + x) * 4;
      if (!in_a && !in_b) {
        for (int c = 0; c < 3; c++)
          o[c] = (guint8)lrintf(surround[c] * 255.0f);
        o[3] = 255;
        continue;
      }
      for (int c = 0; c < 3; c++) {
        if (in_a)
          va[c] = sr_image_row(a, y)[(gsize)x * a->channels + (a->channels >= 3 ? c : 0)];
        if (in_b)
          vb[c] = sr_image_row(b, y)[(gsize)x * b->channels + (b->channels >= 3 ? c : 0)];
        float d = fabsf(va[c] - vb[c]) * gain;
        d = isfinite(d) ? CLAMP(d, 0.0f, 1.0f) : 0.0f;
        o[c] = (guint8)lrintf(d * 255.0f);
      }
      o[3] = 255;
    }
  return texture_from_rgba8(px, w, h);
}

typedef struct {
  int slot;
  guint gen;
  SrFrame *a, *b;    /* b only for the difference */
  SrDisplayLut *lut; /* a private copy: the viewer may rebuild its own */
  float exposure, gain;
} SwJob;

static void
sw_job_free(gpointer p)
{
  SwJob *j = p;
  sr_frame_unref(j->a);
  sr_frame_unref(j->b);
  sr_display_lut_free(j->lut);
  g_free(j);
}

static GdkTexture *
sw_job_run(const SwJob *j)
{
  const sr_image *a = j->a ? sr_frame_get_image(j->a) : NULL;
  const sr_image *b = j->b ? sr_frame_get_image(j->b) : NULL;
  if (j->slot == SW_DIFF)
    return software_difference(a, b, j->gain);
  return a != NULL && j->lut != NULL ? software_display(j->lut, j->exposure, a) : NULL;
}

static void
sw_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  if (g_task_return_error_if_cancelled(task))
    return;
  GdkTexture *t = sw_job_run(data);
  if (t == NULL)
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
                            _("not enough memory to draw a frame on the CPU"));
  else
    g_task_return_pointer(task, t, g_object_unref);
}

static void
sw_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrViewer *self = SR_VIEWER(source);
  SwJob *j = g_task_get_task_data(G_TASK(result));
  SwSlot *slot = &self->sw[j->slot];
  g_autoptr(GError) error = NULL;
  GdkTexture *t = g_task_propagate_pointer(G_TASK(result), &error);
  if (g_task_get_cancellable(G_TASK(result)) == slot->cancel)
    g_clear_object(&slot->cancel);
  if (t == NULL) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning("Viewer: %s", error->message);
    return;
  }
  if (j->gen != slot->want) {
    g_object_unref(t);
    return;
  }
  g_clear_object(&slot->tex);
  slot->tex = t;
  slot->tex_gen = j->gen;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static SrDisplayLut *
lut_copy(const SrDisplayLut *lut)
{
  if (lut == NULL)
    return NULL;
  SrDisplayLut *c = g_new0(SrDisplayLut, 1);
  *c = *lut;
  c->table = g_memdup2(lut->table, sizeof(float) * 3 * (gsize)lut->size * lut->size * lut->size);
  c->profile_path = g_strdup(lut->profile_path);
  c->description = g_strdup(lut->description);
  return c;
}

/* Makes the slot's picture current: small frames right away, big ones on a
 * worker while the previous picture stays up. */
static void
ensure_sw_slot(SrViewer *self, int idx)
{
  SwSlot *slot = &self->sw[idx];
  if (slot->tex_gen == slot->want)
    return;
  SrFrame *fa = idx == SW_B ? self->frame_b : self->frame_a;
  SrFrame *fb = idx == SW_DIFF ? self->frame_b : NULL;
  if (fa == NULL && fb == NULL) {
    g_clear_object(&slot->tex);
    slot->tex_gen = slot->want;
    return;
  }
  if (slot->cancel != NULL && slot->tex_gen != slot->want &&
      GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(slot->cancel), "sr-gen")) == slot->want)
    return; /* already being made */
  SwJob *j = g_new0(SwJob, 1);
  j->slot = idx;
  j->gen = slot->want;
  j->a = fa ? sr_frame_ref(fa) : NULL;
  j->b = fb ? sr_frame_ref(fb) : NULL;
  j->exposure = (float)self->exposure;
  j->gain = (float)self->gain;
  gint64 pixels = 0;
  if (fa)
    pixels = MAX(pixels, (gint64)sr_frame_get_image(fa)->width * sr_frame_get_image(fa)->height);
  if (fb)
    pixels = MAX(pixels, (gint64)sr_frame_get_image(fb)->width * sr_frame_get_image(fb)->height);
  if (pixels <= SYNC_CONVERT_PIXELS) {
    j->lut = NULL;
    const sr_image *a = fa ? sr_frame_get_image(fa) : NULL;
    const sr_image *b = fb ? sr_frame_get_image(fb) : NULL;
    GdkTexture *t = NULL;
    if (idx == SW_DIFF)
      t = software_difference(a, b, j->gain);
    else if (a != NULL && self->lut != NULL)
      t = software_display(self->lut, j->exposure, a);
    sw_job_free(j);
    g_clear_object(&slot->tex);
    slot->tex = t;
    slot->tex_gen = slot->want;
    return;
  }
  j->lut = idx == SW_DIFF ? NULL : lut_copy(self->lut);
  if (slot->cancel != NULL)
    g_cancellable_cancel(slot->cancel);
  g_clear_object(&slot->cancel);
  slot->cancel = g_cancellable_new();
  g_object_set_data(G_OBJECT(slot->cancel), "sr-gen", GUINT_TO_POINTER(j->gen));
  GTask *task = g_task_new(self, slot->cancel, sw_done, NULL);
  g_task_set_task_data(task, j, sw_job_free);
  g_task_run_in_thread(task, sw_thread);
  g_object_unref(task);
}

static void
invalidate_sw(SrViewer *self, int idx)
{
  self->sw[idx].want++;
}

static void
invalidate_software(SrViewer *self)
{
  for (int i = 0; i < 3; i++)
    invalidate_sw(self, i);
}

static void
release_software(SrViewer *self)
{
  for (int i = 0; i < 3; i++) {
    if (self->sw[i].cancel != NULL)
      g_cancellable_cancel(self->sw[i].cancel);
    g_clear_object(&self->sw[i].cancel);
    g_clear_object(&self->sw[i].tex);
  }
}

static void
snapshot_texture_at(SrViewer *self, GtkSnapshot *snapshot, GdkTexture *tex, int pane,
                    const graphene_rect_t *clip)
{
  if (tex == NULL)
    return;
  GBytes *bytes = g_object_get_data(G_OBJECT(tex), "sr-rgba8");
  if (self->zoom >= 2.0 && bytes != NULL) {
    /* GSK filters scaled textures linearly; an inspection viewer shows
       * magnified pixels as squares, so sample them here, one texel per
       * device pixel of the visible part. */
    graphene_rect_t vis;
    if (!graphene_rect_intersection(
            clip,
            &GRAPHENE_RECT_INIT(0, 0, (float)gtk_widget_get_width(GTK_WIDGET(self)),
                                (float)gtk_widget_get_height(GTK_WIDGET(self))),
            &vis))
      return;
    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    int x0 = (int)floorf(vis.origin.x), y0 = (int)floorf(vis.origin.y);
    int vw = (int)ceilf(vis.origin.x + vis.size.width) - x0;
    int vh = (int)ceilf(vis.origin.y + vis.size.height) - y0;
    int dw = vw * scale, dh = vh * scale;
    if (dw <= 0 || dh <= 0)
      return;
    int tw = gdk_texture_get_width(tex), th = gdk_texture_get_height(tex);
    const guint8 *src = g_bytes_get_data(bytes, NULL);
    guint8 *out = g_malloc0((gsize)dw * dh * 4);
    int *col = g_new(int, dw);
    for (int x = 0; x < dw; x++) {
      double ix, iy;
      to_image(self, pane, x0 + (x + 0.5) / scale, 0, &ix, &iy);
      col[x] = ix >= 0 && ix < tw ? (int)ix : -1;
    }
    for (int y = 0; y < dh; y++) {
      double ix, iy;
      to_image(self, pane, 0, y0 + (y + 0.5) / scale, &ix, &iy);
      if (iy < 0 || iy >= th)
        continue;
      const guint8 *row = src + (gsize)((int)iy) * tw * 4;
      guint8 *o = out + (gsize)y * dw * 4;
      for (int x = 0; x < dw; x++)
        if (col[x] >= 0)
          memcpy(o + x * 4, row + (gsize)col[x] * 4, 4);
    }
    g_free(col);
    GdkTexture *view = texture_from_rgba8(out, dw, dh);
    gtk_snapshot_push_clip(snapshot, clip);
    gtk_snapshot_append_texture(snapshot, view,
                                &GRAPHENE_RECT_INIT((float)x0, (float)y0, (float)vw, (float)vh));
    gtk_snapshot_pop(snapshot);
    g_object_unref(view);
    return;
  }
  double x0, y0;
  to_widget(self, pane, 0, 0, &x0, &y0);
  graphene_rect_t r =
      GRAPHENE_RECT_INIT((float)x0, (float)y0, (float)(gdk_texture_get_width(tex) * self->zoom),
                         (float)(gdk_texture_get_height(tex) * self->zoom));
  gtk_snapshot_push_clip(snapshot, clip);
  gtk_snapshot_append_texture(snapshot, tex, &r);
  gtk_snapshot_pop(snapshot);
}

static void
snapshot_software(SrViewer *self, GtkSnapshot *snapshot)
{
  float w = (float)gtk_widget_get_width(GTK_WIDGET(self));
  float h = (float)gtk_widget_get_height(GTK_WIDGET(self));
  float pw = (float)pane_width(self);
  GdkRGBA bg = {surround[0], surround[1], surround[2], 1};
  gtk_snapshot_append_color(snapshot, &bg, &GRAPHENE_RECT_INIT(0, 0, w, h));

  gboolean need_a = self->mode != SR_VIEWER_MODE_B && self->mode != SR_VIEWER_MODE_DIFFERENCE;
  gboolean need_b = self->mode != SR_VIEWER_MODE_A && self->mode != SR_VIEWER_MODE_DIFFERENCE;
  if (need_a)
    ensure_sw_slot(self, SW_A);
  if (need_b)
    ensure_sw_slot(self, SW_B);
  if (self->mode == SR_VIEWER_MODE_DIFFERENCE)
    ensure_sw_slot(self, SW_DIFF);

  graphene_rect_t all = GRAPHENE_RECT_INIT(0, 0, w, h);
  switch (self->mode) {
  case SR_VIEWER_MODE_A: snapshot_texture_at(self, snapshot, self->sw[SW_A].tex, 0, &all); break;
  case SR_VIEWER_MODE_B: snapshot_texture_at(self, snapshot, self->sw[SW_B].tex, 0, &all); break;
  case SR_VIEWER_MODE_DIFFERENCE:
    snapshot_texture_at(self, snapshot, self->sw[SW_DIFF].tex, 0, &all);
    break;
  case SR_VIEWER_MODE_SIDE_BY_SIDE:
    snapshot_texture_at(self, snapshot, self->sw[SW_A].tex, 0, &GRAPHENE_RECT_INIT(0, 0, pw, h));
    snapshot_texture_at(self, snapshot, self->sw[SW_B].tex, 1,
                        &GRAPHENE_RECT_INIT(pw, 0, w - pw, h));
    break;
  case SR_VIEWER_MODE_WIPE:
  default: {
    int rw = 1, rh = 1;
    reference_size(self, &rw, &rh);
    double lx, ly;
    to_widget(self, 0, self->wipe_position * rw, self->wipe_position * rh, &lx, &ly);
    graphene_rect_t ca, cb;
    if (self->wipe == SR_VIEWER_WIPE_VERTICAL) {
      float x = (float)CLAMP(lx, 0, w);
      ca = GRAPHENE_RECT_INIT(0, 0, x, h);
      cb = GRAPHENE_RECT_INIT(x, 0, w - x, h);
    } else {
      float y = (float)CLAMP(ly, 0, h);
      ca = GRAPHENE_RECT_INIT(0, 0, w, y);
      cb = GRAPHENE_RECT_INIT(0, y, w, h - y);
    }
    snapshot_texture_at(self, snapshot, self->sw[SW_A].tex, 0, &ca);
    snapshot_texture_at(self, snapshot, self->sw[SW_B].tex, 0, &cb);
  } break;
  }
}

/* ---- Overlays ------------------------------------------------------------ */

static void
handle_point(const sr_rect *r, int handle, double *ix, double *iy)
{
  double x0 = r->x, y0 = r->y, x1 = r->x + r->w, y1 = r->y + r->h;
  double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  static const int hx[8] = {0, 1, 2, 2, 2, 1, 0, 0};
  static const int hy[8] = {0, 0, 0, 1, 2, 2, 2, 1};
  *ix = hx[handle] == 0 ? x0 : (hx[handle] == 1 ? cx : x1);
  *iy = hy[handle] == 0 ? y0 : (hy[handle] == 1 ? cy : y1);
}

static void
append_rect_outline(GtkSnapshot *snapshot, graphene_rect_t r, float width, const GdkRGBA *c)
{
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect(&rr, &r, 0);
  float widths[4] = {width, width, width, width};
  GdkRGBA colours[4] = {*c, *c, *c, *c};
  gtk_snapshot_append_border(snapshot, &rr, widths, colours);
}

static void
snapshot_crop(SrViewer *self, GtkSnapshot *snapshot, int pane)
{
  const sr_rect *c = &self->crop;
  int rw, rh;
  if (sr_rect_is_empty(*c) || !reference_size(self, &rw, &rh))
    return;
  double x0, y0, x1, y1, ix0, iy0, ix1, iy1;
  to_widget(self, pane, c->x, c->y, &x0, &y0);
  to_widget(self, pane, c->x + c->w, c->y + c->h, &x1, &y1);
  to_widget(self, pane, 0, 0, &ix0, &iy0);
  to_widget(self, pane, rw, rh, &ix1, &iy1);
  x0 = round(x0), y0 = round(y0), x1 = round(x1), y1 = round(y1);
  ix0 = round(ix0), iy0 = round(iy0), ix1 = round(ix1), iy1 = round(iy1);

  /* Dim what the crop leaves out, within the picture. */
  GdkRGBA dim = {0, 0, 0, 0.5f};
  graphene_rect_t parts[4] = {
      GRAPHENE_RECT_INIT((float)ix0, (float)iy0, (float)(ix1 - ix0), (float)MAX(0, y0 - iy0)),
      GRAPHENE_RECT_INIT((float)ix0, (float)y1, (float)(ix1 - ix0), (float)MAX(0, iy1 - y1)),
      GRAPHENE_RECT_INIT((float)ix0, (float)y0, (float)MAX(0, x0 - ix0), (float)(y1 - y0)),
      GRAPHENE_RECT_INIT((float)x1, (float)y0, (float)MAX(0, ix1 - x1), (float)(y1 - y0)),
  };
  for (int i = 0; i < 4; i++)
    if (parts[i].size.width > 0 && parts[i].size.height > 0)
      gtk_snapshot_append_color(snapshot, &dim, &parts[i]);

  /* A light line with a dark rim reads on bright and dark pictures alike. */
  GdkRGBA dark = {0, 0, 0, 0.7f};
  GdkRGBA light = {1.0f, 0.78f, 0.2f, 1};
  append_rect_outline(
      snapshot,
      GRAPHENE_RECT_INIT((float)x0 - 2, (float)y0 - 2, (float)(x1 - x0) + 4, (float)(y1 - y0) + 4),
      1, &dark);
  append_rect_outline(
      snapshot,
      GRAPHENE_RECT_INIT((float)x0 - 1, (float)y0 - 1, (float)(x1 - x0) + 2, (float)(y1 - y0) + 2),
      1.5f, &light);

  if (!self->crop_edit)
    return;
  for (int hdl = 0; hdl < 8; hdl++) {
    double ix, iy, wx, wy;
    handle_point(c, hdl, &ix, &iy);
    to_widget(self, pane, ix, iy, &wx, &wy);
    float s = (float)HANDLE_SIZE;
    graphene_rect_t r =
        GRAPHENE_RECT_INIT((float)round(wx) - s / 2, (float)round(wy) - s / 2, s, s);
    gtk_snapshot_append_color(snapshot, &light, &r);
    append_rect_outline(snapshot, r, 1, &dark);
  }
}

/* A text box; returns its height (0 when nothing was drawn). */
static float
snapshot_text(SrViewer *self, GtkSnapshot *snapshot, const char *text, const char *font, double x,
              double y, gboolean right_align, gboolean bottom_align)
{
  if (text == NULL || text[0] == '\0')
    return 0;
  PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
  PangoFontDescription *fd = pango_font_description_from_string(font);
  pango_layout_set_font_description(layout, fd);
  pango_font_description_free(fd);
  int lw, lh;
  pango_layout_get_pixel_size(layout, &lw, &lh);
  const float pad_x = 7, pad_y = 3;
  float bw = lw + 2 * pad_x, bh = lh + 2 * pad_y;
  float bx = (float)(right_align ? x - bw : x);
  float by = (float)(bottom_align ? y - bh : y);
  bx = roundf(bx);
  by = roundf(by);
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect(&rr, &GRAPHENE_RECT_INIT(bx, by, bw, bh), 4);
  gtk_snapshot_push_rounded_clip(snapshot, &rr);
  GdkRGBA box = {0.05f, 0.05f, 0.06f, 0.72f};
  gtk_snapshot_append_color(snapshot, &box, &rr.bounds);
  gtk_snapshot_pop(snapshot);
  gtk_snapshot_save(snapshot);
  gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT(bx + pad_x, by + pad_y));
  GdkRGBA fg = {0.94f, 0.94f, 0.94f, 1};
  gtk_snapshot_append_layout(snapshot, layout, &fg);
  gtk_snapshot_restore(snapshot);
  g_object_unref(layout);
  return bh;
}

static void
snapshot_label(SrViewer *self, GtkSnapshot *snapshot, const char *text, double x, double y,
               gboolean right_align, gboolean bottom_align)
{
  snapshot_text(self, snapshot, text, "Sans Bold 9", x, y, right_align, bottom_align);
}

/* The pixel probe readout: position, then RGB and Y/Cb/Cr of A and B. */
static float
snapshot_probe(SrViewer *self, GtkSnapshot *snapshot, double x, double y)
{
  const SrViewerProbe *p = &self->probe;
  if (!p->valid)
    return 0;
  GString *t = g_string_new(NULL);
  g_string_append_printf(t, "x %d  y %d", p->x, p->y);
  const char *names[2] = {"A", "B"};
  const float *rgb[2] = {p->a_rgb, p->b_rgb};
  const float *ycc[2] = {p->a_ycbcr, p->b_ycbcr};
  gboolean has[2] = {p->has_a, p->has_b};
  for (int i = 0; i < 2; i++)
    if (has[i])
      g_string_append_printf(t, "\n%s  RGB %7.4f %7.4f %7.4f   Y %7.4f  Cb %+.4f  Cr %+.4f",
                             names[i], rgb[i][0], rgb[i][1], rgb[i][2], ycc[i][0], ycc[i][1],
                             ycc[i][2]);
  float hgt = snapshot_text(self, snapshot, t->str, "Monospace 8", x, y, TRUE, TRUE);
  g_string_free(t, TRUE);
  return hgt;
}

static void
snapshot_overlays(SrViewer *self, GtkSnapshot *snapshot)
{
  double w = gtk_widget_get_width(GTK_WIDGET(self));
  double h = gtk_widget_get_height(GTK_WIDGET(self));
  double pw = pane_width(self);
  int rw = 0, rh = 0;
  gboolean has_image = reference_size(self, &rw, &rh);
  GdkRGBA line = {0.95f, 0.95f, 0.95f, 0.95f};
  GdkRGBA shadow = {0, 0, 0, 0.6f};

  if (has_image && self->show_crop) {
    snapshot_crop(self, snapshot, 0);
    if (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE)
      snapshot_crop(self, snapshot, 1);
  }

  if (has_image && self->mode == SR_VIEWER_MODE_WIPE) {
    double lx, ly;
    to_widget(self, 0, self->wipe_position * rw, self->wipe_position * rh, &lx, &ly);
    if (self->wipe == SR_VIEWER_WIPE_VERTICAL && lx >= 0 && lx <= w) {
      float x = (float)round(lx);
      gtk_snapshot_append_color(snapshot, &shadow, &GRAPHENE_RECT_INIT(x - 2, 0, 4, (float)h));
      gtk_snapshot_append_color(snapshot, &line, &GRAPHENE_RECT_INIT(x - 1, 0, 2, (float)h));
      GskRoundedRect knob;
      gsk_rounded_rect_init_from_rect(&knob, &GRAPHENE_RECT_INIT(x - 6, (float)h / 2 - 18, 12, 36),
                                      6);
      gtk_snapshot_push_rounded_clip(snapshot, &knob);
      gtk_snapshot_append_color(snapshot, &line, &knob.bounds);
      gtk_snapshot_pop(snapshot);
    } else if (self->wipe == SR_VIEWER_WIPE_HORIZONTAL && ly >= 0 && ly <= h) {
      float y = (float)round(ly);
      gtk_snapshot_append_color(snapshot, &shadow, &GRAPHENE_RECT_INIT(0, y - 2, (float)w, 4));
      gtk_snapshot_append_color(snapshot, &line, &GRAPHENE_RECT_INIT(0, y - 1, (float)w, 2));
      GskRoundedRect knob;
      gsk_rounded_rect_init_from_rect(&knob, &GRAPHENE_RECT_INIT((float)w / 2 - 18, y - 6, 36, 12),
                                      6);
      gtk_snapshot_push_rounded_clip(snapshot, &knob);
      gtk_snapshot_append_color(snapshot, &line, &knob.bounds);
      gtk_snapshot_pop(snapshot);
    }
  }

  if (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE)
    gtk_snapshot_append_color(snapshot, &(GdkRGBA){0.03f, 0.03f, 0.035f, 1},
                              &GRAPHENE_RECT_INIT((float)pw - 1, 0, 2, (float)h));

  const double m = 10;
  double right_y = h - m;
  if (self->exposure != 0.0 && self->show_labels) {
    g_autofree char *t = g_strdup_printf("Exposure %+.1f", self->exposure);
    right_y -= snapshot_text(self, snapshot, t, "Sans Bold 9", w - m, right_y, TRUE, TRUE) + 6;
  }
  if (self->show_probe)
    snapshot_probe(self, snapshot, w - m, right_y);

  if (!self->show_labels)
    return;
  switch (self->mode) {
  case SR_VIEWER_MODE_A: snapshot_label(self, snapshot, self->label_a, m, m, FALSE, FALSE); break;
  case SR_VIEWER_MODE_B: snapshot_label(self, snapshot, self->label_b, m, m, FALSE, FALSE); break;
  case SR_VIEWER_MODE_WIPE:
    snapshot_label(self, snapshot, self->label_a, m, m, FALSE, FALSE);
    if (self->wipe == SR_VIEWER_WIPE_VERTICAL)
      snapshot_label(self, snapshot, self->label_b, w - m, m, TRUE, FALSE);
    else
      snapshot_label(self, snapshot, self->label_b, m, h - m - (self->frame_number >= 0 ? 30 : 0),
                     FALSE, TRUE);
    break;
  case SR_VIEWER_MODE_SIDE_BY_SIDE:
    snapshot_label(self, snapshot, self->label_a, m, m, FALSE, FALSE);
    snapshot_label(self, snapshot, self->label_b, pw + m, m, FALSE, FALSE);
    break;
  case SR_VIEWER_MODE_DIFFERENCE:
  default: {
    g_autofree char *t = g_strdup_printf("|A − B| × %g", self->gain);
    snapshot_label(self, snapshot, t, m, m, FALSE, FALSE);
  } break;
  }
  if (self->frame_number >= 0) {
    g_autofree char *t = g_strdup_printf("Frame %d", self->frame_number);
    snapshot_label(self, snapshot, t, m, h - m, FALSE, TRUE);
  }
}

/* ---- GtkWidget ----------------------------------------------------------- */

static void
sr_viewer_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  SrViewer *self = SR_VIEWER(widget);
  float w = (float)gtk_widget_get_width(widget), h = (float)gtk_widget_get_height(widget);
  gtk_snapshot_push_clip(snapshot, &GRAPHENE_RECT_INIT(0, 0, w, h));
  if (self->software)
    snapshot_software(self, snapshot);
  else
    gtk_widget_snapshot_child(widget, self->gl_area, snapshot);
  snapshot_overlays(self, snapshot);
  gtk_snapshot_pop(snapshot);
}

static void
sr_viewer_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                  int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 64;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 400;
}

static void
sr_viewer_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
  SrViewer *self = SR_VIEWER(widget);
  gtk_widget_allocate(self->gl_area, width, height, baseline, NULL);
  if (self->zoom_fit) {
    apply_fit(self);
    notify_view(self);
  }
}

/* ---- Probe --------------------------------------------------------------- */

static void
read_pixel(const sr_image *img, int x, int y, float rgb[4])
{
  const float *p = sr_image_row(img, y) + (gsize)x * img->channels;
  if (img->channels >= 3) {
    rgb[0] = p[0];
    rgb[1] = p[1];
    rgb[2] = p[2];
    rgb[3] = img->channels == 4 ? p[3] : 1.0f;
  } else {
    rgb[0] = rgb[1] = rgb[2] = p[0];
    rgb[3] = 1.0f;
  }
}

void
sr_viewer_probe_pixel(SrViewer *self, int x, int y, SrViewerProbe *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  g_return_if_fail(out != NULL);
  memset(out, 0, sizeof *out);
  out->x = x;
  out->y = y;
  const sr_image *a = image_a(self), *b = image_b(self);
  if (a != NULL && x >= 0 && y >= 0 && x < a->width && y < a->height) {
    out->has_a = TRUE;
    read_pixel(a, x, y, out->a_rgb);
    sr_rgb_to_ycbcr(self->matrix, out->a_rgb, out->a_ycbcr, 1, 3);
  }
  if (b != NULL && x >= 0 && y >= 0 && x < b->width && y < b->height) {
    out->has_b = TRUE;
    read_pixel(b, x, y, out->b_rgb);
    sr_rgb_to_ycbcr(self->matrix, out->b_rgb, out->b_ycbcr, 1, 3);
  }
  out->valid = out->has_a || out->has_b;
}

static void
set_probe(SrViewer *self, const SrViewerProbe *p)
{
  if (memcmp(p, &self->probe, sizeof *p) == 0)
    return;
  self->probe = *p;
  if (self->show_probe)
    gtk_widget_queue_draw(GTK_WIDGET(self));
  SrViewerProbe copy = *p;
  g_signal_emit(self, signals[SIGNAL_PROBE], 0, &copy);
}

void
sr_viewer_probe_at(SrViewer *self, double wx, double wy, SrViewerProbe *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  SrViewerProbe p = {0};
  double ix, iy;
  if (sr_viewer_widget_to_image(self, wx, wy, &ix, &iy))
    sr_viewer_probe_pixel(self, (int)floor(ix), (int)floor(iy), &p);
  else
    p.x = p.y = -1;
  set_probe(self, &p);
  if (out != NULL)
    *out = p;
}

void
sr_viewer_get_probe(SrViewer *self, SrViewerProbe *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  *out = self->probe;
}

static void
refresh_probe(SrViewer *self)
{
  if (self->pointer_in)
    sr_viewer_probe_at(self, self->pointer_x, self->pointer_y, NULL);
  else if (self->probe.valid)
    sr_viewer_probe_pixel(self, self->probe.x, self->probe.y, &self->probe);
}

void
sr_viewer_set_ycbcr_matrix(SrViewer *self, sr_ycbcr_matrix matrix)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (self->matrix == matrix)
    return;
  self->matrix = matrix;
  refresh_probe(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_YCBCR_MATRIX]);
}

/* ---- Pointer and keys ---------------------------------------------------- */

static int
hit_handle(SrViewer *self, double wx, double wy)
{
  if (!self->crop_edit || !self->show_crop || sr_rect_is_empty(self->crop))
    return HANDLE_NONE;
  int pane = pane_of(self, wx);
  int best = HANDLE_NONE;
  double best_d = HANDLE_HIT;
  for (int h = 0; h < 8; h++) {
    double ix, iy, hx, hy;
    handle_point(&self->crop, h, &ix, &iy);
    to_widget(self, pane, ix, iy, &hx, &hy);
    double d = MAX(fabs(hx - wx), fabs(hy - wy));
    if (d <= best_d) {
      best = h;
      best_d = d;
    }
  }
  return best;
}

static gboolean
hit_wipe(SrViewer *self, double wx, double wy)
{
  int rw, rh;
  if (self->mode != SR_VIEWER_MODE_WIPE || !reference_size(self, &rw, &rh))
    return FALSE;
  double lx, ly;
  to_widget(self, 0, self->wipe_position * rw, self->wipe_position * rh, &lx, &ly);
  return self->wipe == SR_VIEWER_WIPE_VERTICAL ? fabs(wx - lx) <= WIPE_HIT
                                               : fabs(wy - ly) <= WIPE_HIT;
}

static void
notify_crop(SrViewer *self)
{
  g_object_freeze_notify(G_OBJECT(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CROP_X]);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CROP_Y]);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CROP_WIDTH]);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CROP_HEIGHT]);
  g_object_thaw_notify(G_OBJECT(self));
}

SrViewerDrag
sr_viewer_drag_begin(SrViewer *self, guint button, double wx, double wy)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_VIEWER_DRAG_NONE);
  self->drag = SR_VIEWER_DRAG_NONE;
  self->drag_start_x = wx;
  self->drag_start_y = wy;
  self->drag_start_pan_x = self->pan_x;
  self->drag_start_pan_y = self->pan_y;
  self->drag_start_crop = self->crop;
  self->drag_pane = pane_of(self, wx);
  self->drag_handle = HANDLE_NONE;
  int rw, rh;
  if (!reference_size(self, &rw, &rh))
    return SR_VIEWER_DRAG_NONE;

  if (button == 2 || (button == 1 && self->space_held))
    self->drag = SR_VIEWER_DRAG_PAN;
  else if (button == 1) {
    int h = hit_handle(self, wx, wy);
    if (h != HANDLE_NONE) {
      self->drag = SR_VIEWER_DRAG_CROP_HANDLE;
      self->drag_handle = h;
    } else if (hit_wipe(self, wx, wy))
      self->drag = SR_VIEWER_DRAG_WIPE;
    else
      self->drag = SR_VIEWER_DRAG_PAN;
  }
  return self->drag;
}

static int
round_even(double v)
{
  return 2 * (int)lround(v / 2.0);
}

static void
drag_crop(SrViewer *self, double ix, double iy)
{
  int rw = 1, rh = 1;
  reference_size(self, &rw, &rh);
  const sr_rect s = self->drag_start_crop;
  int h = self->drag_handle;
  gboolean left = h == HANDLE_TL || h == HANDLE_BL || h == HANDLE_L;
  gboolean right = h == HANDLE_TR || h == HANDLE_BR || h == HANDLE_R;
  gboolean top = h == HANDLE_TL || h == HANDLE_T || h == HANDLE_TR;
  gboolean bottom = h == HANDLE_BL || h == HANDLE_B || h == HANDLE_BR;
  int x0 = s.x, y0 = s.y, x1 = s.x + s.w, y1 = s.y + s.h;
  int min_w = MIN(MIN_CROP, rw - rw % 2), min_h = MIN(MIN_CROP, rh - rh % 2);

  /* The edge being dragged follows the pointer; the opposite edge stays,
   * and the moving edge settles where the size comes out even. */
  if (left) {
    int w = round_even(x1 - CLAMP(ix, 0, x1));
    w = CLAMP(w, min_w, x1 - x1 % 2);
    x0 = x1 - w;
  } else if (right) {
    int w = round_even(CLAMP(ix, x0, rw) - x0);
    w = CLAMP(w, min_w, (rw - x0) - (rw - x0) % 2);
    x1 = x0 + w;
  }
  if (top) {
    int hh = round_even(y1 - CLAMP(iy, 0, y1));
    hh = CLAMP(hh, min_h, y1 - y1 % 2);
    y0 = y1 - hh;
  } else if (bottom) {
    int hh = round_even(CLAMP(iy, y0, rh) - y0);
    hh = CLAMP(hh, min_h, (rh - y0) - (rh - y0) % 2);
    y1 = y0 + hh;
  }
  sr_rect r = {x0, y0, x1 - x0, y1 - y0};
  if (!sr_rect_equal(r, self->crop) && r.w > 0 && r.h > 0) {
    self->crop = r;
    notify_crop(self);
    gtk_widget_queue_draw(GTK_WIDGET(self));
  }
}

void
sr_viewer_drag_update(SrViewer *self, double wx, double wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  int rw = 1, rh = 1;
  if (!reference_size(self, &rw, &rh))
    return;
  switch (self->drag) {
  case SR_VIEWER_DRAG_PAN:
    self->zoom_fit = FALSE;
    self->pan_x = self->drag_start_pan_x - (wx - self->drag_start_x) / self->zoom;
    self->pan_y = self->drag_start_pan_y - (wy - self->drag_start_y) / self->zoom;
    notify_view(self);
    redraw(self);
    break;
  case SR_VIEWER_DRAG_WIPE: {
    double ix, iy;
    to_image(self, 0, wx, wy, &ix, &iy);
    sr_viewer_set_wipe_position(self, self->wipe == SR_VIEWER_WIPE_VERTICAL ? ix / rw : iy / rh);
  } break;
  case SR_VIEWER_DRAG_CROP_HANDLE: {
    double ix, iy;
    to_image(self, self->drag_pane, wx, wy, &ix, &iy);
    drag_crop(self, ix, iy);
  } break;
  case SR_VIEWER_DRAG_NONE:
  default: break;
  }
}

void
sr_viewer_drag_end(SrViewer *self, double wx, double wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  sr_viewer_drag_update(self, wx, wy);
  SrViewerDrag was = self->drag;
  self->drag = SR_VIEWER_DRAG_NONE;
  if (was == SR_VIEWER_DRAG_CROP_HANDLE)
    g_signal_emit(self, signals[SIGNAL_CROP_EDITED], 0, self->crop.x, self->crop.y, self->crop.w,
                  self->crop.h);
}

void
sr_viewer_set_space_held(SrViewer *self, gboolean held)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  self->space_held = held;
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), held ? "grab" : NULL);
}

static guint
current_button(GtkGesture *gesture)
{
  return gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(gesture));
}

static void
drag_begin_cb(GtkGestureDrag *gesture, double x, double y, SrViewer *self)
{
  gtk_widget_grab_focus(GTK_WIDGET(self));
  if (sr_viewer_drag_begin(self, current_button(GTK_GESTURE(gesture)), x, y) == SR_VIEWER_DRAG_NONE)
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_DENIED);
  else
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  if (self->drag == SR_VIEWER_DRAG_PAN)
    gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "grabbing");
}

static void
drag_update_cb(GtkGestureDrag *gesture, double dx, double dy, SrViewer *self)
{
  sr_viewer_drag_update(self, self->drag_start_x + dx, self->drag_start_y + dy);
}

static void
drag_end_cb(GtkGestureDrag *gesture, double dx, double dy, SrViewer *self)
{
  sr_viewer_drag_end(self, self->drag_start_x + dx, self->drag_start_y + dy);
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), self->space_held ? "grab" : NULL);
}

static void
update_cursor(SrViewer *self, double x, double y)
{
  if (self->drag != SR_VIEWER_DRAG_NONE || self->space_held)
    return;
  static const char *names[8] = {"nw-resize", "n-resize", "ne-resize", "e-resize",
                                 "se-resize", "s-resize", "sw-resize", "w-resize"};
  int h = hit_handle(self, x, y);
  const char *name = NULL;
  if (h != HANDLE_NONE)
    name = names[h];
  else if (hit_wipe(self, x, y))
    name = self->wipe == SR_VIEWER_WIPE_VERTICAL ? "col-resize" : "row-resize";
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), name);
}

static void
motion_cb(GtkEventControllerMotion *motion, double x, double y, SrViewer *self)
{
  self->pointer_in = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  update_cursor(self, x, y);
  sr_viewer_probe_at(self, x, y, NULL);
}

static void
leave_cb(GtkEventControllerMotion *motion, SrViewer *self)
{
  self->pointer_in = FALSE;
  SrViewerProbe p = {0};
  p.x = p.y = -1;
  set_probe(self, &p);
}

static gboolean
scroll_cb(GtkEventControllerScroll *scroll, double dx, double dy, SrViewer *self)
{
  if (dy == 0)
    return FALSE;
  double x = self->pointer_in ? self->pointer_x : gtk_widget_get_width(GTK_WIDGET(self)) / 2.0;
  double y = self->pointer_in ? self->pointer_y : gtk_widget_get_height(GTK_WIDGET(self)) / 2.0;
  /* One wheel notch is a quarter of a stop of magnification. */
  sr_viewer_zoom_at(self, pow(2.0, -dy * 0.25), x, y);
  return TRUE;
}

static gboolean
key_pressed_cb(GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state,
               SrViewer *self)
{
  if (keyval == GDK_KEY_space) {
    sr_viewer_set_space_held(self, TRUE);
    return TRUE;
  }
  return FALSE;
}

static void
key_released_cb(GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state,
                SrViewer *self)
{
  if (keyval == GDK_KEY_space)
    sr_viewer_set_space_held(self, FALSE);
}

static void
action_toggle(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_viewer_toggle_ab(SR_VIEWER(widget));
}

static void
action_zoom_fit(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_viewer_zoom_fit(SR_VIEWER(widget));
}

static void
action_zoom_one(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_viewer_zoom_one(SR_VIEWER(widget));
}

static void
action_zoom_step(GtkWidget *widget, const char *name, GVariant *param)
{
  SrViewer *self = SR_VIEWER(widget);
  double f = g_str_equal(name, "viewer.zoom-in") ? 2.0 : 0.5;
  sr_viewer_zoom_at(self, f,
                    gtk_widget_get_width(widget) / 2.0 -
                        (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE ? pane_width(self) / 2.0 : 0),
                    gtk_widget_get_height(widget) / 2.0);
}

/* ---- Object -------------------------------------------------------------- */

static void
rebuild_lut(SrViewer *self)
{
  g_autoptr(GError) error = NULL;
  SrDisplayLut *lut = sr_display_lut_new(self->colourspace, self->display_profile, 0, &error);
  if (lut == NULL && self->display_profile != NULL) {
    g_warning("%s", error->message);
    g_clear_error(&error);
    lut = sr_display_lut_new(self->colourspace, NULL, 0, &error);
  }
  if (lut == NULL) {
    g_warning("%s", error->message);
    return;
  }
  sr_display_lut_free(self->lut);
  self->lut = lut;
  self->lut_dirty = TRUE;
  invalidate_software(self);
  redraw(self);
}

static void
sr_viewer_dispose(GObject *object)
{
  SrViewer *self = SR_VIEWER(object);
  release_slot(&self->gl_a);
  release_slot(&self->gl_b);
  g_clear_pointer(&self->gl_area, gtk_widget_unparent);
  g_clear_pointer(&self->frame_a, sr_frame_unref);
  g_clear_pointer(&self->frame_b, sr_frame_unref);
  release_software(self);
  G_OBJECT_CLASS(sr_viewer_parent_class)->dispose(object);
}

static void
sr_viewer_finalize(GObject *object)
{
  SrViewer *self = SR_VIEWER(object);
  sr_display_lut_free(self->lut);
  g_free(self->display_profile);
  g_free(self->label_a);
  g_free(self->label_b);
  g_free(self->fallback_reason);
  g_hash_table_unref(self->uniforms);
  G_OBJECT_CLASS(sr_viewer_parent_class)->finalize(object);
}

static void
sr_viewer_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SrViewer *self = SR_VIEWER(object);
  switch (prop_id) {
  case PROP_MODE: g_value_set_enum(value, self->mode); break;
  case PROP_WIPE_ORIENTATION: g_value_set_enum(value, self->wipe); break;
  case PROP_WIPE_POSITION: g_value_set_double(value, self->wipe_position); break;
  case PROP_DIFFERENCE_GAIN: g_value_set_double(value, self->gain); break;
  case PROP_EXPOSURE: g_value_set_double(value, self->exposure); break;
  case PROP_ZOOM: g_value_set_double(value, self->zoom); break;
  case PROP_ZOOM_FIT: g_value_set_boolean(value, self->zoom_fit); break;
  case PROP_PAN_X: g_value_set_double(value, self->pan_x); break;
  case PROP_PAN_Y: g_value_set_double(value, self->pan_y); break;
  case PROP_COLOURSPACE: g_value_set_int(value, self->colourspace); break;
  case PROP_DISPLAY_PROFILE: g_value_set_string(value, self->display_profile); break;
  case PROP_YCBCR_MATRIX: g_value_set_int(value, self->matrix); break;
  case PROP_CROP_X: g_value_set_int(value, self->crop.x); break;
  case PROP_CROP_Y: g_value_set_int(value, self->crop.y); break;
  case PROP_CROP_WIDTH: g_value_set_int(value, self->crop.w); break;
  case PROP_CROP_HEIGHT: g_value_set_int(value, self->crop.h); break;
  case PROP_SHOW_CROP: g_value_set_boolean(value, self->show_crop); break;
  case PROP_CROP_EDIT: g_value_set_boolean(value, self->crop_edit); break;
  case PROP_SHOW_LABELS: g_value_set_boolean(value, self->show_labels); break;
  case PROP_SHOW_PROBE: g_value_set_boolean(value, self->show_probe); break;
  case PROP_LABEL_A: g_value_set_string(value, self->label_a); break;
  case PROP_LABEL_B: g_value_set_string(value, self->label_b); break;
  case PROP_FRAME_NUMBER: g_value_set_int(value, self->frame_number); break;
  case PROP_RENDERER: g_value_set_string(value, sr_viewer_get_renderer(self)); break;
  case PROP_FALLBACK_REASON: g_value_set_string(value, self->fallback_reason); break;
  case PROP_FORCE_SOFTWARE: g_value_set_boolean(value, self->force_software); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
set_crop_field(SrViewer *self, int field, int v)
{
  sr_rect r = self->crop;
  switch (field) {
  case PROP_CROP_X: r.x = v; break;
  case PROP_CROP_Y: r.y = v; break;
  case PROP_CROP_WIDTH: r.w = v; break;
  default: r.h = v; break;
  }
  sr_viewer_set_crop(self, &r);
}

static void
sr_viewer_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SrViewer *self = SR_VIEWER(object);
  switch (prop_id) {
  case PROP_MODE: sr_viewer_set_mode(self, g_value_get_enum(value)); break;
  case PROP_WIPE_ORIENTATION: sr_viewer_set_wipe_orientation(self, g_value_get_enum(value)); break;
  case PROP_WIPE_POSITION: sr_viewer_set_wipe_position(self, g_value_get_double(value)); break;
  case PROP_DIFFERENCE_GAIN: sr_viewer_set_difference_gain(self, g_value_get_double(value)); break;
  case PROP_EXPOSURE: sr_viewer_set_exposure(self, g_value_get_double(value)); break;
  case PROP_ZOOM: sr_viewer_set_zoom(self, g_value_get_double(value)); break;
  case PROP_ZOOM_FIT:
    if (g_value_get_boolean(value))
      sr_viewer_zoom_fit(self);
    else if (self->zoom_fit) {
      self->zoom_fit = FALSE;
      g_object_notify_by_pspec(object, pspec);
    }
    break;
  case PROP_PAN_X: sr_viewer_set_pan(self, g_value_get_double(value), self->pan_y); break;
  case PROP_PAN_Y: sr_viewer_set_pan(self, self->pan_x, g_value_get_double(value)); break;
  case PROP_COLOURSPACE: sr_viewer_set_colourspace(self, g_value_get_int(value)); break;
  case PROP_DISPLAY_PROFILE: sr_viewer_set_display_profile(self, g_value_get_string(value)); break;
  case PROP_YCBCR_MATRIX: sr_viewer_set_ycbcr_matrix(self, g_value_get_int(value)); break;
  case PROP_CROP_X:
  case PROP_CROP_Y:
  case PROP_CROP_WIDTH:
  case PROP_CROP_HEIGHT: set_crop_field(self, (int)prop_id, g_value_get_int(value)); break;
  case PROP_SHOW_CROP: sr_viewer_set_show_crop(self, g_value_get_boolean(value)); break;
  case PROP_CROP_EDIT: sr_viewer_set_crop_edit(self, g_value_get_boolean(value)); break;
  case PROP_SHOW_LABELS: sr_viewer_set_show_labels(self, g_value_get_boolean(value)); break;
  case PROP_SHOW_PROBE: sr_viewer_set_show_probe(self, g_value_get_boolean(value)); break;
  case PROP_LABEL_A: sr_viewer_set_labels(self, g_value_get_string(value), self->label_b); break;
  case PROP_LABEL_B: sr_viewer_set_labels(self, self->label_a, g_value_get_string(value)); break;
  case PROP_FRAME_NUMBER: sr_viewer_set_frame_number(self, g_value_get_int(value)); break;
  case PROP_FORCE_SOFTWARE: sr_viewer_set_force_software(self, g_value_get_boolean(value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

#define RW (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)
#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void
sr_viewer_class_init(SrViewerClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  oc->dispose = sr_viewer_dispose;
  oc->finalize = sr_viewer_finalize;
  oc->get_property = sr_viewer_get_property;
  oc->set_property = sr_viewer_set_property;
  wc->snapshot = sr_viewer_snapshot;
  wc->measure = sr_viewer_measure;
  wc->size_allocate = sr_viewer_size_allocate;

  props[PROP_MODE] =
      g_param_spec_enum("mode", NULL, NULL, SR_TYPE_VIEWER_MODE, SR_VIEWER_MODE_A, RW);
  props[PROP_WIPE_ORIENTATION] = g_param_spec_enum(
      "wipe-orientation", NULL, NULL, SR_TYPE_VIEWER_WIPE, SR_VIEWER_WIPE_VERTICAL, RW);
  props[PROP_WIPE_POSITION] = g_param_spec_double("wipe-position", NULL, NULL, 0, 1, 0.5, RW);
  props[PROP_DIFFERENCE_GAIN] =
      g_param_spec_double("difference-gain", NULL, NULL, 0.01, 10000, 8, RW);
  props[PROP_EXPOSURE] = g_param_spec_double("exposure", NULL, NULL, -20, 20, 0, RW);
  props[PROP_ZOOM] = g_param_spec_double("zoom", NULL, NULL, MIN_ZOOM, MAX_ZOOM, 1, RW);
  props[PROP_ZOOM_FIT] = g_param_spec_boolean("zoom-fit", NULL, NULL, TRUE, RW);
  props[PROP_PAN_X] = g_param_spec_double("pan-x", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, RW);
  props[PROP_PAN_Y] = g_param_spec_double("pan-y", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, RW);
  props[PROP_COLOURSPACE] =
      g_param_spec_int("colourspace", NULL, NULL, 0, SR_CS_COUNT - 1, SR_CS_REC709, RW);
  props[PROP_DISPLAY_PROFILE] = g_param_spec_string("display-profile", NULL, NULL, NULL, RW);
  props[PROP_YCBCR_MATRIX] = g_param_spec_int("ycbcr-matrix", NULL, NULL, SR_YCBCR_BT709,
                                              SR_YCBCR_BT601, SR_YCBCR_BT709, RW);
  props[PROP_CROP_X] = g_param_spec_int("crop-x", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  props[PROP_CROP_Y] = g_param_spec_int("crop-y", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  props[PROP_CROP_WIDTH] = g_param_spec_int("crop-width", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  props[PROP_CROP_HEIGHT] = g_param_spec_int("crop-height", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  props[PROP_SHOW_CROP] = g_param_spec_boolean("show-crop", NULL, NULL, TRUE, RW);
  props[PROP_CROP_EDIT] = g_param_spec_boolean("crop-edit", NULL, NULL, FALSE, RW);
  props[PROP_SHOW_LABELS] = g_param_spec_boolean("show-labels", NULL, NULL, TRUE, RW);
  props[PROP_SHOW_PROBE] = g_param_spec_boolean("show-probe", NULL, NULL, TRUE, RW);
  props[PROP_LABEL_A] = g_param_spec_string("label-a", NULL, NULL, "A: Source", RW);
  props[PROP_LABEL_B] = g_param_spec_string("label-b", NULL, NULL, "B: Recovered", RW);
  props[PROP_FRAME_NUMBER] = g_param_spec_int("frame-number", NULL, NULL, -1, G_MAXINT, -1, RW);
  props[PROP_RENDERER] = g_param_spec_string("renderer", NULL, NULL, "none", RO);
  props[PROP_FALLBACK_REASON] = g_param_spec_string("fallback-reason", NULL, NULL, NULL, RO);
  props[PROP_FORCE_SOFTWARE] = g_param_spec_boolean("force-software", NULL, NULL, FALSE, RW);
  g_object_class_install_properties(oc, N_PROPS, props);

  signals[SIGNAL_PROBE] =
      g_signal_new("probe", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                   G_TYPE_NONE, 1, SR_TYPE_VIEWER_PROBE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_CROP_EDITED] =
      g_signal_new("crop-edited", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                   G_TYPE_NONE, 4, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_GL_ERROR] = g_signal_new("gl-error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action(wc, "viewer.toggle-ab", NULL, action_toggle);
  gtk_widget_class_install_action(wc, "viewer.zoom-fit", NULL, action_zoom_fit);
  gtk_widget_class_install_action(wc, "viewer.zoom-one", NULL, action_zoom_one);
  gtk_widget_class_install_action(wc, "viewer.zoom-in", NULL, action_zoom_step);
  gtk_widget_class_install_action(wc, "viewer.zoom-out", NULL, action_zoom_step);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_t, 0, "viewer.toggle-ab", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_f, 0, "viewer.zoom-fit", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_1, 0, "viewer.zoom-one", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_plus, 0, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_equal, 0, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Add, 0, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_minus, 0, "viewer.zoom-out", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Subtract, 0, "viewer.zoom-out", NULL);

  gtk_widget_class_set_css_name(wc, "srviewer");
  gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sr_viewer_init(SrViewer *self)
{
  self->colourspace = SR_CS_REC709;
  self->mode = SR_VIEWER_MODE_A;
  self->wipe = SR_VIEWER_WIPE_VERTICAL;
  self->wipe_position = 0.5;
  self->gain = 8.0;
  self->zoom = 1.0;
  self->zoom_fit = TRUE;
  self->matrix = SR_YCBCR_BT709;
  self->show_crop = TRUE;
  self->show_labels = TRUE;
  self->show_probe = TRUE;
  self->label_a = g_strdup("A: Source");
  self->label_b = g_strdup("B: Recovered");
  self->frame_number = -1;
  self->probe.x = self->probe.y = -1;
  self->drag_handle = HANDLE_NONE;
  self->uniforms = g_hash_table_new(g_str_hash, g_str_equal);
  rebuild_lut(self);

  gtk_widget_set_focusable(GTK_WIDGET(self), TRUE);
  gtk_widget_set_overflow(GTK_WIDGET(self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);

  self->gl_area = gtk_gl_area_new();
  gtk_gl_area_set_auto_render(GTK_GL_AREA(self->gl_area), TRUE);
  gtk_widget_set_can_target(self->gl_area, FALSE);
  gtk_widget_set_parent(self->gl_area, GTK_WIDGET(self));
  g_signal_connect(self->gl_area, "realize", G_CALLBACK(gl_realize_cb), self);
  g_signal_connect(self->gl_area, "unrealize", G_CALLBACK(gl_unrealize_cb), self);
  g_signal_connect(self->gl_area, "render", G_CALLBACK(gl_render_cb), self);

  GtkGesture *drag = gtk_gesture_drag_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), 0);
  g_signal_connect(drag, "drag-begin", G_CALLBACK(drag_begin_cb), self);
  g_signal_connect(drag, "drag-update", G_CALLBACK(drag_update_cb), self);
  g_signal_connect(drag, "drag-end", G_CALLBACK(drag_end_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(motion_cb), self);
  g_signal_connect(motion, "motion", G_CALLBACK(motion_cb), self);
  g_signal_connect(motion, "leave", G_CALLBACK(leave_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), motion);

  GtkEventController *scroll =
      gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect(scroll, "scroll", G_CALLBACK(scroll_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), scroll);

  GtkEventController *keys = gtk_event_controller_key_new();
  g_signal_connect(keys, "key-pressed", G_CALLBACK(key_pressed_cb), self);
  g_signal_connect(keys, "key-released", G_CALLBACK(key_released_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), keys);
}

GtkWidget *
sr_viewer_new(void)
{
  return g_object_new(SR_TYPE_VIEWER, NULL);
}

/* ---- Frames -------------------------------------------------------------- */

static void
frames_changed(SrViewer *self, gboolean size_changed)
{
  invalidate_software(self);
  if (self->zoom_fit || size_changed) {
    if (size_changed && !self->zoom_fit) {
      /* A new size: keep the zoom but re-centre, so the picture is in view. */
      int w, h;
      if (reference_size(self, &w, &h)) {
        self->pan_x = w / 2.0;
        self->pan_y = h / 2.0;
      }
    } else
      apply_fit(self);
    notify_view(self);
  }
  refresh_probe(self);
  redraw(self);
}

void
sr_viewer_set_frames(SrViewer *self, SrFrame *a, SrFrame *b)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  int ow = 0, oh = 0, nw = 0, nh = 0;
  gboolean had = reference_size(self, &ow, &oh);
  if (a != self->frame_a) {
    if (a != NULL)
      sr_frame_ref(a);
    sr_frame_unref(self->frame_a);
    self->frame_a = a;
  }
  if (b != self->frame_b) {
    if (b != NULL)
      sr_frame_ref(b);
    sr_frame_unref(self->frame_b);
    self->frame_b = b;
  }
  gboolean has = reference_size(self, &nw, &nh);
  frames_changed(self, had != has || ow != nw || oh != nh);
}

void
sr_viewer_set_frame_a(SrViewer *self, SrFrame *frame)
{
  sr_viewer_set_frames(self, frame, self->frame_b);
}

void
sr_viewer_set_frame_b(SrViewer *self, SrFrame *frame)
{
  sr_viewer_set_frames(self, self->frame_a, frame);
}

SrFrame *
sr_viewer_get_frame_a(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->frame_a;
}

SrFrame *
sr_viewer_get_frame_b(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->frame_b;
}

static void
set_image(SrViewer *self, const sr_image *img, gboolean is_a)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  SrFrame *f = NULL;
  if (img != NULL) {
    g_autoptr(GError) error = NULL;
    f = sr_frame_new_copy(img, -1, &error);
    if (f == NULL) {
      g_warning("Viewer: %s", error->message);
      return;
    }
  }
  if (is_a)
    sr_viewer_set_frame_a(self, f);
  else
    sr_viewer_set_frame_b(self, f);
  sr_frame_unref(f);
}

void
sr_viewer_set_image_a(SrViewer *self, const sr_image *img)
{
  set_image(self, img, TRUE);
}

void
sr_viewer_set_image_b(SrViewer *self, const sr_image *img)
{
  set_image(self, img, FALSE);
}

/* ---- Display ------------------------------------------------------------- */

void
sr_viewer_set_colourspace(SrViewer *self, sr_colourspace cs)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  g_return_if_fail((int)cs >= 0 && cs < SR_CS_COUNT);
  if (self->colourspace == cs)
    return;
  self->colourspace = cs;
  rebuild_lut(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_COLOURSPACE]);
}

sr_colourspace
sr_viewer_get_colourspace(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_CS_REC709);
  return self->colourspace;
}

void
sr_viewer_set_display_profile(SrViewer *self, const char *icc_path)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (icc_path != NULL && icc_path[0] == '\0')
    icc_path = NULL;
  if (g_strcmp0(self->display_profile, icc_path) == 0)
    return;
  g_free(self->display_profile);
  self->display_profile = g_strdup(icc_path);
  rebuild_lut(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_DISPLAY_PROFILE]);
}

const char *
sr_viewer_get_display_profile(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->display_profile;
}

void
sr_viewer_set_exposure(SrViewer *self, double stops)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  stops = CLAMP(stops, -20.0, 20.0);
  if (self->exposure == stops)
    return;
  self->exposure = stops;
  invalidate_sw(self, SW_A);
  invalidate_sw(self, SW_B);
  redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_EXPOSURE]);
}

double
sr_viewer_get_exposure(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 0);
  return self->exposure;
}

/* ---- Comparison ---------------------------------------------------------- */

void
sr_viewer_set_mode(SrViewer *self, SrViewerMode mode)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  g_return_if_fail(mode <= SR_VIEWER_MODE_DIFFERENCE);
  if (self->mode == mode)
    return;
  gboolean sbs_changed =
      (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE) != (mode == SR_VIEWER_MODE_SIDE_BY_SIDE);
  self->mode = mode;
  if (sbs_changed && self->zoom_fit) {
    apply_fit(self);
    notify_view(self);
  }
  redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_MODE]);
}

SrViewerMode
sr_viewer_get_mode(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_VIEWER_MODE_A);
  return self->mode;
}

void
sr_viewer_toggle_ab(SrViewer *self)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  sr_viewer_set_mode(self, self->mode == SR_VIEWER_MODE_A ? SR_VIEWER_MODE_B : SR_VIEWER_MODE_A);
}

void
sr_viewer_set_wipe_orientation(SrViewer *self, SrViewerWipe wipe)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (self->wipe == wipe)
    return;
  self->wipe = wipe;
  redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_WIPE_ORIENTATION]);
}

SrViewerWipe
sr_viewer_get_wipe_orientation(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_VIEWER_WIPE_VERTICAL);
  return self->wipe;
}

void
sr_viewer_set_wipe_position(SrViewer *self, double position)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  position = isfinite(position) ? CLAMP(position, 0.0, 1.0) : 0.5;
  if (self->wipe_position == position)
    return;
  self->wipe_position = position;
  redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_WIPE_POSITION]);
}

double
sr_viewer_get_wipe_position(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 0.5);
  return self->wipe_position;
}

void
sr_viewer_set_difference_gain(SrViewer *self, double gain)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  gain = CLAMP(gain, 0.01, 10000.0);
  if (self->gain == gain)
    return;
  self->gain = gain;
  invalidate_sw(self, SW_DIFF);
  redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_DIFFERENCE_GAIN]);
}

double
sr_viewer_get_difference_gain(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 1);
  return self->gain;
}

/* ---- Zoom and pan -------------------------------------------------------- */

void
sr_viewer_set_zoom(SrViewer *self, double zoom)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (!isfinite(zoom))
    return;
  self->zoom = CLAMP(zoom, MIN_ZOOM, MAX_ZOOM);
  self->zoom_fit = FALSE;
  notify_view(self);
  refresh_probe(self);
  redraw(self);
}

double
sr_viewer_get_zoom(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 1);
  return self->zoom;
}

void
sr_viewer_zoom_at(SrViewer *self, double factor, double wx, double wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (!isfinite(factor) || factor <= 0)
    return;
  int pane = pane_of(self, wx);
  double ix, iy;
  to_image(self, pane, wx, wy, &ix, &iy);
  double z = CLAMP(self->zoom * factor, MIN_ZOOM, MAX_ZOOM);
  /* Keep (ix, iy) under (wx, wy): pan = i − (w − centre) / z. */
  double pw = pane_width(self);
  self->pan_x = ix - (wx - pane * pw - pw / 2.0) / z;
  self->pan_y = iy - (wy - view_height(self) / 2.0) / z;
  self->zoom = z;
  self->zoom_fit = FALSE;
  notify_view(self);
  refresh_probe(self);
  redraw(self);
}

void
sr_viewer_zoom_fit(SrViewer *self)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  self->zoom_fit = TRUE;
  apply_fit(self);
  notify_view(self);
  refresh_probe(self);
  redraw(self);
}

void
sr_viewer_zoom_one(SrViewer *self)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  /* Keep the point at the view centre where it is. */
  self->zoom = 1.0;
  self->zoom_fit = FALSE;
  notify_view(self);
  refresh_probe(self);
  redraw(self);
}

gboolean
sr_viewer_get_zoom_fit(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  return self->zoom_fit;
}

void
sr_viewer_set_pan(SrViewer *self, double image_x, double image_y)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (!isfinite(image_x) || !isfinite(image_y))
    return;
  self->pan_x = image_x;
  self->pan_y = image_y;
  self->zoom_fit = FALSE;
  notify_view(self);
  refresh_probe(self);
  redraw(self);
}

void
sr_viewer_get_pan(SrViewer *self, double *image_x, double *image_y)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (image_x)
    *image_x = self->pan_x;
  if (image_y)
    *image_y = self->pan_y;
}

gboolean
sr_viewer_widget_to_image(SrViewer *self, double wx, double wy, double *ix, double *iy)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  int rw, rh;
  double x, y;
  to_image(self, pane_of(self, wx), wx, wy, &x, &y);
  if (ix)
    *ix = x;
  if (iy)
    *iy = y;
  if (!reference_size(self, &rw, &rh))
    return FALSE;
  if (wx < 0 || wy < 0 || wx >= gtk_widget_get_width(GTK_WIDGET(self)) ||
      wy >= gtk_widget_get_height(GTK_WIDGET(self)))
    return FALSE;
  const sr_image *b = image_b(self);
  int mw = rw, mh = rh;
  if (b != NULL) {
    mw = MAX(mw, b->width);
    mh = MAX(mh, b->height);
  }
  return x >= 0 && y >= 0 && x < mw && y < mh;
}

void
sr_viewer_image_to_widget(SrViewer *self, double ix, double iy, double *wx, double *wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  double x, y;
  to_widget(self, 0, ix, iy, &x, &y);
  if (wx)
    *wx = x;
  if (wy)
    *wy = y;
}

/* ---- Overlays ------------------------------------------------------------ */

void
sr_viewer_set_crop(SrViewer *self, const sr_rect *crop)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  sr_rect r = crop ? *crop : (sr_rect){0, 0, 0, 0};
  if (r.w < 0 || r.h < 0)
    r.w = r.h = 0;
  if (sr_rect_equal(r, self->crop))
    return;
  self->crop = r;
  notify_crop(self);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_viewer_get_crop(SrViewer *self, sr_rect *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  *out = self->crop;
}

void
sr_viewer_set_show_crop(SrViewer *self, gboolean show)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  show = !!show;
  if (self->show_crop == show)
    return;
  self->show_crop = show;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SHOW_CROP]);
}

void
sr_viewer_set_crop_edit(SrViewer *self, gboolean edit)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  edit = !!edit;
  if (self->crop_edit == edit)
    return;
  self->crop_edit = edit;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CROP_EDIT]);
}

gboolean
sr_viewer_get_crop_edit(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  return self->crop_edit;
}

void
sr_viewer_set_labels(SrViewer *self, const char *label_a, const char *label_b)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (g_strcmp0(label_a, self->label_a) != 0) {
    char *t = g_strdup(label_a);
    g_free(self->label_a);
    self->label_a = t;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_LABEL_A]);
  }
  if (g_strcmp0(label_b, self->label_b) != 0) {
    char *t = g_strdup(label_b);
    g_free(self->label_b);
    self->label_b = t;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_LABEL_B]);
  }
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_viewer_set_frame_number(SrViewer *self, int number)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  number = MAX(number, -1);
  if (self->frame_number == number)
    return;
  self->frame_number = number;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FRAME_NUMBER]);
}

void
sr_viewer_set_show_labels(SrViewer *self, gboolean show)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  show = !!show;
  if (self->show_labels == show)
    return;
  self->show_labels = show;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SHOW_LABELS]);
}

/* ---- Renderer ------------------------------------------------------------ */

const char *
sr_viewer_get_renderer(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), "none");
  if (self->software)
    return "software";
  return self->gl_ready ? "gl" : "none";
}

const char *
sr_viewer_get_fallback_reason(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->fallback_reason;
}

void
sr_viewer_set_force_software(SrViewer *self, gboolean force)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  force = !!force;
  if (self->force_software == force)
    return;
  self->force_software = force;
  if (force)
    switch_to_software(self, "the software renderer was requested");
  else if (self->software && self->fallback_reason != NULL &&
           g_str_equal(self->fallback_reason, "the software renderer was requested")) {
    /* Back to GL: the next render sets GL up if realisation skipped it. */
    self->software = FALSE;
    g_clear_pointer(&self->fallback_reason, g_free);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RENDERER]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FALLBACK_REASON]);
    redraw(self);
  }
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FORCE_SOFTWARE]);
}

guint
sr_viewer_get_gl_error_count(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 0);
  return self->gl_errors;
}

gboolean
sr_viewer_is_preparing(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  if (self->software) {
    gboolean a = self->mode != SR_VIEWER_MODE_B && self->mode != SR_VIEWER_MODE_DIFFERENCE;
    gboolean b = self->mode != SR_VIEWER_MODE_A && self->mode != SR_VIEWER_MODE_DIFFERENCE;
    gboolean d = self->mode == SR_VIEWER_MODE_DIFFERENCE;
    return (a && self->sw[SW_A].tex_gen != self->sw[SW_A].want) ||
           (b && self->sw[SW_B].tex_gen != self->sw[SW_B].want) ||
           (d && self->sw[SW_DIFF].tex_gen != self->sw[SW_DIFF].want);
  }
  if (!self->gl_ready)
    return self->frame_a != NULL || self->frame_b != NULL;
  return self->gl_a.shown != self->frame_a || self->gl_b.shown != self->frame_b;
}

void
sr_viewer_set_show_probe(SrViewer *self, gboolean show)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  show = !!show;
  if (self->show_probe == show)
    return;
  self->show_probe = show;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SHOW_PROBE]);
}
