/* sr-movie-index.c — the frame index of a movie and its cache on disk.
 *
 * Cache file (native byte order; it never leaves the machine that wrote it):
 *   "SRMOVIX1", u32 stream, u32 n, i64 size, i64 mtime_s, i64 mtime_ns,
 *   n × i64 pts, n × u8 keyframe, 32-byte SHA-256 of all that precedes.
 * Its name is the movie's file name plus a hash of its absolute path, so two
 * reels called "A001.mov" in different folders never share one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sr-fs.h"
#include "sr-i18n.h"
#include "sr-movie-private.h"
#include "sr-sha256.h"

#define MAGIC      "SRMOVIX1"
#define HEADER     (8 + 4 + 4 + 8 * 3)
#define FRAMES_MAX (1 << 26) /* 2 weeks at 50 fps: more is a broken header */

void
sr_movie_index_clear(sr_movie_index *ix)
{
  free(ix->pts);
  free(ix->key);
  memset(ix, 0, sizeof *ix);
}

typedef struct entry {
  int64_t pts;
  uint8_t key;
} entry;

static int
cmp_entry(const void *a, const void *b)
{
  int64_t x = ((const entry *)a)->pts, y = ((const entry *)b)->pts;
  return (x > y) - (x < y);
}

static bool
grow(entry **v, int *cap, int n)
{
  if (n < *cap)
    return true;
  int nc = *cap ? *cap * 2 : 1024;
  entry *nv = realloc(*v, (size_t)nc * sizeof *nv);
  if (!nv)
    return false;
  *v = nv;
  *cap = nc;
  return true;
}

static bool
from_entries(sr_movie_index *ix, entry *v, int n, const char *path, sr_error *err)
{
  qsort(v, (size_t)n, sizeof *v, cmp_entry);
  for (int i = 1; i < n; i++) {
    if (v[i].pts == v[i - 1].pts) {
      sr_error_set(err, SR_ERR_UNSUPPORTED,
                   SR_("%s: two frames share the timestamp %lld, so frames cannot be numbered "
                       "reliably; remux the file (ffmpeg -i IN -c copy OUT.mkv) or export an "
                       "image sequence"),
                   path, (long long)v[i].pts);
      return false;
    }
  }
  ix->pts = malloc((size_t)n * sizeof *ix->pts);
  ix->key = malloc((size_t)n);
  if (!ix->pts || !ix->key) {
    sr_movie_index_clear(ix);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (int i = 0; i < n; i++) {
    ix->pts[i] = v[i].pts;
    ix->key[i] = v[i].key;
  }
  ix->key[0] = 1; /* decoding always starts from the first packet */
  ix->n = n;
  return true;
}

bool
sr_movie_index_build(sr_movie_index *ix, AVFormatContext *fmt, int stream, const char *path,
                     sr_error *err)
{
  memset(ix, 0, sizeof *ix);
  AVPacket *pkt = av_packet_alloc();
  entry *v = NULL;
  int n = 0, cap = 0;
  bool ok = false;
  if (!pkt) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (;;) {
    int rc = av_read_frame(fmt, pkt);
    if (rc == AVERROR_EOF)
      break;
    if (rc < 0) {
      char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
      av_strerror(rc, buf, sizeof buf);
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: cannot be indexed: reading failed after %d frames (%s)"), path, n, buf);
      goto out;
    }
    bool mine = pkt->stream_index == stream && !(pkt->flags & AV_PKT_FLAG_DISCARD);
    if (mine && pkt->pts == AV_NOPTS_VALUE) {
      sr_error_set(err, SR_ERR_UNSUPPORTED,
                   SR_("%s: cannot be indexed: frame %d carries no timestamp (a raw elementary "
                       "stream?); wrap it in a container first (ffmpeg -i IN -c copy OUT.mkv)"),
                   path, n);
      av_packet_unref(pkt);
      goto out;
    }
    if (mine && n >= FRAMES_MAX) {
      sr_error_set(err, SR_ERR_UNSUPPORTED, SR_("%s: cannot be indexed: more than %d frames"), path,
                   FRAMES_MAX);
      av_packet_unref(pkt);
      goto out;
    }
    if (mine) {
      if (!grow(&v, &cap, n)) {
        sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
        av_packet_unref(pkt);
        goto out;
      }
      v[n++] = (entry){pkt->pts, (pkt->flags & AV_PKT_FLAG_KEY) ? 1 : 0};
    }
    av_packet_unref(pkt);
  }
  if (n == 0) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: the video stream holds no frame"), path);
    goto out;
  }
  if (!from_entries(ix, v, n, path, err))
    goto out;
  int rc = av_seek_frame(fmt, stream, ix->pts[0], AVSEEK_FLAG_BACKWARD);
  if (rc < 0)
    rc = avformat_seek_file(fmt, -1, INT64_MIN, 0, INT64_MAX, 0);
  if (rc < 0) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: cannot be indexed: the file does not allow seeking"), path);
    sr_movie_index_clear(ix);
    goto out;
  }
  ok = true;
out:
  free(v);
  av_packet_free(&pkt);
  return ok;
}

int
sr_movie_index_find(const sr_movie_index *ix, int64_t pts)
{
  int lo = 0, hi = ix->n - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (ix->pts[mid] == pts)
      return mid;
    if (ix->pts[mid] < pts)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

char *
sr_movie_index_cache_path(const char *path, const char *dir)
{
  char *abs = realpath(path, NULL);
  const char *key = abs ? abs : path;
  uint8_t d[SR_SHA256_DIGEST_SIZE];
  char hex[SR_SHA256_HEX_SIZE];
  sr_sha256_digest(key, strlen(key), d);
  sr_sha256_hex(d, hex);
  free(abs);
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t n = strlen(dir) + strlen(base) + 40;
  char *out = malloc(n);
  if (out)
    snprintf(out, n, "%s/%s.%.16s.srindex", dir, base, hex);
  return out;
}

/* The identity a cache is valid for. */
static bool
stamp(const char *path, int64_t st3[3])
{
  struct stat st;
  if (stat(path, &st) != 0)
    return false;
  st3[0] = (int64_t)st.st_size;
  st3[1] = (int64_t)st.st_mtim.tv_sec;
  st3[2] = (int64_t)st.st_mtim.tv_nsec;
  return true;
}

bool
sr_movie_index_load(sr_movie_index *ix, const char *path, const char *dir, int stream)
{
  memset(ix, 0, sizeof *ix);
  char *cache = sr_movie_index_cache_path(path, dir);
  int64_t want[3];
  size_t len = 0;
  uint8_t *buf = cache && stamp(path, want)
                     ? sr_read_file(cache, HEADER + (size_t)FRAMES_MAX * 9 + 32, &len, NULL)
                     : NULL;
  free(cache);
  bool ok = false;
  if (!buf || len < HEADER + 32 || memcmp(buf, MAGIC, 8) != 0)
    goto out;
  uint8_t d[SR_SHA256_DIGEST_SIZE];
  sr_sha256_digest(buf, len - 32, d);
  uint32_t s, n;
  int64_t have[3];
  memcpy(&s, buf + 8, 4);
  memcpy(&n, buf + 12, 4);
  memcpy(have, buf + 16, sizeof have);
  if (memcmp(d, buf + len - 32, 32) != 0 || s != (uint32_t)stream || n == 0 || n > FRAMES_MAX ||
      len != HEADER + (size_t)n * 9 + 32 || memcmp(have, want, sizeof have) != 0)
    goto out;
  ix->pts = malloc((size_t)n * sizeof *ix->pts);
  ix->key = malloc(n);
  if (!ix->pts || !ix->key)
    goto out;
  memcpy(ix->pts, buf + HEADER, (size_t)n * 8);
  memcpy(ix->key, buf + HEADER + (size_t)n * 8, n);
  ix->n = (int)n;
  ok = true;
  for (int i = 1; i < ix->n && ok; i++)
    ok = ix->pts[i] > ix->pts[i - 1];
out:
  if (!ok)
    sr_movie_index_clear(ix);
  free(buf);
  return ok;
}

void
sr_movie_index_save(const sr_movie_index *ix, const char *path, const char *dir, int stream)
{
  int64_t st3[3];
  if (!stamp(path, st3) || !sr_mkdir_p(dir, NULL))
    return;
  size_t len = HEADER + (size_t)ix->n * 9 + 32;
  uint8_t *buf = malloc(len);
  char *cache = sr_movie_index_cache_path(path, dir);
  if (buf && cache) {
    uint32_t s = (uint32_t)stream, n = (uint32_t)ix->n;
    memcpy(buf, MAGIC, 8);
    memcpy(buf + 8, &s, 4);
    memcpy(buf + 12, &n, 4);
    memcpy(buf + 16, st3, sizeof st3);
    memcpy(buf + HEADER, ix->pts, (size_t)ix->n * 8);
    memcpy(buf + HEADER + (size_t)ix->n * 8, ix->key, (size_t)ix->n);
    sr_sha256_digest(buf, len - 32, buf + len - 32);
    sr_write_file_atomic(cache, buf, len, NULL);
  }
  free(buf);
  free(cache);
}
