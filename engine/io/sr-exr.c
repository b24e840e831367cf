/* sr-exr.c — OpenEXR through the library's C API (OpenEXRCore).
 *
 * Reading decodes every chunk (scanline block or tile of level 0) with the
 * library's decode pipeline into planes of the file's own sample type, then
 * converts and interleaves them into the float image; the chunks are shared
 * among a few threads, each with its own pipeline. Writing converts to half
 * itself, encodes chunks on the same threads and writes them in order from
 * the calling thread, so the file layout does not depend on timing.
 *
 * File access goes through our own pread/pwrite callbacks: the library's
 * messages land in our error (never on stderr) and a failed write keeps its
 * errno, so a full disk is reported as such.
 */
#include <errno.h>
#include <fcntl.h>
#include <openexr.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-io-private.h"
#include "sr-i18n.h"
#include "sr-exr-private.h"

typedef struct exr_stream {
  int fd;
  int64_t size;
  int read_errno;
  sr_io_sink sink;
  pthread_mutex_t lock; /* guards message: the library reports from worker threads */
  char message[512];
} exr_stream;

static void
exr_stream_init(exr_stream *s, int fd)
{
  memset(s, 0, sizeof *s);
  s->fd = fd;
  s->sink.fd = fd;
  pthread_mutex_init(&s->lock, NULL);
}

static void
exr_stream_destroy(exr_stream *s)
{
  pthread_mutex_destroy(&s->lock);
}

static void
exr_keep_message(exr_stream *s, const char *msg)
{
  pthread_mutex_lock(&s->lock);
  /* The first message is the cause; later ones are consequences. */
  if (!s->message[0] && msg)
    snprintf(s->message, sizeof s->message, "%s", msg);
  pthread_mutex_unlock(&s->lock);
}

static void
exr_error_handler(exr_const_context_t ctxt, exr_result_t code, const char *msg)
{
  void *ud = NULL;
  if (exr_get_user_data(ctxt, &ud) != EXR_ERR_SUCCESS || !ud)
    return;
  exr_keep_message(ud, msg);
}

/* A writing context holds its mutex while it reports an error, and
 * exr_get_user_data takes that mutex: asking it for the stream from inside
 * the handler deadlocked every write that failed (a full disk). The write
 * path runs on one thread, which names its stream here instead. */
static _Thread_local exr_stream *exr_writing_stream;

static void
exr_write_error_handler(exr_const_context_t ctxt, exr_result_t code, const char *msg)
{
  if (exr_writing_stream)
    exr_keep_message(exr_writing_stream, msg);
}

static int64_t
exr_read_cb(exr_const_context_t ctxt, void *ud, void *buffer, uint64_t sz, uint64_t offset,
            exr_stream_error_func_ptr_t error_cb)
{
  exr_stream *s = ud;
  char *p = buffer;
  uint64_t done = 0;
  while (done < sz) {
    ssize_t r = pread(s->fd, p + done, sz - done, (off_t)(offset + done));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      pthread_mutex_lock(&s->lock); /* reads come from several threads */
      if (!s->read_errno)
        s->read_errno = e;
      pthread_mutex_unlock(&s->lock);
      errno = e;
      if (error_cb)
        error_cb(ctxt, EXR_ERR_READ_IO, SR_("read failed at offset %llu: %s"),
                 (unsigned long long)offset, strerror(errno));
      return -1;
    }
    if (r == 0)
      break; /* end of file: the library reports the short read */
    done += (uint64_t)r;
  }
  return (int64_t)done;
}

static int64_t
exr_size_cb(exr_const_context_t ctxt, void *ud)
{
  return ((exr_stream *)ud)->size;
}

static int64_t
exr_write_cb(exr_const_context_t ctxt, void *ud, const void *buffer, uint64_t sz, uint64_t offset,
             exr_stream_error_func_ptr_t error_cb)
{
  exr_stream *s = ud;
  if (!sr_io_sink_pwrite(&s->sink, buffer, sz, offset)) {
    if (error_cb)
      error_cb(ctxt, EXR_ERR_WRITE_IO, SR_("write failed: %s"), strerror(s->sink.write_errno));
    return -1;
  }
  return (int64_t)sz;
}

/* Turns a library result into our error, preferring the library's own
 * message (it names the attribute or chunk at fault). */
static void
exr_set_error_for(sr_error *err, exr_stream *s, exr_result_t rv, const char *path,
                  const char *doing, bool writing)
{
  pthread_mutex_lock(&s->lock);
  int read_errno = s->read_errno;
  pthread_mutex_unlock(&s->lock);
  if (read_errno) {
    sr_error_set_errno(err, read_errno, SR_("cannot read %s"), path);
    return;
  }
  if (s->sink.write_errno) {
    sr_error_set_errno(err, s->sink.write_errno, SR_("cannot write %s"), path);
    return;
  }
  sr_status code = writing ? SR_ERR_IO : SR_ERR_FORMAT;
  switch (rv) {
  case EXR_ERR_OUT_OF_MEMORY: code = SR_ERR_NOMEM; break;
  case EXR_ERR_FEATURE_NOT_IMPLEMENTED: code = SR_ERR_UNSUPPORTED; break;
  case EXR_ERR_FILE_ACCESS: code = SR_ERR_IO; break;
  case EXR_ERR_INVALID_ARGUMENT:
  case EXR_ERR_ARGUMENT_OUT_OF_RANGE:
  case EXR_ERR_NAME_TOO_LONG:
  case EXR_ERR_ATTR_TYPE_MISMATCH:
    if (writing)
      code = SR_ERR_INVALID;
    break;
  default: break;
  }
  pthread_mutex_lock(&s->lock);
  const char *detail = s->message[0] ? s->message : exr_get_default_error_message(rv);
  if (code == SR_ERR_FORMAT)
    sr_error_set(err, code,
                 SR_("%s: corrupt or truncated OpenEXR file (%s): %s; copy or export it again"),
                 path, doing, detail);
  else if (writing)
    sr_error_set(err, code, SR_("%s: cannot write the OpenEXR file (%s): %s"), path, doing, detail);
  else
    sr_error_set(err, code, "%s: %s: %s", path, doing, detail);
  pthread_mutex_unlock(&s->lock);
}

static void
exr_set_error(sr_error *err, exr_stream *s, exr_result_t rv, const char *path, const char *doing)
{
  exr_set_error_for(err, s, rv, path, doing, false);
}

static void
exr_set_write_error(sr_error *err, exr_stream *s, exr_result_t rv, const char *path,
                    const char *doing)
{
  exr_set_error_for(err, s, rv, path, doing, true);
}

/* ---- Reading ------------------------------------------------------------ */

enum { ROLE_R, ROLE_G, ROLE_B, ROLE_A, ROLE_Y, N_ROLES };
static const char role_names[N_ROLES] = {'R', 'G', 'B', 'A', 'Y'};

typedef struct exr_layout {
  exr_storage_t storage;
  exr_attr_box2i_t dw, disp;
  int width, height, channels;
  /* Channel name decoded into each output channel (NULL: left at 0). */
  const char *out_name[4];
  bool replicate_y; /* Y decoded into channel 0, copied to 1 and 2 */
  int bit_depth;
  int stored_bytes; /* bytes per pixel of the channels read, as stored */
  int lines_per_chunk;
  int tile_w, tile_h, tiles_x, tiles_y;
  int n_chunks;
} exr_layout;

/* Role of a channel name: "R", or "<layer>.R" when layer matches. */
static int
name_role(const char *name, const char *layer, size_t layer_len)
{
  if (layer_len) {
    if (strncmp(name, layer, layer_len) != 0 || name[layer_len] != '.')
      return -1;
    name += layer_len + 1;
  }
  if (!name[0] || name[1])
    return -1;
  for (int r = 0; r < N_ROLES; r++)
    if (name[0] == role_names[r])
      return r;
  return -1;
}

static bool
exr_pick_channels(const exr_attr_chlist_t *cl, exr_layout *lay, const char *path, sr_error *err)
{
  int found[N_ROLES];
  const char *layer = "";
  size_t layer_len = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int r = 0; r < N_ROLES; r++)
      found[r] = -1;
    for (int i = 0; i < cl->num_channels; i++) {
      int role = name_role(cl->entries[i].name.str, layer, layer_len);
      if (role >= 0 && found[role] < 0)
        found[role] = i;
    }
    if (found[ROLE_R] >= 0 || found[ROLE_G] >= 0 || found[ROLE_B] >= 0 || found[ROLE_Y] >= 0)
      break;
    /* No plain R/G/B/Y: take the first layer (alphabetically) that has one. */
    layer_len = 0;
    for (int i = 0; i < cl->num_channels && !layer_len; i++) {
      const char *n = cl->entries[i].name.str;
      const char *dot = strrchr(n, '.');
      if (dot && dot[1] && !dot[2] && strchr("RGBY", dot[1])) {
        layer = n;
        layer_len = (size_t)(dot - n);
      }
    }
    if (!layer_len)
      break;
  }
  bool rgb = found[ROLE_R] >= 0 || found[ROLE_G] >= 0 || found[ROLE_B] >= 0;
  if (!rgb && found[ROLE_Y] < 0) {
    char names[256] = "";
    size_t len = 0;
    for (int i = 0; i < cl->num_channels && len + 2 < sizeof names; i++)
      len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                              cl->entries[i].name.str);
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: no R, G, B or Y channel (channels: %s); export the image as RGB"), path,
                 cl->num_channels ? names : SR_("none"));
    return false;
  }
  if (!rgb) {
    for (int i = 0; i < cl->num_channels; i++) {
      int role = name_role(cl->entries[i].name.str, "", 0);
      const char *n = cl->entries[i].name.str;
      if (role < 0 && (strcmp(n, "RY") == 0 || strcmp(n, "BY") == 0)) {
        sr_error_set(err, SR_ERR_UNSUPPORTED,
                     SR_("%s: luminance/chroma EXR (channels Y, RY, BY) is not read; "
                         "export the image as RGB"),
                     path);
        return false;
      }
    }
  }
  int used[N_ROLES] = {0};
  if (rgb) {
    used[ROLE_R] = used[ROLE_G] = used[ROLE_B] = 1;
    lay->channels = found[ROLE_A] >= 0 ? 4 : 3;
    for (int c = 0; c < 3; c++)
      lay->out_name[c] = found[c] >= 0 ? cl->entries[found[c]].name.str : NULL;
  } else {
    used[ROLE_Y] = 1;
    lay->channels = found[ROLE_A] >= 0 ? 4 : 1;
    lay->out_name[0] = cl->entries[found[ROLE_Y]].name.str;
    lay->replicate_y = lay->channels == 4;
  }
  if (lay->channels == 4) {
    used[ROLE_A] = 1;
    lay->out_name[3] = cl->entries[found[ROLE_A]].name.str;
  }
  lay->bit_depth = 0;
  for (int r = 0; r < N_ROLES; r++) {
    if (!used[r] || found[r] < 0)
      continue;
    const exr_attr_chlist_entry_t *e = &cl->entries[found[r]];
    if (e->x_sampling != 1 || e->y_sampling != 1) {
      sr_error_set(err, SR_ERR_UNSUPPORTED,
                   SR_("%s: channel %s is subsampled (%dx%d); only full-resolution channels are "
                       "read"),
                   path, e->name.str, e->x_sampling, e->y_sampling);
      return false;
    }
    int bits = e->pixel_type == EXR_PIXEL_HALF ? 16 : 32;
    if (bits > lay->bit_depth)
      lay->bit_depth = bits;
    lay->stored_bytes += bits / 8;
  }
  return true;
}

static exr_result_t
exr_open_read(exr_context_t *ctxt, exr_stream *s, const char *path, sr_error *err)
{
  int fd = sr_open_regular(path, err);
  if (fd < 0)
    return EXR_ERR_FILE_ACCESS;
  exr_stream_init(s, fd);
  struct stat st;
  s->size = fstat(fd, &st) == 0 ? (int64_t)st.st_size : -1;
  exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
  init.error_handler_fn = exr_error_handler;
  init.user_data = s;
  init.read_fn = exr_read_cb;
  init.size_fn = exr_size_cb;
  init.max_image_width = SR_IMAGE_MAX_DIM;
  init.max_image_height = SR_IMAGE_MAX_DIM;
  init.max_tile_width = 16384;
  init.max_tile_height = 16384;
  /* A damaged offset table is an error to report, not something to guess. */
  init.flags = EXR_CONTEXT_FLAG_DISABLE_CHUNK_RECONSTRUCTION;
  exr_result_t rv = exr_start_read(ctxt, path, &init);
  if (rv != EXR_ERR_SUCCESS) {
    exr_set_error(err, s, rv, path, SR_("reading the header"));
    exr_finish(ctxt);
    close(fd);
    exr_stream_destroy(s);
  }
  return rv;
}

static void
exr_close_read(exr_context_t *ctxt, exr_stream *s)
{
  exr_finish(ctxt);
  close(s->fd);
  exr_stream_destroy(s);
}

static bool
box_size(exr_attr_box2i_t b, int *w, int *h)
{
  long long lw = (long long)b.max.x - b.min.x + 1, lh = (long long)b.max.y - b.min.y + 1;
  if (lw <= 0 || lh <= 0 || lw > SR_IMAGE_MAX_DIM || lh > SR_IMAGE_MAX_DIM)
    return false;
  *w = (int)lw;
  *h = (int)lh;
  return true;
}

static bool
exr_read_layout(exr_context_t ctxt, exr_stream *s, exr_layout *lay, const char *path, sr_error *err)
{
  memset(lay, 0, sizeof *lay);
  exr_result_t rv;
  if ((rv = exr_get_storage(ctxt, 0, &lay->storage)) != EXR_ERR_SUCCESS) {
    exr_set_error(err, s, rv, path, SR_("reading the header"));
    return false;
  }
  if (lay->storage != EXR_STORAGE_SCANLINE && lay->storage != EXR_STORAGE_TILED) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: deep OpenEXR data is not read; flatten the image first"), path);
    return false;
  }
  if ((rv = exr_get_data_window(ctxt, 0, &lay->dw)) != EXR_ERR_SUCCESS ||
      (rv = exr_get_display_window(ctxt, 0, &lay->disp)) != EXR_ERR_SUCCESS) {
    exr_set_error(err, s, rv, path, SR_("reading the windows"));
    return false;
  }
  int dispw, disph;
  if (!box_size(lay->dw, &lay->width, &lay->height) || !box_size(lay->disp, &dispw, &disph)) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: dataWindow (%d,%d)-(%d,%d) or displayWindow (%d,%d)-(%d,%d) is empty or "
                     "larger than %d px a side"),
                 path, lay->dw.min.x, lay->dw.min.y, lay->dw.max.x, lay->dw.max.y, lay->disp.min.x,
                 lay->disp.min.y, lay->disp.max.x, lay->disp.max.y, SR_IMAGE_MAX_DIM);
    return false;
  }
  const exr_attr_chlist_t *cl = NULL;
  if ((rv = exr_get_channels(ctxt, 0, &cl)) != EXR_ERR_SUCCESS || !cl) {
    exr_set_error(err, s, rv, path, SR_("reading the channel list"));
    return false;
  }
  if (!exr_pick_channels(cl, lay, path, err))
    return false;
  if (!sr_image_check_size(lay->width, lay->height, lay->channels, path, err))
    return false;
  if (lay->storage == EXR_STORAGE_SCANLINE) {
    int32_t lpc = 0;
    if ((rv = exr_get_scanlines_per_chunk(ctxt, 0, &lpc)) != EXR_ERR_SUCCESS || lpc <= 0) {
      exr_set_error(err, s, rv ? rv : EXR_ERR_CORRUPT_CHUNK, path, SR_("reading the header"));
      return false;
    }
    lay->lines_per_chunk = lpc;
    lay->n_chunks = (lay->height + lpc - 1) / lpc;
  } else {
    int32_t tw = 0, th = 0, lw = 0, lh = 0;
    if ((rv = exr_get_tile_sizes(ctxt, 0, 0, 0, &tw, &th)) != EXR_ERR_SUCCESS ||
        (rv = exr_get_level_sizes(ctxt, 0, 0, 0, &lw, &lh)) != EXR_ERR_SUCCESS || tw <= 0 ||
        th <= 0 || lw != lay->width || lh != lay->height) {
      exr_set_error(err, s, rv ? rv : EXR_ERR_INVALID_ATTR, path,
                    SR_("reading the tile description"));
      return false;
    }
    lay->tile_w = tw;
    lay->tile_h = th;
    lay->tiles_x = (lay->width + tw - 1) / tw;
    lay->tiles_y = (lay->height + th - 1) / th;
    lay->n_chunks = lay->tiles_x * lay->tiles_y;
  }
  return true;
}

typedef struct exr_read_job {
  exr_const_context_t ctxt;
  exr_stream *stream;
  const exr_layout *lay;
  sr_image *img;
  atomic_int next;
  atomic_int failed;
  pthread_mutex_t lock;
  exr_result_t rv; /* first failure */
  int bad_chunk;
} exr_read_job;

static void
read_job_fail(exr_read_job *job, exr_result_t rv, int chunk)
{
  pthread_mutex_lock(&job->lock);
  if (!atomic_load(&job->failed)) {
    job->rv = rv;
    job->bad_chunk = chunk;
    atomic_store(&job->failed, 1);
  }
  pthread_mutex_unlock(&job->lock);
}

/* half bits → float, exact (subnormals, infinities and NaN included). */
static inline float
half_to_float(uint16_t h)
{
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
  if (e == 0) {
    if (m == 0) {
      x = sign;
    } else { /* subnormal: m * 2^-24, renormalised */
      e = 113;
      while (!(m & 0x400u)) {
        m <<= 1;
        e--;
      }
      x = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (e == 31) {
    x = sign | 0x7f800000u | (m << 13);
  } else {
    x = sign | ((e + 112) << 23) | (m << 13);
  }
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

/* Per-thread planes for one chunk, in the file's own sample types. */
typedef struct exr_decode_buf {
  unsigned char *planes;
  size_t cap;
} exr_decode_buf;

static exr_result_t
decode_chunk(exr_read_job *job, exr_decode_pipeline_t *dec, exr_decode_buf *buf, bool *initialised,
             int i)
{
  const exr_layout *lay = job->lay;
  exr_chunk_info_t ci;
  exr_result_t rv;
  int x0, y0;
  if (lay->storage == EXR_STORAGE_SCANLINE) {
    int y = lay->dw.min.y + i * lay->lines_per_chunk;
    rv = exr_read_scanline_chunk_info(job->ctxt, 0, y, &ci);
    x0 = 0;
    y0 = ci.start_y - lay->dw.min.y;
  } else {
    int tx = i % lay->tiles_x, ty = i / lay->tiles_x;
    rv = exr_read_tile_chunk_info(job->ctxt, 0, tx, ty, 0, 0, &ci);
    x0 = tx * lay->tile_w;
    y0 = ty * lay->tile_h;
  }
  if (rv != EXR_ERR_SUCCESS)
    return rv;
  /* Never let a chunk write outside the buffer, whatever the file says. */
  if (x0 < 0 || y0 < 0 || ci.width <= 0 || ci.height <= 0 ||
      (long long)x0 + ci.width > lay->width || (long long)y0 + ci.height > lay->height)
    return EXR_ERR_CORRUPT_CHUNK;
  rv = *initialised ? exr_decoding_update(job->ctxt, 0, &ci, dec)
                    : exr_decoding_initialize(job->ctxt, 0, &ci, dec);
  if (rv != EXR_ERR_SUCCESS)
    return rv;
  *initialised = true;
  sr_image *img = job->img;
  int nc = img->channels;
  /* The library decodes into planes of the file's own type, and we
   * interleave and convert: its converting fast paths for four half
   * channels put them in the wrong order in OpenEXRCore 3.1. */
  size_t plane = (size_t)ci.width * (size_t)ci.height;
  if (buf->cap < plane * 4 * 4) {
    unsigned char *n = realloc(buf->planes, plane * 4 * 4);
    if (!n)
      return EXR_ERR_OUT_OF_MEMORY;
    buf->planes = n;
    buf->cap = plane * 4 * 4;
  }
  int type_of[4] = {-1, -1, -1, -1};
  for (int c = 0; c < dec->channel_count; c++) {
    exr_coding_channel_info_t *ch = &dec->channels[c];
    ch->decode_to_ptr = NULL;
    for (int o = 0; o < nc; o++) {
      if (lay->out_name[o] && strcmp(ch->channel_name, lay->out_name[o]) == 0) {
        if (ch->width != ci.width || ch->height != ci.height)
          return EXR_ERR_CORRUPT_CHUNK;
        int bpe = ch->data_type == EXR_PIXEL_HALF ? 2 : 4;
        ch->decode_to_ptr = buf->planes + (size_t)o * plane * 4;
        ch->user_pixel_stride = bpe;
        ch->user_line_stride = ci.width * bpe;
        ch->user_data_type = ch->data_type;
        ch->user_bytes_per_element = (int16_t)bpe;
        type_of[o] = ch->data_type;
        break;
      }
    }
  }
  rv = exr_decoding_choose_default_routines(job->ctxt, 0, dec);
  if (rv == EXR_ERR_SUCCESS)
    rv = exr_decoding_run(job->ctxt, 0, dec);
  if (rv != EXR_ERR_SUCCESS)
    return rv;
  for (int o = 0; o < nc; o++) {
    if (type_of[o] < 0)
      continue; /* a channel the file lacks stays 0 */
    const unsigned char *src = buf->planes + (size_t)o * plane * 4;
    for (int y = 0; y < ci.height; y++) {
      float *dst = sr_image_row(img, y0 + y) + (size_t)x0 * nc + o;
      size_t at = (size_t)y * (size_t)ci.width;
      if (type_of[o] == EXR_PIXEL_HALF) {
        const uint16_t *h = (const uint16_t *)src + at;
        for (int x = 0; x < ci.width; x++)
          dst[(size_t)x * nc] = half_to_float(h[x]);
      } else if (type_of[o] == EXR_PIXEL_FLOAT) {
        const float *f = (const float *)src + at;
        for (int x = 0; x < ci.width; x++)
          dst[(size_t)x * nc] = f[x];
      } else {
        const uint32_t *u = (const uint32_t *)src + at;
        for (int x = 0; x < ci.width; x++)
          dst[(size_t)x * nc] = (float)u[x];
      }
    }
  }
  return EXR_ERR_SUCCESS;
}

static void *
read_worker(void *arg)
{
  exr_read_job *job = arg;
  exr_decode_pipeline_t dec = EXR_DECODE_PIPELINE_INITIALIZER;
  exr_decode_buf buf = {NULL, 0};
  bool initialised = false;
  for (;;) {
    if (atomic_load(&job->failed))
      break;
    int i = atomic_fetch_add(&job->next, 1);
    if (i >= job->lay->n_chunks)
      break;
    exr_result_t rv = decode_chunk(job, &dec, &buf, &initialised, i);
    if (rv != EXR_ERR_SUCCESS) {
      read_job_fail(job, rv, i);
      break;
    }
  }
  if (initialised)
    exr_decoding_destroy(job->ctxt, &dec);
  free(buf.planes);
  return NULL;
}

static void
read_metadata(exr_context_t ctxt, sr_image *img)
{
  exr_attr_chromaticities_t c;
  if (exr_attr_get_chromaticities(ctxt, 0, "chromaticities", &c) == EXR_ERR_SUCCESS) {
    img->has_chromaticities = true;
    float v[8] = {c.red_x, c.red_y, c.green_x, c.green_y, c.blue_x, c.blue_y, c.white_x, c.white_y};
    memcpy(img->chromaticities, v, sizeof v);
  }
  int32_t n = 0;
  if (exr_get_attribute_count(ctxt, 0, &n) != EXR_ERR_SUCCESS || n <= 0)
    return;
  /* Gathered first and set in one batch: one at a time is quadratic in the
   * attribute count. */
  sr_attribute *batch = calloc((size_t)n, sizeof *batch);
  int kept = 0;
  for (int32_t i = 0; batch && i < n; i++) {
    const exr_attribute_t *a = NULL;
    if (exr_get_attribute_by_index(ctxt, 0, EXR_ATTR_LIST_FILE_ORDER, i, &a) != EXR_ERR_SUCCESS ||
        !a || a->type != EXR_ATTR_STRING || !a->string || !a->string->str)
      continue;
    /* Part bookkeeping of multi-part files, not image metadata. */
    if (strcmp(a->name, "name") == 0 || strcmp(a->name, "type") == 0)
      continue;
    size_t len = a->string->length > 0 ? (size_t)a->string->length : 0;
    char *value = strndup(a->string->str, len);
    if (!value)
      break;
    batch[kept++] = (sr_attribute){(char *)a->name, value};
  }
  if (batch)
    sr_image_set_attributes(img, batch, kept, NULL);
  for (int i = 0; i < kept; i++)
    free(batch[i].value);
  free(batch);
}

/* See sr-exr-private.h. */
bool
sr_exr_header_open(const char *path, exr_context_t *ctxt, void **handle, sr_error *err)
{
  exr_stream *st = calloc(1, sizeof *st);
  if (!st) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    return false;
  }
  if (exr_open_read(ctxt, st, path, err) != EXR_ERR_SUCCESS) {
    free(st);
    return false;
  }
  *handle = st;
  return true;
}

void
sr_exr_header_close(exr_context_t *ctxt, void *handle)
{
  exr_close_read(ctxt, handle);
  free(handle);
}

static void
fill_info(const exr_layout *lay, sr_image_info *info)
{
  info->format = SR_FORMAT_EXR;
  info->width = lay->width;
  info->height = lay->height;
  info->channels = lay->channels;
  info->data_window = (sr_rect){lay->dw.min.x, lay->dw.min.y, lay->width, lay->height};
  info->display_window =
      (sr_rect){lay->disp.min.x, lay->disp.min.y, lay->disp.max.x - lay->disp.min.x + 1,
                lay->disp.max.y - lay->disp.min.y + 1};
  info->bit_depth = lay->bit_depth;
}

bool
sr_exr_read_info(const char *path, sr_image_info *info, sr_error *err)
{
  exr_context_t ctxt = NULL;
  exr_stream s;
  if (exr_open_read(&ctxt, &s, path, err) != EXR_ERR_SUCCESS)
    return false;
  exr_layout lay;
  bool ok = exr_read_layout(ctxt, &s, &lay, path, err);
  if (ok) {
    fill_info(&lay, info);
    exr_attr_chromaticities_t c;
    if (exr_attr_get_chromaticities(ctxt, 0, "chromaticities", &c) == EXR_ERR_SUCCESS) {
      float v[8] = {c.red_x,  c.red_y,  c.green_x, c.green_y,
                    c.blue_x, c.blue_y, c.white_x, c.white_y};
      memcpy(info->chromaticities, v, sizeof v);
      info->has_chromaticities = true;
      snprintf(info->colour_field, sizeof info->colour_field, "%s", SR_("EXR chromaticities"));
    }
  }
  exr_close_read(&ctxt, &s);
  return ok;
}

static void
no_codec_error(exr_context_t ctxt, const char *path, sr_error *err)
{
  exr_compression_t comp = EXR_COMPRESSION_NONE;
  exr_get_compression(ctxt, 0, &comp);
  static const char *const names[] = {"none",  "rle", "zips", "zip",  "piz",
                                      "pxr24", "b44", "b44a", "dwaa", "dwab"};
  int maj = 0, min = 0, patch = 0;
  const char *extra = NULL;
  exr_get_library_version(&maj, &min, &patch, &extra);
  sr_error_set(err, SR_ERR_UNSUPPORTED,
               SR_("%s: this OpenEXR library (%d.%d.%d) cannot decode %s compression; re-export "
                   "the frames with ZIP or PIZ, or use a build with OpenEXR 3.2 or later"),
               path, maj, min, patch, (unsigned)comp < 10 ? names[comp] : SR_("unknown"));
}

/* The most bytes of pixels one byte of file can decode to, per compression:
 * an upper bound, generous rather than tight (deflate cannot pass 1032:1,
 * PXR24 stores a float in 3 bytes before deflate, B44A keeps 3 bytes of a
 * flat 4x4 block, DWA runs deflate over run-length coded DCT blocks). */
static double
exr_max_ratio(exr_compression_t comp)
{
  switch (comp) {
  case EXR_COMPRESSION_NONE: return 1.0;
  case EXR_COMPRESSION_RLE: return 64.0;
  case EXR_COMPRESSION_ZIPS:
  case EXR_COMPRESSION_ZIP:
  case EXR_COMPRESSION_PIZ: return 1040.0;
  case EXR_COMPRESSION_PXR24: return 1400.0;
  case EXR_COMPRESSION_B44:
  case EXR_COMPRESSION_B44A: return 12.0;
  default: return 65536.0;
  }
}

/* Before the frame is allocated: a file too short for the pixels its header
 * declares is damaged or truncated, and is refused without reserving memory
 * for an image it cannot hold (a few bytes could otherwise ask for
 * gigabytes). */
static bool
exr_check_holds(exr_context_t ctxt, const exr_stream *s, const exr_layout *lay, const char *path,
                sr_error *err)
{
  if (s->size < 0)
    return true; /* not a regular file: the chunk reads will tell */
  exr_compression_t comp = EXR_COMPRESSION_NONE;
  exr_get_compression(ctxt, 0, &comp);
  double pixels = (double)lay->width * lay->height * lay->stored_bytes;
  double needed = pixels / exr_max_ratio(comp) + 8.0 * lay->n_chunks;
  if ((double)s->size >= needed)
    return true;
  sr_error_set(err, SR_ERR_FORMAT,
               SR_("%s: the file is %lld bytes, too short for the %dx%d image its header declares "
                   "(at least %.0f bytes); the file is truncated or damaged, copy it again"),
               path, (long long)s->size, lay->width, lay->height, needed);
  return false;
}

sr_image *
sr_exr_read(const char *path, sr_error *err)
{
  exr_context_t ctxt = NULL;
  exr_stream s;
  if (exr_open_read(&ctxt, &s, path, err) != EXR_ERR_SUCCESS)
    return NULL;
  exr_layout lay;
  sr_image *img = NULL;
  if (!exr_read_layout(ctxt, &s, &lay, path, err))
    goto out;
  exr_compression_t comp = EXR_COMPRESSION_NONE;
  if (exr_get_compression(ctxt, 0, &comp) == EXR_ERR_SUCCESS &&
      (comp == EXR_COMPRESSION_DWAA || comp == EXR_COMPRESSION_DWAB) &&
      !sr_exr_compression_available(SR_EXR_DWAA)) {
    no_codec_error(ctxt, path, err);
    goto out;
  }
  if (!exr_check_holds(ctxt, &s, &lay, path, err))
    goto out;
  img = sr_image_new(lay.width, lay.height, lay.channels, err);
  if (!img)
    goto out;
  sr_image_info info;
  fill_info(&lay, &info);
  img->data_window = info.data_window;
  img->display_window = info.display_window;

  exr_read_job job = {.ctxt = ctxt, .stream = &s, .lay = &lay, .img = img};
  atomic_init(&job.next, 0);
  atomic_init(&job.failed, 0);
  pthread_mutex_init(&job.lock, NULL);
  int n_threads = sr_io_thread_count();
  if (n_threads > lay.n_chunks)
    n_threads = lay.n_chunks;
  pthread_t threads[8];
  int started = 0;
  for (int t = 1; t < n_threads; t++) {
    if (pthread_create(&threads[started], NULL, read_worker, &job) != 0)
      break; /* fewer helpers is fine: the calling thread does the rest */
    started++;
  }
  read_worker(&job);
  for (int t = 0; t < started; t++)
    pthread_join(threads[t], NULL);
  pthread_mutex_destroy(&job.lock);
  if (atomic_load(&job.failed) && job.rv == EXR_ERR_FEATURE_NOT_IMPLEMENTED) {
    no_codec_error(ctxt, path, err);
    sr_image_free(img);
    img = NULL;
    goto out;
  }
  if (atomic_load(&job.failed)) {
    char doing[64];
    snprintf(doing, sizeof doing, "%s %d",
             lay.storage == EXR_STORAGE_TILED ? SR_("tile") : SR_("chunk"), job.bad_chunk);
    exr_set_error(err, &s, job.rv, path, doing);
    sr_image_free(img);
    img = NULL;
    goto out;
  }
  if (lay.replicate_y) {
    size_t n = (size_t)img->width * img->height;
    for (size_t p = 0; p < n; p++)
      img->pixels[p * 4 + 1] = img->pixels[p * 4 + 2] = img->pixels[p * 4];
  }
  read_metadata(ctxt, img);
out:
  exr_close_read(&ctxt, &s);
  return img;
}

/* ---- Writing ------------------------------------------------------------ */

typedef struct exr_chunk_out {
  void *data;
  size_t size;
} exr_chunk_out;

typedef struct exr_write_job {
  exr_const_context_t ctxt;
  const sr_image *img;
  int out_channels;
  int lines_per_chunk;
  int n_chunks;
  exr_chunk_info_t *infos;
  exr_chunk_out *out;
  atomic_int next;
  atomic_int failed;
  pthread_mutex_t lock;
  exr_result_t rv;
} exr_write_job;

/* Keeps the compressed chunk instead of writing it: chunks are written in
 * order by the calling thread once all are encoded. */
static exr_result_t
stash_chunk(exr_encode_pipeline_t *enc)
{
  exr_chunk_out *o = enc->encoding_user_data;
  o->data = malloc(enc->compressed_bytes ? enc->compressed_bytes : 1);
  if (!o->data)
    return EXR_ERR_OUT_OF_MEMORY;
  memcpy(o->data, enc->compressed_buffer, enc->compressed_bytes);
  o->size = enc->compressed_bytes;
  return EXR_ERR_SUCCESS;
}

/* float → half bits, round to nearest even; overflow gives infinity, NaN
 * stays NaN. */
static uint16_t
float_to_half(float f)
{
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) /* inf, NaN (a quiet NaN keeps the top payload bits) */
    return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0));
  if (ax >= 0x477ff000u) /* from 65520 up: rounds past the largest half, 65504 */
    return (uint16_t)(sign | 0x7c00u);
  if (ax < 0x38800000u) { /* below 2^-14: a subnormal half, or zero */
    if (ax < 0x33000000u) /* up to 2^-25 rounds to zero */
      return (uint16_t)sign;
    uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e; /* value / 2^-24 = m * 2^(e - 126) */
    uint32_t h = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u)))
      h++;
    return (uint16_t)(sign | h);
  }
  /* Rebias the exponent (127 → 15) and drop 13 mantissa bits; a carry out
   * of the mantissa correctly bumps the exponent. */
  uint32_t h = (ax - 0x38000000u) >> 13, rem = ax & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
    h++;
  return (uint16_t)(sign | h);
}

/* Per-thread planar half copy of one chunk: plane c holds output channel c. */
typedef struct exr_encode_buf {
  uint16_t *half;
  size_t cap;
} exr_encode_buf;

static exr_result_t
encode_chunk(exr_write_job *job, exr_encode_pipeline_t *enc, exr_encode_buf *buf, bool *initialised,
             int i)
{
  const exr_chunk_info_t *ci = &job->infos[i];
  exr_result_t rv = *initialised ? exr_encoding_update(job->ctxt, 0, ci, enc)
                                 : exr_encoding_initialize(job->ctxt, 0, ci, enc);
  if (rv != EXR_ERR_SUCCESS)
    return rv;
  *initialised = true;
  const sr_image *img = job->img;
  int nc = img->channels, oc = job->out_channels;
  int row = i * job->lines_per_chunk, rows = ci->height;
  if (rows <= 0 || row + rows > img->height)
    return EXR_ERR_INVALID_ARGUMENT;
  /* We convert to half ourselves and hand the library planar halves: the
   * pack step is then a plain copy (and OpenEXRCore 3.1 mis-packs four
   * interleaved float channels). */
  size_t plane = (size_t)img->width * (size_t)rows;
  if (buf->cap < plane * (size_t)oc) {
    uint16_t *n = realloc(buf->half, plane * (size_t)oc * sizeof *n);
    if (!n)
      return EXR_ERR_OUT_OF_MEMORY;
    buf->half = n;
    buf->cap = plane * (size_t)oc;
  }
  for (int y = 0; y < rows; y++) {
    const float *src = sr_image_row(img, row + y);
    size_t at = (size_t)y * (size_t)img->width;
    for (int x = 0; x < img->width; x++, src += nc)
      for (int c = 0; c < oc; c++)
        buf->half[(size_t)c * plane + at + (size_t)x] = float_to_half(src[c]);
  }
  for (int c = 0; c < enc->channel_count; c++) {
    exr_coding_channel_info_t *ch = &enc->channels[c];
    const char *n = ch->channel_name;
    int o = n[0] == 'R' || n[0] == 'Y' ? 0 : n[0] == 'G' ? 1 : n[0] == 'B' ? 2 : 3;
    if (o >= oc)
      return EXR_ERR_INVALID_ARGUMENT;
    ch->encode_from_ptr = (const uint8_t *)(buf->half + (size_t)o * plane);
    ch->user_pixel_stride = 2;
    ch->user_line_stride = (int32_t)((size_t)img->width * 2);
    ch->user_data_type = EXR_PIXEL_HALF;
    ch->user_bytes_per_element = 2;
  }
  rv = exr_encoding_choose_default_routines(job->ctxt, 0, enc);
  if (rv != EXR_ERR_SUCCESS)
    return rv;
  /* Chunks are stashed and written in order later, so no chunk waits for
   * its predecessor here. */
  enc->yield_until_ready_fn = NULL;
  enc->write_fn = stash_chunk;
  enc->encoding_user_data = &job->out[i];
  return exr_encoding_run(job->ctxt, 0, enc);
}

static void *
write_worker(void *arg)
{
  exr_write_job *job = arg;
  exr_encode_pipeline_t enc = EXR_ENCODE_PIPELINE_INITIALIZER;
  exr_encode_buf buf = {NULL, 0};
  bool initialised = false;
  for (;;) {
    if (atomic_load(&job->failed))
      break;
    int i = atomic_fetch_add(&job->next, 1);
    if (i >= job->n_chunks)
      break;
    exr_result_t rv = encode_chunk(job, &enc, &buf, &initialised, i);
    if (rv != EXR_ERR_SUCCESS) {
      pthread_mutex_lock(&job->lock);
      if (!atomic_load(&job->failed)) {
        job->rv = rv;
        atomic_store(&job->failed, 1);
      }
      pthread_mutex_unlock(&job->lock);
      break;
    }
  }
  if (initialised)
    exr_encoding_destroy(job->ctxt, &enc);
  free(buf.half);
  return NULL;
}

static exr_compression_t
exr_compression_of(sr_exr_compression c)
{
  switch (c) {
  case SR_EXR_DWAA: return EXR_COMPRESSION_DWAA;
  case SR_EXR_PIZ: return EXR_COMPRESSION_PIZ;
  case SR_EXR_NONE: return EXR_COMPRESSION_NONE;
  case SR_EXR_ZIP: break;
  }
  return EXR_COMPRESSION_ZIP;
}

static int64_t
discard_write_cb(exr_const_context_t ctxt, void *ud, const void *buffer, uint64_t sz,
                 uint64_t offset, exr_stream_error_func_ptr_t error_cb)
{
  return (int64_t)sz;
}

static exr_result_t
discard_chunk(exr_encode_pipeline_t *enc)
{
  return EXR_ERR_SUCCESS;
}

bool
sr_exr_compression_available(sr_exr_compression c)
{
  /* Encode one small chunk into nowhere: the library says whether it can. */
  exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
  init.error_handler_fn = exr_write_error_handler; /* no stream: stays silent */
  init.write_fn = discard_write_cb;
  exr_context_t ctxt = NULL;
  int part = 0;
  float px[16 * 16] = {0};
  exr_chunk_info_t ci;
  exr_encode_pipeline_t enc = EXR_ENCODE_PIPELINE_INITIALIZER;
  bool initialised = false;
  exr_result_t rv = exr_start_write(&ctxt, "probe.exr", EXR_WRITE_FILE_DIRECTLY, &init);
  if (rv == EXR_ERR_SUCCESS)
    rv = exr_add_part(ctxt, NULL, EXR_STORAGE_SCANLINE, &part);
  if (rv == EXR_ERR_SUCCESS)
    rv = exr_initialize_required_attr_simple(ctxt, part, 16, 16, exr_compression_of(c));
  if (rv == EXR_ERR_SUCCESS)
    rv = exr_add_channel(ctxt, part, "Y", EXR_PIXEL_HALF, EXR_PERCEPTUALLY_LOGARITHMIC, 1, 1);
  if (rv == EXR_ERR_SUCCESS)
    rv = exr_write_header(ctxt);
  if (rv == EXR_ERR_SUCCESS)
    rv = exr_write_scanline_chunk_info(ctxt, part, 0, &ci);
  if (rv == EXR_ERR_SUCCESS)
    rv = exr_encoding_initialize(ctxt, part, &ci, &enc);
  if (rv == EXR_ERR_SUCCESS) {
    initialised = true;
    for (int i = 0; i < enc.channel_count; i++) {
      enc.channels[i].encode_from_ptr = (const uint8_t *)px;
      enc.channels[i].user_pixel_stride = 4;
      enc.channels[i].user_line_stride = 16 * 4;
      enc.channels[i].user_data_type = EXR_PIXEL_FLOAT;
      enc.channels[i].user_bytes_per_element = 4;
    }
    rv = exr_encoding_choose_default_routines(ctxt, part, &enc);
    enc.yield_until_ready_fn = NULL;
    enc.write_fn = discard_chunk;
    if (rv == EXR_ERR_SUCCESS)
      rv = exr_encoding_run(ctxt, part, &enc);
  }
  if (initialised)
    exr_encoding_destroy(ctxt, &enc);
  if (ctxt)
    exr_finish(&ctxt);
  return rv == EXR_ERR_SUCCESS;
}

static bool
exr_write_header_attrs(exr_context_t ctxt, exr_stream *s, const sr_image *img, int out_channels,
                       const sr_write_options *opts, const char *path, sr_error *err)
{
  exr_result_t rv;
  int part = 0;
  if ((rv = exr_add_part(ctxt, NULL, EXR_STORAGE_SCANLINE, &part)) != EXR_ERR_SUCCESS)
    goto fail;
  exr_attr_box2i_t dw = {
      {{{img->data_window.x, img->data_window.y}}},
      {{{img->data_window.x + img->width - 1, img->data_window.y + img->height - 1}}}};
  sr_rect d = img->display_window;
  if (sr_rect_is_empty(d))
    d = (sr_rect){img->data_window.x, img->data_window.y, img->width, img->height};
  exr_attr_box2i_t disp = {{{{d.x, d.y}}}, {{{d.x + d.w - 1, d.y + d.h - 1}}}};
  exr_attr_v2f_t centre = {{{0.0f, 0.0f}}};
  if ((rv = exr_initialize_required_attr(ctxt, part, &disp, &dw, 1.0f, &centre, 1.0f,
                                         EXR_LINEORDER_INCREASING_Y,
                                         exr_compression_of(opts->compression))) != EXR_ERR_SUCCESS)
    goto fail;
  static const char *const names[4] = {"R", "G", "B", "A"};
  for (int c = 0; c < out_channels; c++) {
    const char *n = out_channels == 1 ? "Y" : names[c];
    /* Alpha is linear coverage; colour is treated perceptually by lossy codecs. */
    exr_perceptual_treatment_t pt = c == 3 ? EXR_PERCEPTUALLY_LINEAR : EXR_PERCEPTUALLY_LOGARITHMIC;
    if ((rv = exr_add_channel(ctxt, part, n, EXR_PIXEL_HALF, pt, 1, 1)) != EXR_ERR_SUCCESS)
      goto fail;
  }
  int zip_level = opts->zip_level >= 1 && opts->zip_level <= 9 ? opts->zip_level : 4;
  if (opts->compression == SR_EXR_ZIP &&
      (rv = exr_set_zip_compression_level(ctxt, part, zip_level)) != EXR_ERR_SUCCESS)
    goto fail;
  if (opts->compression == SR_EXR_DWAA &&
      (rv = exr_set_dwa_compression_level(
           ctxt, part, opts->dwa_level > 0 ? opts->dwa_level : 45.0f)) != EXR_ERR_SUCCESS)
    goto fail;
  if (img->has_chromaticities) {
    const float *v = img->chromaticities;
    exr_attr_chromaticities_t c = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    if ((rv = exr_attr_set_chromaticities(ctxt, part, "chromaticities", &c)) != EXR_ERR_SUCCESS)
      goto fail;
  }
  bool long_names = false;
  for (int i = 0; i < img->n_attributes; i++)
    if (strlen(img->attributes[i].key) > 31)
      long_names = true;
  if (long_names && (rv = exr_set_longname_support(ctxt, 1)) != EXR_ERR_SUCCESS)
    goto fail;
  for (int i = 0; i < img->n_attributes; i++) {
    const sr_attribute *a = &img->attributes[i];
    int typed = sr_exr_set_typed_attr(ctxt, part, a, path, err);
    if (typed < 0)
      return false;
    rv =
        typed ? EXR_ERR_SUCCESS : exr_attr_set_string(ctxt, part, a->key, a->value ? a->value : "");
    if (rv != EXR_ERR_SUCCESS) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("%s: cannot store attribute \"%s\" (%s); rename it (names up to 255 "
                       "characters, not one of the standard EXR attributes)"),
                   path, a->key, exr_get_default_error_message(rv));
      return false;
    }
  }
  if ((rv = exr_write_header(ctxt)) != EXR_ERR_SUCCESS)
    goto fail;
  return true;
fail:
  exr_set_write_error(err, s, rv, path, SR_("writing the header"));
  return false;
}

bool
sr_exr_write(const char *path, const char *temp_path, const sr_image *img,
             const sr_write_options *opts, sr_error *err)
{
  if (opts->compression == SR_EXR_DWAA && !sr_exr_compression_available(SR_EXR_DWAA)) {
    int maj = 0, min = 0, patch = 0;
    const char *extra = NULL;
    exr_get_library_version(&maj, &min, &patch, &extra);
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: this OpenEXR library (%d.%d.%d) cannot write DWAA; choose ZIP or PIZ "
                     "(both lossless), or use a build with OpenEXR 3.2 or later"),
                 path, maj, min, patch);
    return false;
  }
  sr_rect dw = img->data_window, disp = img->display_window;
  if ((long long)dw.x + img->width > INT32_MAX || (long long)dw.y + img->height > INT32_MAX ||
      (long long)disp.x + disp.w > INT32_MAX || (long long)disp.y + disp.h > INT32_MAX) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s: data window (%d,%d) or display window (%d,%d %dx%d) "
                     "lies outside the coordinates OpenEXR can store"),
                 path, dw.x, dw.y, disp.x, disp.y, disp.w, disp.h);
    return false;
  }
  int fd = open(temp_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    return false;
  }
  /* The temporary was created private (0600); a delivered frame is not. */
  fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
  exr_stream s;
  exr_stream_init(&s, fd);
  exr_writing_stream = &s;
  exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
  init.error_handler_fn = exr_write_error_handler;
  init.user_data = &s;
  init.write_fn = exr_write_cb;
  exr_context_t ctxt = NULL;
  exr_write_job job = {0};
  bool ok = false;
  exr_result_t rv = exr_start_write(&ctxt, temp_path, EXR_WRITE_FILE_DIRECTLY, &init);
  if (rv != EXR_ERR_SUCCESS) {
    exr_set_write_error(err, &s, rv, path, SR_("writing"));
    goto out;
  }
  int out_channels = img->channels == 1 ? 1 : (img->channels == 4 && opts->write_alpha ? 4 : 3);
  if (!exr_write_header_attrs(ctxt, &s, img, out_channels, opts, path, err))
    goto out;

  int32_t lpc = 0;
  if ((rv = exr_get_scanlines_per_chunk(ctxt, 0, &lpc)) != EXR_ERR_SUCCESS || lpc <= 0) {
    exr_set_write_error(err, &s, rv ? rv : EXR_ERR_UNKNOWN, path, SR_("writing"));
    goto out;
  }
  job.ctxt = ctxt;
  job.img = img;
  job.out_channels = out_channels;
  job.lines_per_chunk = lpc;
  job.n_chunks = (img->height + lpc - 1) / lpc;
  job.infos = calloc((size_t)job.n_chunks, sizeof *job.infos);
  job.out = calloc((size_t)job.n_chunks, sizeof *job.out);
  if (!job.infos || !job.out) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory writing"), path);
    goto out;
  }
  for (int i = 0; i < job.n_chunks; i++) {
    rv = exr_write_scanline_chunk_info(ctxt, 0, img->data_window.y + i * lpc, &job.infos[i]);
    if (rv != EXR_ERR_SUCCESS) {
      exr_set_write_error(err, &s, rv, path, SR_("writing"));
      goto out;
    }
  }
  atomic_init(&job.next, 0);
  atomic_init(&job.failed, 0);
  pthread_mutex_init(&job.lock, NULL);
  int n_threads = sr_io_thread_count();
  if (n_threads > job.n_chunks)
    n_threads = job.n_chunks;
  pthread_t threads[8];
  int started = 0;
  for (int t = 1; t < n_threads; t++) {
    if (pthread_create(&threads[started], NULL, write_worker, &job) != 0)
      break;
    started++;
  }
  write_worker(&job);
  for (int t = 0; t < started; t++)
    pthread_join(threads[t], NULL);
  pthread_mutex_destroy(&job.lock);
  if (atomic_load(&job.failed)) {
    exr_set_write_error(err, &s, job.rv, path, SR_("encoding"));
    goto out;
  }
  for (int i = 0; i < job.n_chunks; i++) {
    rv = exr_write_scanline_chunk(ctxt, 0, job.infos[i].start_y, job.out[i].data, job.out[i].size);
    if (rv != EXR_ERR_SUCCESS) {
      exr_set_write_error(err, &s, rv, path, SR_("writing"));
      goto out;
    }
  }
  ok = true;
out:
  if (ctxt) {
    rv = exr_finish(&ctxt); /* writes the chunk offset table */
    if (ok && rv != EXR_ERR_SUCCESS) {
      exr_set_write_error(err, &s, rv, path, SR_("finishing"));
      ok = false;
    }
  }
  if (job.out)
    for (int i = 0; i < job.n_chunks; i++)
      free(job.out[i].data);
  free(job.out);
  free(job.infos);
  if (close(fd) != 0 && ok) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    ok = false;
  }
  exr_writing_stream = NULL;
  exr_stream_destroy(&s);
  return ok;
}
