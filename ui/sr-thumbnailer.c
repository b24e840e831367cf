/* sr-thumbnailer.c — background thumbnails with a memory and a disk cache. */
#include "sr-thumbnailer.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sr-display-lut.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-job.h"
#include "sr-movie.h"

/* Past this many thumbnails in memory the table starts over: ~150 MB of
 * 160 px thumbnails, and the disk cache refills it cheaply. */
#define MAX_MEMORY_ENTRIES 2000
#define MAX_THUMB_WIDTH    1024

struct _SrThumbnailer {
  GObject parent_instance;

  char *cache_dir;
  GThreadPool *pool;

  GMutex lock;        /* guards memory, luts and stats */
  GHashTable *memory; /* key → GdkTexture */
  SrDisplayLut *luts[SR_CS_COUNT];
  SrThumbnailerStats stats;
  GHashTable *movies; /* path → open sr_sequence of a movie file (guarded by lock) */
};

G_DEFINE_FINAL_TYPE(SrThumbnailer, sr_thumbnailer, G_TYPE_OBJECT)

typedef struct {
  char *path;
  int frame; /* a movie's frame; -1 for an image file */
  sr_colourspace cs;
  int width;
} Request;

static void
request_free(gpointer p)
{
  Request *r = p;
  g_free(r->path);
  g_free(r);
}

static char *
absolute_path(const char *path)
{
  g_autoptr(GFile) f = g_file_new_for_path(path);
  return g_file_get_path(f);
}

static char *
memory_key(const char *path, int frame, sr_colourspace cs, int width)
{
  g_autofree char *abs = absolute_path(path);
  return g_strdup_printf("%s\n%d\n%d\n%d", abs, frame, (int)cs, width);
}

static int
effective_width(int width)
{
  return width <= 0 ? SR_THUMBNAILER_DEFAULT_WIDTH : MIN(width, MAX_THUMB_WIDTH);
}

static char *cache_path_for(SrThumbnailer *self, const char *path, int frame, sr_colourspace cs,
                            int width, GError **error);

char *
sr_thumbnailer_get_cache_path(SrThumbnailer *self, const char *path, sr_colourspace cs, int width,
                              GError **error)
{
  return cache_path_for(self, path, -1, cs, width, error);
}

/* A movie frame's thumbnail is named by the movie and the frame number. */
static char *
cache_path_for(SrThumbnailer *self, const char *path, int frame, sr_colourspace cs, int width,
               GError **error)
{
  g_return_val_if_fail(SR_IS_THUMBNAILER(self), NULL);
  g_return_val_if_fail(path != NULL, NULL);
  GStatBuf st;
  if (g_stat(path, &st) != 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), _("Thumbnail of “%s”: %s"), path,
                g_strerror(e));
    return NULL;
  }
  g_autofree char *abs = absolute_path(path);
  g_autofree char *id =
      g_strdup_printf("%s\n%lld\n%lld\n%s\n%d", abs, (long long)st.st_mtime, (long long)st.st_size,
                      sr_colourspace_id(cs), effective_width(width));
  if (frame >= 0) {
    char *with_frame = g_strdup_printf("%s\nframe %d", id, frame);
    g_free(id);
    id = with_frame;
  }
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, id, -1);
  g_autofree char *name = g_strconcat(sum, ".png", NULL);
  return g_build_filename(self->cache_dir, name, NULL);
}

static const SrDisplayLut *
lut_for(SrThumbnailer *self, sr_colourspace cs, GError **error)
{
  g_mutex_lock(&self->lock);
  if (self->luts[cs] == NULL)
    self->luts[cs] = sr_display_lut_new(cs, NULL, 0, error);
  const SrDisplayLut *lut = self->luts[cs];
  g_mutex_unlock(&self->lock);
  return lut;
}

/* Box filter: each thumbnail pixel averages the source pixels it covers. */
static GdkTexture *
make_thumbnail(SrThumbnailer *self, const sr_image *img, sr_colourspace cs, int tw, GError **error)
{
  const SrDisplayLut *lut = lut_for(self, cs, error);
  if (lut == NULL)
    return NULL;
  tw = MIN(tw, img->width);
  int th = MAX(1, (int)lround((double)img->height * tw / img->width));
  th = MIN(th, img->height);
  const int c = img->channels;
  guint8 *px = g_malloc((gsize)tw * th * 4);
  float *acc = g_new(float, (gsize)c);
  for (int ty = 0; ty < th; ty++) {
    int y0 = (int)((gint64)ty * img->height / th);
    int y1 = MAX(y0 + 1, (int)((gint64)(ty + 1) * img->height / th));
    for (int tx = 0; tx < tw; tx++) {
      int x0 = (int)((gint64)tx * img->width / tw);
      int x1 = MAX(x0 + 1, (int)((gint64)(tx + 1) * img->width / tw));
      memset(acc, 0, sizeof(float) * (gsize)c);
      for (int y = y0; y < y1; y++) {
        const float *row = sr_image_row(img, y);
        for (int x = x0; x < x1; x++)
          for (int k = 0; k < c; k++) {
            float v = row[(gsize)x * c + k];
            acc[k] += isfinite(v) ? v : 0.0f;
          }
      }
      float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
      for (int k = 0; k < c; k++)
        acc[k] *= inv;
      sr_display_lut_apply_rgba8(lut, 0.0f, acc, c, px + ((gsize)ty * tw + tx) * 4, 1);
      px[((gsize)ty * tw + tx) * 4 + 3] = 255;
    }
  }
  g_free(acc);
  GBytes *bytes = g_bytes_new_take(px, (gsize)tw * th * 4);
  GdkTexture *t = gdk_memory_texture_new(tw, th, GDK_MEMORY_R8G8B8A8, bytes, (gsize)tw * 4);
  g_bytes_unref(bytes);
  return t;
}

static void
remember(SrThumbnailer *self, const Request *r, GdkTexture *tex)
{
  char *key = memory_key(r->path, r->frame, r->cs, r->width);
  g_mutex_lock(&self->lock);
  if (g_hash_table_size(self->memory) >= MAX_MEMORY_ENTRIES)
    g_hash_table_remove_all(self->memory);
  g_hash_table_replace(self->memory, key, g_object_ref(tex));
  g_mutex_unlock(&self->lock);
}

static void
count(SrThumbnailer *self, guint *field)
{
  g_mutex_lock(&self->lock);
  (*field)++;
  g_mutex_unlock(&self->lock);
}

static GdkTexture *
thumbnail_from_disk(const char *cache_path)
{
  if (!g_file_test(cache_path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  g_autoptr(GError) error = NULL;
  GdkTexture *t = gdk_texture_new_from_filename(cache_path, &error);
  if (t == NULL) {
    /* A damaged cache file is rebuilt, not reported. */
    g_debug("Thumbnail cache file %s is unreadable (%s); making it again", cache_path,
            error->message);
    g_unlink(cache_path);
  }
  return t;
}

static void
store_on_disk(SrThumbnailer *self, const char *cache_path, GdkTexture *tex)
{
  sr_error err = {0};
  if (!sr_mkdir_p(self->cache_dir, &err)) {
    g_debug("Thumbnail cache: %s", err.message);
    return;
  }
  g_autoptr(GBytes) png = gdk_texture_save_to_png_bytes(tex);
  gsize len;
  const void *data = g_bytes_get_data(png, &len);
  if (!sr_write_file_atomic(cache_path, data, len, &err))
    g_debug("Thumbnail cache: %s", err.message);
}

static void
movie_free(gpointer p)
{
  sr_sequence_clear(p);
  g_free(p);
}

/* The picture a request names: an image file, or a frame of a movie kept
 * open for the next thumbnails (a filmstrip asks for many). */
static sr_image *
read_picture(SrThumbnailer *self, const Request *r, sr_error *err)
{
  if (r->frame < 0 || !sr_movie_sniff(r->path))
    return sr_image_read(r->path, err);
  g_mutex_lock(&self->lock);
  sr_sequence *seq = g_hash_table_lookup(self->movies, r->path);
  sr_sequence copy = {0};
  gboolean have = seq != NULL && sr_sequence_copy(&copy, seq, err);
  g_mutex_unlock(&self->lock);
  if (!have) {
    if (seq != NULL || !sr_sequence_open(&copy, r->path, err))
      return NULL;
    g_mutex_lock(&self->lock);
    if (!g_hash_table_contains(self->movies, r->path)) {
      sr_sequence *kept = g_new0(sr_sequence, 1);
      if (sr_sequence_copy(kept, &copy, NULL))
        g_hash_table_insert(self->movies, g_strdup(r->path), kept);
      else
        g_free(kept);
    }
    g_mutex_unlock(&self->lock);
  }
  sr_image *img = sr_sequence_read(&copy, r->frame, err);
  sr_sequence_clear(&copy);
  return img;
}

static void
worker_func(gpointer data, gpointer user_data)
{
  GTask *task = data;
  SrThumbnailer *self = g_task_get_source_object(task);
  Request *r = g_task_get_task_data(task);
  GError *error = NULL;

  if (g_task_return_error_if_cancelled(task)) {
    g_object_unref(task);
    return;
  }

  char *cache_path = cache_path_for(self, r->path, r->frame, r->cs, r->width, &error);
  if (cache_path == NULL) {
    count(self, &self->stats.failures);
    g_task_return_error(task, error);
    g_object_unref(task);
    return;
  }
  GdkTexture *tex = thumbnail_from_disk(cache_path);
  if (tex != NULL)
    count(self, &self->stats.disk_hits);
  else {
    sr_error err = {0};
    sr_image *img = read_picture(self, r, &err);
    if (img == NULL) {
      count(self, &self->stats.failures);
      g_task_return_new_error(task, SR_JOB_ERROR, err.code, "%s", err.message);
      g_free(cache_path);
      g_object_unref(task);
      return;
    }
    tex = make_thumbnail(self, img, r->cs, r->width, &error);
    sr_image_free(img);
    if (tex == NULL) {
      count(self, &self->stats.failures);
      g_task_return_error(task, error);
      g_free(cache_path);
      g_object_unref(task);
      return;
    }
    count(self, &self->stats.generated);
    store_on_disk(self, cache_path, tex);
  }
  g_free(cache_path);
  remember(self, r, tex);
  g_task_return_pointer(task, tex, g_object_unref);
  g_object_unref(task);
}

static void
sr_thumbnailer_dispose(GObject *object)
{
  SrThumbnailer *self = SR_THUMBNAILER(object);
  /* Queued tasks hold a reference to us, so the pool is idle by now. */
  if (self->pool != NULL) {
    g_thread_pool_free(self->pool, TRUE, TRUE);
    self->pool = NULL;
  }
  G_OBJECT_CLASS(sr_thumbnailer_parent_class)->dispose(object);
}

static void
sr_thumbnailer_finalize(GObject *object)
{
  SrThumbnailer *self = SR_THUMBNAILER(object);
  g_hash_table_unref(self->memory);
  g_hash_table_unref(self->movies);
  for (int i = 0; i < SR_CS_COUNT; i++)
    sr_display_lut_free(self->luts[i]);
  g_free(self->cache_dir);
  g_mutex_clear(&self->lock);
  G_OBJECT_CLASS(sr_thumbnailer_parent_class)->finalize(object);
}

static void
sr_thumbnailer_class_init(SrThumbnailerClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->dispose = sr_thumbnailer_dispose;
  oc->finalize = sr_thumbnailer_finalize;
}

static void
sr_thumbnailer_init(SrThumbnailer *self)
{
  g_mutex_init(&self->lock);
  self->memory = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
  self->movies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, movie_free);
  /* Two at a time: decoding a 2K EXR is the cost, and the GUI needs a core. */
  self->pool = g_thread_pool_new(worker_func, NULL, 2, FALSE, NULL);
}

SrThumbnailer *
sr_thumbnailer_new(const char *cache_dir)
{
  SrThumbnailer *self = g_object_new(SR_TYPE_THUMBNAILER, NULL);
  if (cache_dir != NULL)
    self->cache_dir = g_strdup(cache_dir);
  else
    self->cache_dir =
        g_build_filename(g_get_user_cache_dir(), "spatial-recovery", "thumbnails", NULL);
  return self;
}

SrThumbnailer *
sr_thumbnailer_get_default(void)
{
  static gsize instance = 0;
  if (g_once_init_enter(&instance))
    g_once_init_leave(&instance, (gsize)sr_thumbnailer_new(NULL));
  return (SrThumbnailer *)instance;
}

const char *
sr_thumbnailer_get_cache_dir(SrThumbnailer *self)
{
  g_return_val_if_fail(SR_IS_THUMBNAILER(self), NULL);
  return self->cache_dir;
}

GdkTexture *
sr_thumbnailer_lookup(SrThumbnailer *self, const char *path, sr_colourspace cs, int width)
{
  return sr_thumbnailer_lookup_frame(self, path, -1, cs, width);
}

GdkTexture *
sr_thumbnailer_lookup_frame(SrThumbnailer *self, const char *path, int frame, sr_colourspace cs,
                            int width)
{
  g_return_val_if_fail(SR_IS_THUMBNAILER(self), NULL);
  g_return_val_if_fail(path != NULL, NULL);
  g_autofree char *key = memory_key(path, frame, cs, effective_width(width));
  g_mutex_lock(&self->lock);
  GdkTexture *t = g_hash_table_lookup(self->memory, key);
  if (t != NULL)
    g_object_ref(t);
  g_mutex_unlock(&self->lock);
  return t;
}

void
sr_thumbnailer_load_async(SrThumbnailer *self, const char *path, sr_colourspace cs, int width,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  sr_thumbnailer_load_frame_async(self, path, -1, cs, width, cancellable, callback, user_data);
}

void
sr_thumbnailer_load_frame_async(SrThumbnailer *self, const char *path, int frame, sr_colourspace cs,
                                int width, GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_return_if_fail(SR_IS_THUMBNAILER(self));
  g_return_if_fail(path != NULL);
  GTask *task = g_task_new(self, cancellable, callback, user_data);
  g_task_set_source_tag(task, sr_thumbnailer_load_async);
  if ((int)cs < 0 || cs >= SR_CS_COUNT) {
    g_task_return_new_error(task, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                            _("Thumbnail of “%s”: colour space %d is unknown"), path, (int)cs);
    g_object_unref(task);
    return;
  }
  width = effective_width(width);
  GdkTexture *t = sr_thumbnailer_lookup_frame(self, path, frame, cs, width);
  if (t != NULL) {
    count(self, &self->stats.memory_hits);
    g_task_return_pointer(task, t, g_object_unref);
    g_object_unref(task);
    return;
  }
  Request *r = g_new0(Request, 1);
  r->path = g_strdup(path);
  r->frame = frame;
  r->cs = cs;
  r->width = width;
  g_task_set_task_data(task, r, request_free);
  g_thread_pool_push(self->pool, task, NULL);
}

GdkTexture *
sr_thumbnailer_load_finish(SrThumbnailer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, self), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}

void
sr_thumbnailer_clear_memory(SrThumbnailer *self)
{
  g_return_if_fail(SR_IS_THUMBNAILER(self));
  g_mutex_lock(&self->lock);
  g_hash_table_remove_all(self->memory);
  g_mutex_unlock(&self->lock);
}

void
sr_thumbnailer_get_stats(SrThumbnailer *self, SrThumbnailerStats *out)
{
  g_return_if_fail(SR_IS_THUMBNAILER(self));
  g_mutex_lock(&self->lock);
  *out = self->stats;
  g_mutex_unlock(&self->lock);
}
