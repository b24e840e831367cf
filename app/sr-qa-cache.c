/* sr-qa-cache.c — see sr-qa-cache.h: the file beside a render that keeps
 * each frame's QA measurement, its keys and its checks. */
#include "sr-qa-cache.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n.h>

#include "sr-fs.h"

/* Bump when sr_qa_measure_frame() measures differently: old entries must not
 * be reused. */
#define CACHE_VERSION 2
#define CACHE_MAGIC   "SRQACACH"
/* Larger than any reel's cache (about 330 bytes a frame). */
#define CACHE_MAX_BYTES (256u << 20)
/* What an entry keeps of sr_qa_frame: everything measured, not the flags. */
#define FRAME_BYTES offsetof(sr_qa_frame, n_flags)
#define ENTRY_BYTES (4 + SR_SHA256_DIGEST_SIZE + FRAME_BYTES)

typedef struct {
  char magic[8];
  guint32 version, frame_bytes, byte_order, count;
} Header;

typedef struct {
  guint8 key[SR_SHA256_DIGEST_SIZE];
  sr_qa_frame f;
} Entry;

struct SrQaCache {
  GMutex lock;
  char *path;
  GHashTable *entries; /* frame → Entry* */
  gboolean dirty, rejected;
};

char *
sr_qa_cache_path(const char *render_pattern)
{
  g_autofree char *dir = g_path_get_dirname(render_pattern);
  g_autofree char *base = g_path_get_basename(render_pattern);
  size_t stem = strcspn(base, "%#");

  while (stem > 0 && (base[stem - 1] == '.' || base[stem - 1] == '_'))
    stem--;
  base[stem] = '\0';
  g_autofree char *file = g_strconcat(stem ? base : "render", ".qa-cache", NULL);
  return g_build_filename(dir, file, NULL);
}

static void
header_init(Header *h, guint32 count)
{
  memset(h, 0, sizeof *h);
  memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
  h->version = CACHE_VERSION;
  h->frame_bytes = (guint32)FRAME_BYTES;
  h->byte_order = 0x01020304u;
  h->count = count;
}

/* Reads the entries of a well-formed file; FALSE (nothing added) for any
 * file that is not exactly what this build writes. */
static gboolean
parse(GHashTable *entries, const guint8 *data, size_t len)
{
  Header want, h;
  guint8 sum[SR_SHA256_DIGEST_SIZE];

  if (len < sizeof h + SR_SHA256_DIGEST_SIZE)
    return FALSE;
  memcpy(&h, data, sizeof h);
  header_init(&want, h.count);
  if (memcmp(&h, &want, sizeof h) != 0 ||
      len != sizeof h + (size_t)h.count * ENTRY_BYTES + SR_SHA256_DIGEST_SIZE)
    return FALSE;
  sr_sha256_digest(data, len - SR_SHA256_DIGEST_SIZE, sum);
  if (memcmp(sum, data + len - SR_SHA256_DIGEST_SIZE, sizeof sum) != 0)
    return FALSE;
  const guint8 *p = data + sizeof h;
  for (guint32 i = 0; i < h.count; i++, p += ENTRY_BYTES) {
    Entry *e = g_new0(Entry, 1);
    gint32 frame;
    memcpy(&frame, p, 4);
    memcpy(e->key, p + 4, sizeof e->key);
    memcpy(&e->f, p + 4 + sizeof e->key, FRAME_BYTES);
    if (e->f.frame != frame) {
      g_free(e);
      g_hash_table_remove_all(entries);
      return FALSE;
    }
    g_hash_table_replace(entries, GINT_TO_POINTER(frame), e);
  }
  return TRUE;
}

SrQaCache *
sr_qa_cache_open(const char *render_pattern)
{
  SrQaCache *c = g_new0(SrQaCache, 1);
  size_t len = 0;

  g_mutex_init(&c->lock);
  c->path = sr_qa_cache_path(render_pattern);
  c->entries = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  if (!sr_file_exists(c->path))
    return c;
  sr_error err = {0};
  guint8 *data = sr_read_file(c->path, CACHE_MAX_BYTES, &len, &err);
  if (!data || !parse(c->entries, data, len)) {
    g_debug("%s: not a usable QA cache; the frames are measured again", c->path);
    c->rejected = TRUE;
    c->dirty = TRUE; /* replace it with a good one */
  }
  free(data);
  return c;
}

void
sr_qa_cache_free(SrQaCache *c)
{
  if (!c)
    return;
  g_hash_table_unref(c->entries);
  g_free(c->path);
  g_mutex_clear(&c->lock);
  g_free(c);
}

gboolean
sr_qa_cache_was_rejected(const SrQaCache *c)
{
  return c->rejected;
}

guint
sr_qa_cache_size(const SrQaCache *c)
{
  return g_hash_table_size(c->entries);
}

static gboolean
add_identity(sr_sha256 *h, const char *path)
{
  struct stat st;

  if (stat(path, &st) != 0)
    return FALSE;
  gint64 id[2] = {(gint64)st.st_size,
                  (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_mtim.tv_nsec};
  sr_sha256_update(h, path, strlen(path) + 1);
  sr_sha256_update(h, id, sizeof id);
  return TRUE;
}

gboolean
sr_qa_cache_key(const char *context, const char *render_path, const char *source_path,
                const char *reference_path, guint8 key[SR_SHA256_DIGEST_SIZE])
{
  sr_sha256 h;
  guint32 version = CACHE_VERSION;

  sr_sha256_init(&h);
  sr_sha256_update(&h, &version, sizeof version);
  sr_sha256_update(&h, context, strlen(context) + 1);
  if (!add_identity(&h, render_path) || !add_identity(&h, source_path))
    return FALSE;
  if (reference_path && !add_identity(&h, reference_path))
    return FALSE;
  sr_sha256_update(&h, reference_path ? "R" : "-", 1);
  sr_sha256_final(&h, key);
  return TRUE;
}

gboolean
sr_qa_cache_lookup(SrQaCache *c, int frame, const guint8 key[SR_SHA256_DIGEST_SIZE],
                   sr_qa_frame *out)
{
  g_mutex_lock(&c->lock);
  Entry *e = g_hash_table_lookup(c->entries, GINT_TO_POINTER(frame));
  gboolean hit = e && memcmp(e->key, key, sizeof e->key) == 0;
  if (hit)
    *out = e->f;
  g_mutex_unlock(&c->lock);
  return hit;
}

void
sr_qa_cache_store(SrQaCache *c, int frame, const guint8 key[SR_SHA256_DIGEST_SIZE],
                  const sr_qa_frame *f)
{
  Entry *e = g_new0(Entry, 1);

  memcpy(e->key, key, sizeof e->key);
  memcpy(&e->f, f, FRAME_BYTES);
  e->f.frame = frame;
  g_mutex_lock(&c->lock);
  g_hash_table_replace(c->entries, GINT_TO_POINTER(frame), e);
  c->dirty = TRUE;
  g_mutex_unlock(&c->lock);
}

/* Another run over the same render (the Render page's and the Review
 * page's, say) may have saved frames since this one was read: keep those
 * this run did not measure, so neither run undoes the other's work. */
static void
adopt_saved(SrQaCache *c)
{
  size_t len = 0;
  sr_error err = {0};
  guint8 *data =
      sr_file_exists(c->path) ? sr_read_file(c->path, CACHE_MAX_BYTES, &len, &err) : NULL;
  g_autoptr(GHashTable) saved = g_hash_table_new_full(NULL, NULL, NULL, g_free);

  if (data && parse(saved, data, len)) {
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, saved);
    while (g_hash_table_iter_next(&it, &key, &value))
      if (!g_hash_table_contains(c->entries, key)) {
        g_hash_table_insert(c->entries, key, value);
        g_hash_table_iter_steal(&it);
      }
  }
  free(data);
}

gboolean
sr_qa_cache_save(SrQaCache *c, GError **error)
{
  sr_error err = {0};
  gboolean ok = TRUE;

  g_mutex_lock(&c->lock);
  if (c->dirty) {
    adopt_saved(c);
    guint n = g_hash_table_size(c->entries);
    size_t len = sizeof(Header) + (size_t)n * ENTRY_BYTES + SR_SHA256_DIGEST_SIZE;
    guint8 *data = g_malloc0(len), *p = data + sizeof(Header);
    Header h;
    header_init(&h, n);
    memcpy(data, &h, sizeof h);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, c->entries);
    while (g_hash_table_iter_next(&it, &key, &value)) {
      const Entry *e = value;
      gint32 frame = GPOINTER_TO_INT(key);
      memcpy(p, &frame, 4);
      memcpy(p + 4, e->key, sizeof e->key);
      memcpy(p + 4 + sizeof e->key, &e->f, FRAME_BYTES);
      p += ENTRY_BYTES;
    }
    sr_sha256_digest(data, len - SR_SHA256_DIGEST_SIZE, p);
    ok = sr_write_file_atomic(c->path, data, len, &err);
    g_free(data);
    if (ok)
      c->dirty = FALSE;
    else
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("QA cache %s: %s"), c->path,
                  err.message);
  }
  g_mutex_unlock(&c->lock);
  return ok;
}
