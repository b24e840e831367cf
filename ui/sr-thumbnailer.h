/* sr-thumbnailer.h — small frame thumbnails for the filmstrips.
 *
 * A thumbnail is the frame scaled to a given width (160 px by default),
 * passed through the display transform (sr-display-lut.h: from the frame's
 * colour space to sRGB) and stored as 8-bit sRGB. Thumbnails are made on
 * worker threads and kept twice: in memory (for the session) and on disk
 * under g_get_user_cache_dir()/spatial-recovery/thumbnails/ as PNG, keyed by
 * the SHA-256 of (absolute path, file mtime, file size, colour space, width)
 * so a changed file gets a new thumbnail. Disk writes are atomic.
 */
#pragma once

#include <gdk/gdk.h>
#include <gio/gio.h>

#include "sr-colour.h"

G_BEGIN_DECLS

#define SR_TYPE_THUMBNAILER (sr_thumbnailer_get_type())
G_DECLARE_FINAL_TYPE(SrThumbnailer, sr_thumbnailer, SR, THUMBNAILER, GObject)

#define SR_THUMBNAILER_DEFAULT_WIDTH 160

typedef struct {
  guint generated;   /* decoded from the frame and scaled */
  guint disk_hits;   /* read back from the disk cache */
  guint memory_hits; /* answered from memory */
  guint failures;
} SrThumbnailerStats;

/* cache_dir: where thumbnails are stored; NULL means
 * g_get_user_cache_dir()/spatial-recovery/thumbnails. Created on first write. */
SrThumbnailer *sr_thumbnailer_new(const char *cache_dir);
/* One shared instance for the application (created on first use). */
SrThumbnailer *sr_thumbnailer_get_default(void);

const char *sr_thumbnailer_get_cache_dir(SrThumbnailer *self);

/* Makes (or fetches) the thumbnail of the image file at path, whose pixels
 * are in colour space cs, width px wide (0 = default). The result is a
 * GdkTexture of 8-bit sRGB pixels. Runs on a worker thread; at most two
 * thumbnails are made at once. */
void sr_thumbnailer_load_async(SrThumbnailer *self, const char *path, sr_colourspace cs, int width,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
/* The same for frame `frame` of a movie file (sr-movie.h); for an image
 * file the frame is ignored. The movie stays open for the next frames. */
void sr_thumbnailer_load_frame_async(SrThumbnailer *self, const char *path, int frame,
                                     sr_colourspace cs, int width, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
GdkTexture *sr_thumbnailer_load_finish(SrThumbnailer *self, GAsyncResult *result, GError **error);

/* The thumbnail if it is already in memory (a new reference), else NULL.
 * Does no I/O. */
GdkTexture *sr_thumbnailer_lookup(SrThumbnailer *self, const char *path, sr_colourspace cs,
                                  int width);
GdkTexture *sr_thumbnailer_lookup_frame(SrThumbnailer *self, const char *path, int frame,
                                        sr_colourspace cs, int width);

/* Where the thumbnail of path would be stored on disk (caller frees); NULL +
 * error when the file cannot be stat'ed. Does a stat(), so call it from a
 * worker or a test, not on every frame. */
char *sr_thumbnailer_get_cache_path(SrThumbnailer *self, const char *path, sr_colourspace cs,
                                    int width, GError **error);

/* Forgets the in-memory thumbnails (the disk cache stays). */
void sr_thumbnailer_clear_memory(SrThumbnailer *self);

void sr_thumbnailer_get_stats(SrThumbnailer *self, SrThumbnailerStats *out);

G_END_DECLS
