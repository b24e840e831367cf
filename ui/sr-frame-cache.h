/* sr-frame-cache.h — frames of a sequence, loaded off the main thread.
 *
 * SrFrame is an immutable, reference-counted float frame (an sr_image plus
 * its frame number). Once wrapped, the image is never written again, so a
 * frame can be shown by several viewers and kept by the cache at once.
 *
 * SrFrameCache reads frames of one sr_sequence on worker threads and keeps
 * the most recently used ones under a memory budget (LRU). The caller says
 * which frame it wants to show with sr_frame_cache_show(); the cache reads it
 * first, then prefetches neighbours in the direction of travel. Requests
 * that are no longer wanted (the user scrubbed past them) are dropped before
 * their read starts. Results are delivered on the main context the cache was
 * created in, through the "frame-ready" / "frame-failed" signals or through
 * the GAsyncResult of sr_frame_cache_load_async(). Nothing here blocks the
 * main thread on I/O.
 */
#pragma once

#include <gio/gio.h>

#include "sr-image.h"
#include "sr-io.h"

G_BEGIN_DECLS

/* ---- SrFrame ------------------------------------------------------------- */

typedef struct _SrFrame SrFrame;

#define SR_TYPE_FRAME (sr_frame_get_type())
GType sr_frame_get_type(void) G_GNUC_CONST;

/* Takes ownership of img (freed with the last reference). img must not be
 * modified afterwards. */
SrFrame *sr_frame_new_take(sr_image *img, int number);
/* Wraps a copy of img; NULL + error when the copy cannot be allocated. */
SrFrame *sr_frame_new_copy(const sr_image *img, int number, GError **error);
SrFrame *sr_frame_ref(SrFrame *frame);
void sr_frame_unref(SrFrame *frame);
const sr_image *sr_frame_get_image(const SrFrame *frame);
int sr_frame_get_number(const SrFrame *frame);
/* Bytes of pixel memory the frame holds (what the cache budget counts). */
gsize sr_frame_get_size(const SrFrame *frame);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrFrame, sr_frame_unref)

/* ---- SrFrameCache -------------------------------------------------------- */

#define SR_TYPE_FRAME_CACHE (sr_frame_cache_get_type())
G_DECLARE_FINAL_TYPE(SrFrameCache, sr_frame_cache, SR, FRAME_CACHE, GObject)

/* Default memory budget: 1 GiB holds ~10 float RGB 2K frames. */
#define SR_FRAME_CACHE_DEFAULT_BUDGET ((guint64)1 << 30)

typedef struct {
  guint loads;    /* frames read from disk */
  guint hits;     /* requests answered from memory */
  guint dropped;  /* queued reads dropped as stale before they started */
  guint failures; /* reads that failed */
  guint n_frames; /* frames held now */
  guint64 bytes;  /* pixel memory held now */
} SrFrameCacheStats;

/* budget_bytes: memory the cache may hold (0 = SR_FRAME_CACHE_DEFAULT_BUDGET).
 * Results are delivered on the thread-default main context of the caller. */
SrFrameCache *sr_frame_cache_new(guint64 budget_bytes);

/* Replaces the sequence (deep copy of seq; NULL clears). Drops every cached
 * frame and queued read; reads in flight finish but are discarded. */
void sr_frame_cache_set_sequence(SrFrameCache *self, const sr_sequence *seq);
/* Opens a sequence from a pattern ("shot.%04d.exr", "shot.####.exr") or one
 * of its files and sets it. Scans one folder listing; no pixels are read. */
gboolean sr_frame_cache_open(SrFrameCache *self, const char *pattern_or_file, GError **error);
/* The current sequence, or NULL. Owned by the cache. */
const sr_sequence *sr_frame_cache_get_sequence(SrFrameCache *self);

/* The frame the user wants to see now. When cached, "frame-ready" is
 * emitted from an idle callback (never re-entrantly); otherwise it is read
 * first and neighbours are prefetched afterwards. Queued reads outside the
 * new prefetch window are dropped. */
void sr_frame_cache_show(SrFrameCache *self, int frame);
/* The last frame passed to sr_frame_cache_show() (G_MININT when none). */
int sr_frame_cache_get_current(SrFrameCache *self);

/* A frame from memory without reading anything; NULL when not cached.
 * Returns a new reference. */
SrFrame *sr_frame_cache_lookup(SrFrameCache *self, int frame);

/* One frame through a GAsyncResult, independent of the scrub position (it is
 * never dropped as stale; cancel it through cancellable instead). */
void sr_frame_cache_load_async(SrFrameCache *self, int frame, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
SrFrame *sr_frame_cache_load_finish(SrFrameCache *self, GAsyncResult *result, GError **error);

/* Frames prefetched on each side of the shown frame (default 2; more in the
 * direction of travel). 0 disables prefetch. */
void sr_frame_cache_set_prefetch(SrFrameCache *self, guint n_frames);
void sr_frame_cache_set_budget(SrFrameCache *self, guint64 budget_bytes);
guint64 sr_frame_cache_get_budget(SrFrameCache *self);

/* Drops every cached frame (a render rewrote them, say). */
void sr_frame_cache_clear(SrFrameCache *self);
/* Drops one cached frame so the next show re-reads it from disk. */
void sr_frame_cache_invalidate(SrFrameCache *self, int frame);

void sr_frame_cache_get_stats(SrFrameCache *self, SrFrameCacheStats *out);

/* Signals:
 *   "frame-ready"  (SrFrameCache *, int number, SrFrame *frame)
 *       the frame last asked for with sr_frame_cache_show() is available
 *       (prefetched frames land silently in the cache).
 *   "frame-failed" (SrFrameCache *, int number, const char *message)
 *       the shown frame could not be read; message names the file and
 *       says what is wrong.
 * Properties: "current" (int, read-only), "budget" (guint64),
 *   "prefetch" (guint). */

G_END_DECLS
