/* sr-qa-cache.h — per-frame QA results kept beside a render, so that the
 * Render page, the Review page, Deliver and the command line measure each
 * rendered frame once.
 *
 * sr_validation_run() looks every frame up before reading it. An entry is
 * used only when its key matches: a SHA-256 over the identity (path, size,
 * modification time in nanoseconds) of the rendered frame and of the Source
 * and Reference frames it is compared with, the model id, the
 * preprocessing the metrics depend on, whether the frame is held out, and
 * the cache format. Touching any of those files, retraining or editing the
 * crop or colour spaces therefore measures the frame again.
 *
 * The file, <render folder>/<render name>.qa-cache next to the frames
 * (shot_v001_m1a2b3c4d5e6.%06d.exr → shot_v001_m1a2b3c4d5e6.qa-cache), is
 * binary: a header (magic, version, entry size, byte order, count), the
 * entries (frame, key, the measured sr_qa_frame up to its flags), and a
 * SHA-256 of all that. A file that is short, long, from another build or
 * version, or whose checksum fails is ignored and rewritten, never trusted.
 * Saving writes atomically; a folder that cannot be written only costs the
 * next run its cache. Lookups and stores are thread-safe.
 */
#pragma once

#include <glib.h>

#include "sr-metrics.h"
#include "sr-sha256.h"

G_BEGIN_DECLS

typedef struct SrQaCache SrQaCache;

/* The cache file of a render pattern (caller frees). */
char *sr_qa_cache_path(const char *render_pattern);

/* Loads the cache of a render; never fails: a missing, unreadable or bad
 * file gives an empty cache (sr_qa_cache_was_rejected() says which). */
SrQaCache *sr_qa_cache_open(const char *render_pattern);
void sr_qa_cache_free(SrQaCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrQaCache, sr_qa_cache_free)

/* TRUE when a cache file was there but could not be trusted. */
gboolean sr_qa_cache_was_rejected(const SrQaCache *cache);
guint sr_qa_cache_size(const SrQaCache *cache);

/* The key of one frame. context names what else the measurement depends on
 * (model id, preprocessing, held-out); reference_path may be NULL. FALSE when
 * a file cannot be looked at (the frame is then measured, not cached). */
gboolean sr_qa_cache_key(const char *context, const char *render_path, const char *source_path,
                         const char *reference_path, guint8 key[SR_SHA256_DIGEST_SIZE]);

/* Copies the cached measurement of `frame` into out when its key matches. */
gboolean sr_qa_cache_lookup(SrQaCache *cache, int frame, const guint8 key[SR_SHA256_DIGEST_SIZE],
                            sr_qa_frame *out);
/* Records a fresh measurement (flicker and flags are not kept: they are
 * worked out over the sequence each time). */
void sr_qa_cache_store(SrQaCache *cache, int frame, const guint8 key[SR_SHA256_DIGEST_SIZE],
                       const sr_qa_frame *f);
/* Writes the file atomically when anything was stored since it was read;
 * FALSE with error when it cannot be written. */
gboolean sr_qa_cache_save(SrQaCache *cache, GError **error);

G_END_DECLS
