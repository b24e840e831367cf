/* sr-sequence.c — numbered frame sequences on disk.
 *
 * A pattern has one frame placeholder in its file name: printf style
 * ("%04d", "%d"; "%%" is a literal percent sign) when the file name has a
 * '%', else the last run of '#' (one per digit). A lone '%' in a folder name
 * is taken literally. Frame numbers run from 0
 * to 99999999. A file belongs to the sequence when its name is exactly what
 * the pattern gives for its number, so "shot.%04d.exr" matches shot.0007.exr
 * and shot.12345.exr but not shot.007.exr.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sr-fs.h"
#include "sr-io.h"
#include "sr-i18n.h"
#include "sr-movie.h"

#define FRAME_MAX        99999999
#define FRAME_DIGITS_MAX 8
/* More gaps than this means the folder mixes sequences (or a stray file has
 * a huge number): say so instead of listing millions of frames. */
#define MISSING_MAX 1000000

typedef struct pattern_parts {
  char *prefix; /* literal text before the number, folder included */
  char *suffix; /* literal text after it */
  int width;    /* zero-padded digit count; 0 = no padding */
} pattern_parts;

static void
parts_clear(pattern_parts *p)
{
  free(p->prefix);
  free(p->suffix);
  memset(p, 0, sizeof *p);
}

/* Appends n bytes of s to a growing string; false on no memory. */
static bool
append(char **buf, size_t *len, const char *s, size_t n)
{
  char *b = realloc(*buf, *len + n + 1);
  if (!b)
    return false;
  memcpy(b + *len, s, n);
  *len += n;
  b[*len] = '\0';
  *buf = b;
  return true;
}

/* 1: a placeholder was found; 0: no placeholder (a plain path);
 * -1: malformed (bad printf spec, two placeholders, placeholder in a folder
 * name); -2: no memory. */
static int
parse_pattern(const char *pattern, pattern_parts *out)
{
  memset(out, 0, sizeof *out);
  const char *slash = strrchr(pattern, '/');
  const char *base = slash ? slash + 1 : pattern;
  bool printf_style = strchr(base, '%') != NULL;
  char *text[2] = {NULL, NULL};
  size_t tlen[2] = {0, 0};
  int part = 0, width = 0;
  int rc = 0;
  if (printf_style) {
    for (const char *p = pattern; *p;) {
      if (p[0] == '%' && p[1] == '%') {
        if (!append(&text[part], &tlen[part], "%", 1))
          goto nomem;
        p += 2;
        continue;
      }
      if (p[0] == '%' && p < base) { /* "50%/shot.%04d.exr" */
        if (!append(&text[part], &tlen[part], "%", 1))
          goto nomem;
        p++;
        continue;
      }
      if (p[0] == '%') {
        const char *q = p + 1;
        int w = 0;
        if (*q == '0') {
          q++;
          while (*q >= '0' && *q <= '9' && w < 100)
            w = w * 10 + (*q++ - '0');
          if (w == 0 || w > FRAME_DIGITS_MAX)
            goto malformed;
        }
        if (*q != 'd' || part == 1 || p < base)
          goto malformed;
        width = w;
        part = 1;
        p = q + 1;
        continue;
      }
      const char *next = strchr(p, '%');
      size_t n = next ? (size_t)(next - p) : strlen(p);
      if (!append(&text[part], &tlen[part], p, n))
        goto nomem;
      p += n;
    }
    if (part == 0)
      goto malformed; /* only "%%": a printf pattern with no frame number */
  } else {
    const char *run = NULL;
    size_t run_len = 0;
    for (const char *p = base; *p;) {
      if (*p == '#') {
        const char *s = p;
        while (*p == '#')
          p++;
        run = s;
        run_len = (size_t)(p - s);
      } else {
        p++;
      }
    }
    if (!run) {
      rc = 0;
      goto done_plain;
    }
    if (run_len > FRAME_DIGITS_MAX)
      goto malformed;
    width = (int)run_len;
    if (!append(&text[0], &tlen[0], pattern, (size_t)(run - pattern)) ||
        !append(&text[1], &tlen[1], run + run_len, strlen(run + run_len)))
      goto nomem;
    part = 1;
  }
  out->prefix = text[0] ? text[0] : strdup("");
  out->suffix = text[1] ? text[1] : strdup("");
  out->width = width <= 1 ? 0 : width;
  if (!out->prefix || !out->suffix) {
    parts_clear(out);
    return -2;
  }
  return 1;
done_plain:
  free(text[0]);
  free(text[1]);
  return rc;
malformed:
  free(text[0]);
  free(text[1]);
  return -1;
nomem:
  free(text[0]);
  free(text[1]);
  return -2;
}

/* The normalised printf pattern: '%' doubled in the literal parts. */
static char *
parts_to_printf(const pattern_parts *p)
{
  char *out = NULL;
  size_t len = 0;
  const char *pieces[2] = {p->prefix, p->suffix};
  for (int i = 0; i < 2; i++) {
    for (const char *s = pieces[i]; *s; s++) {
      if (!append(&out, &len, s, 1) || (*s == '%' && !append(&out, &len, "%", 1))) {
        free(out);
        return NULL;
      }
    }
    if (i == 0) {
      char spec[16];
      if (p->width > 1)
        snprintf(spec, sizeof spec, "%%0%dd", p->width);
      else
        snprintf(spec, sizeof spec, "%%d");
      if (!append(&out, &len, spec, strlen(spec))) {
        free(out);
        return NULL;
      }
    }
  }
  return out;
}

static char *
parts_format(const pattern_parts *p, int frame)
{
  if (frame < 0 || frame > FRAME_MAX)
    return NULL;
  size_t n = strlen(p->prefix) + strlen(p->suffix) + 16;
  char *out = malloc(n);
  if (out)
    snprintf(out, n, "%s%0*d%s", p->prefix, p->width, frame, p->suffix);
  return out;
}

char *
sr_pattern_format(const char *pattern, int frame)
{
  pattern_parts p;
  if (!pattern || parse_pattern(pattern, &p) != 1)
    return NULL;
  char *out = parts_format(&p, frame);
  parts_clear(&p);
  return out;
}

int
sr_pattern_digits(const char *pattern)
{
  pattern_parts p;
  if (!pattern || parse_pattern(pattern, &p) != 1)
    return -1;
  int width = p.width;
  parts_clear(&p);
  return width;
}

void
sr_sequence_clear(sr_sequence *seq)
{
  if (!seq)
    return;
  sr_movie_unref(seq->movie);
  free(seq->pattern);
  free(seq->missing);
  memset(seq, 0, sizeof *seq);
}

static bool
open_single(sr_sequence *seq, const char *path, sr_error *err)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    sr_error_set_errno(err, errno, SR_("cannot open %s"), path);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s is a folder; name a frame pattern inside it (e.g. shot.%%04d.exr or "
                     "shot.####.exr)"),
                 path);
    return false;
  }
  seq->pattern = strdup(path);
  if (!seq->pattern) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  seq->single_file = true;
  return true;
}

static int
cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Frame number of a file name, or -1 when the name is not one the pattern
 * produces. base_prefix is the file-name part of the prefix. */
static int
match_frame(const char *name, const char *base_prefix, const pattern_parts *p)
{
  size_t lp = strlen(base_prefix), ls = strlen(p->suffix), ln = strlen(name);
  if (ln <= lp + ls || strncmp(name, base_prefix, lp) != 0 ||
      strcmp(name + ln - ls, p->suffix) != 0)
    return -1;
  size_t nd = ln - lp - ls;
  if (nd > FRAME_DIGITS_MAX)
    return -1;
  int frame = 0;
  for (size_t i = 0; i < nd; i++) {
    char c = name[lp + i];
    if (c < '0' || c > '9')
      return -1;
    frame = frame * 10 + (c - '0');
  }
  /* Exactly the digits the pattern would write: the padding must agree. */
  char digits[16];
  snprintf(digits, sizeof digits, "%0*d", p->width, frame);
  if (strlen(digits) != nd || strncmp(digits, name + lp, nd) != 0)
    return -1;
  return frame;
}

static bool
scan_folder(sr_sequence *seq, const pattern_parts *p, sr_error *err)
{
  const char *slash = strrchr(p->prefix, '/');
  char *dir = !slash               ? strdup(".")
              : slash == p->prefix ? strdup("/")
                                   : strndup(p->prefix, (size_t)(slash - p->prefix));
  const char *base_prefix = slash ? slash + 1 : p->prefix;
  if (!dir) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  DIR *d = opendir(dir);
  if (!d) {
    sr_error_set_errno(err, errno, SR_("cannot read folder %s (frames of %s)"), dir, seq->pattern);
    free(dir);
    return false;
  }
  int *frames = NULL;
  size_t n = 0, cap = 0;
  bool ok = true;
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d))) {
    if (e->d_type == DT_DIR)
      continue;
    int f = match_frame(e->d_name, base_prefix, p);
    if (f < 0)
      continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 256;
      int *nf = realloc(frames, nc * sizeof *nf);
      if (!nf) {
        sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory listing %s"), dir);
        ok = false;
        break;
      }
      frames = nf;
      cap = nc;
    }
    frames[n++] = f;
  }
  if (ok && errno != 0) {
    sr_error_set_errno(err, errno, SR_("cannot read folder %s (frames of %s)"), dir, seq->pattern);
    ok = false;
  }
  closedir(d);
  if (ok && n == 0) {
    sr_error_set(err, SR_ERR_MISSING,
                 SR_("no frame of %s found in folder %s; check the name pattern and the folder"),
                 seq->pattern, dir);
    ok = false;
  }
  if (ok) {
    qsort(frames, n, sizeof *frames, cmp_int);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
      if (u == 0 || frames[i] != frames[u - 1])
        frames[u++] = frames[i];
    n = u;
    seq->first = frames[0];
    seq->last = frames[n - 1];
    long long missing = (long long)seq->last - seq->first + 1 - (long long)n;
    if (missing > MISSING_MAX) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("%s: frames %d to %d with %lld missing; the folder seems to hold more "
                       "than one sequence, or a stray file with a far-off number"),
                   seq->pattern, seq->first, seq->last, missing);
      ok = false;
    } else if (missing > 0) {
      seq->missing = malloc((size_t)missing * sizeof *seq->missing);
      if (!seq->missing) {
        sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
        ok = false;
      } else {
        int m = 0;
        for (size_t i = 0; i + 1 < n; i++)
          for (int f = frames[i] + 1; f < frames[i + 1]; f++)
            seq->missing[m++] = f;
        seq->n_missing = m;
      }
    }
  }
  free(frames);
  free(dir);
  return ok;
}

/* $XDG_CACHE_HOME/spatial-recovery/movie-index, or under ~/.cache; NULL
 * (no cache) when neither is set. Caller frees. */
static char *
user_index_dir(void)
{
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  char buf[4096];
  if (xdg && xdg[0] == '/')
    snprintf(buf, sizeof buf, "%s/spatial-recovery/movie-index", xdg);
  else if (home && home[0] == '/')
    snprintf(buf, sizeof buf, "%s/.cache/spatial-recovery/movie-index", home);
  else
    return NULL;
  return strdup(buf);
}

static bool
open_movie(sr_sequence *seq, const char *path, const char *index_dir, sr_error *err)
{
  char *user_dir = index_dir ? NULL : user_index_dir();
  sr_movie_options o = {.index_dir = index_dir ? index_dir : user_dir, .threads = 0};
  seq->movie = sr_movie_open(path, &o, err);
  free(user_dir);
  if (!seq->movie)
    return false;
  seq->pattern = strdup(path);
  if (!seq->pattern) {
    sr_sequence_clear(seq);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  seq->first = 0;
  seq->last = sr_movie_get_info(seq->movie)->n_frames - 1;
  return true;
}

/* A plain file whose bytes say movie, whatever '%' or '#' its name holds. */
static bool
is_movie_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && sr_movie_sniff(path);
}

bool
sr_sequence_open(sr_sequence *seq, const char *pattern, sr_error *err)
{
  return sr_sequence_open_indexed(seq, pattern, NULL, err);
}

bool
sr_sequence_open_indexed(sr_sequence *seq, const char *pattern, const char *index_dir,
                         sr_error *err)
{
  memset(seq, 0, sizeof *seq);
  if (!pattern || !pattern[0]) {
    sr_error_set(err, SR_ERR_INVALID, SR_("no sequence pattern given"));
    return false;
  }
  if (is_movie_file(pattern))
    return open_movie(seq, pattern, index_dir, err);
  pattern_parts p;
  int rc = parse_pattern(pattern, &p);
  if (rc == -2) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  if (rc == -1) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s: not a valid frame pattern; put one frame number in the file name, as "
                     "shot.%%04d.exr, shot.%%d.exr or shot.####.exr"),
                 pattern);
    return false;
  }
  if (rc == 0)
    return open_single(seq, pattern, err);
  seq->pattern = parts_to_printf(&p);
  bool ok = seq->pattern != NULL;
  if (!ok)
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
  else
    ok = scan_folder(seq, &p, err);
  parts_clear(&p);
  if (!ok)
    sr_sequence_clear(seq);
  return ok;
}

/* The padding of a sequence known from one file whose number has no leading
 * zero ("s_1000.tif"): any width up to its digit count fits that file, so
 * take the width that fits the most files beside it, the widest on a tie
 * (s_998 ... s_1001 written with %03d give 3, not 4). */
static int
guess_width(const char *dir, const char *base_prefix, const char *suffix, int digits)
{
  int fits[FRAME_DIGITS_MAX + 1] = {0};
  DIR *d = opendir(dir);
  if (!d)
    return digits;
  size_t lp = strlen(base_prefix), ls = strlen(suffix);
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    size_t ln = strlen(n);
    if (ln <= lp + ls || strncmp(n, base_prefix, lp) != 0 || strcmp(n + ln - ls, suffix) != 0)
      continue;
    size_t nd = ln - lp - ls;
    if (nd > FRAME_DIGITS_MAX || strspn(n + lp, "0123456789") < nd)
      continue;
    bool padded = nd > 1 && n[lp] == '0';
    for (int w = 1; w <= digits; w++)
      if (padded ? (int)nd == w : (int)nd >= w)
        fits[w]++;
  }
  closedir(d);
  int best = digits;
  for (int w = digits - 1; w >= 1; w--)
    if (fits[w] > fits[best])
      best = w;
  return best;
}

bool
sr_sequence_from_file(sr_sequence *seq, const char *file, sr_error *err)
{
  memset(seq, 0, sizeof *seq);
  if (!file || !file[0]) {
    sr_error_set(err, SR_ERR_INVALID, SR_("no file given"));
    return false;
  }
  struct stat st;
  if (stat(file, &st) != 0) {
    sr_error_set_errno(err, errno, SR_("cannot open %s"), file);
    return false;
  }
  if (is_movie_file(file))
    return open_movie(seq, file, NULL, err);
  const char *slash = strrchr(file, '/');
  const char *base = slash ? slash + 1 : file;
  /* The frame number is the last run of digits in the file name. */
  const char *run = NULL, *run_end = NULL;
  for (const char *p = base; *p;) {
    if (*p >= '0' && *p <= '9') {
      const char *s = p;
      while (*p >= '0' && *p <= '9')
        p++;
      run = s;
      run_end = p;
    } else {
      p++;
    }
  }
  if (!run || run_end - run > FRAME_DIGITS_MAX)
    return open_single(seq, file, err);
  pattern_parts p = {0};
  p.prefix = strndup(file, (size_t)(run - file));
  p.suffix = strdup(run_end);
  int digits = (int)(run_end - run);
  int width = digits;
  if (digits > 1 && run[0] != '0' && p.prefix && p.suffix) {
    char *dir = slash ? strndup(file, (size_t)(slash - file)) : strdup(".");
    if (dir && !dir[0]) { /* "/name": the root folder */
      free(dir);
      dir = strdup("/");
    }
    if (dir)
      width = guess_width(dir, p.prefix + (base - file), p.suffix, digits);
    free(dir);
  }
  p.width = width > 1 ? width : 0;
  char *pattern = p.prefix && p.suffix ? parts_to_printf(&p) : NULL;
  parts_clear(&p);
  if (!pattern) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  bool ok = sr_sequence_open(seq, pattern, err);
  free(pattern);
  return ok;
}

bool
sr_sequence_copy(sr_sequence *dst, const sr_sequence *src, sr_error *err)
{
  memset(dst, 0, sizeof *dst);
  *dst = *src;
  dst->pattern = src->pattern ? strdup(src->pattern) : NULL;
  dst->missing = NULL;
  bool has_missing = src->n_missing > 0 && src->missing;
  if (!has_missing)
    dst->n_missing = 0;
  else
    dst->missing = malloc((size_t)src->n_missing * sizeof *dst->missing);
  if ((src->pattern && !dst->pattern) || (has_missing && !dst->missing)) {
    free(dst->pattern);
    free(dst->missing);
    memset(dst, 0, sizeof *dst);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  if (dst->missing)
    memcpy(dst->missing, src->missing, (size_t)src->n_missing * sizeof *dst->missing);
  dst->movie = sr_movie_ref(src->movie);
  return true;
}

bool
sr_sequence_frame_info(const sr_sequence *seq, int frame, sr_image_info *info, sr_error *err)
{
  memset(info, 0, sizeof *info);
  if (seq && seq->movie) {
    if (!sr_sequence_has_frame(seq, frame)) {
      sr_error_set(err, SR_ERR_MISSING, SR_("frame %d of %s is missing (the movie runs 0-%d)"),
                   frame, seq->pattern, seq->last);
      return false;
    }
    const sr_movie_info *mi = sr_movie_get_info(seq->movie);
    info->format = SR_FORMAT_MOVIE;
    info->width = mi->width;
    info->height = mi->height;
    info->channels = 3;
    info->data_window = info->display_window = (sr_rect){0, 0, mi->width, mi->height};
    info->bit_depth = mi->bit_depth;
    return true;
  }
  char *path = sr_sequence_frame_path(seq, frame);
  if (!path) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  bool ok = sr_image_read_info(path, info, err);
  free(path);
  return ok;
}

char *
sr_sequence_frame_path(const sr_sequence *seq, int frame)
{
  if (!seq || !seq->pattern)
    return NULL;
  if (seq->single_file || seq->movie)
    return strdup(seq->pattern);
  return sr_pattern_format(seq->pattern, frame);
}

bool
sr_sequence_has_frame(const sr_sequence *seq, int frame)
{
  if (!seq || !seq->pattern || frame < seq->first || frame > seq->last)
    return false;
  return !seq->n_missing ||
         !bsearch(&frame, seq->missing, (size_t)seq->n_missing, sizeof *seq->missing, cmp_int);
}

sr_image *
sr_sequence_read(const sr_sequence *seq, int frame, sr_error *err)
{
  if (!seq || !seq->pattern) {
    sr_error_set(err, SR_ERR_INVALID, SR_("no sequence open"));
    return NULL;
  }
  if (!sr_sequence_has_frame(seq, frame)) {
    if (frame < seq->first || frame > seq->last)
      sr_error_set(err, SR_ERR_MISSING, SR_("frame %d of %s is missing (the sequence runs %d-%d)"),
                   frame, seq->pattern, seq->first, seq->last);
    else
      sr_error_set(err, SR_ERR_MISSING, SR_("frame %d of %s is missing"), frame, seq->pattern);
    return NULL;
  }
  if (seq->movie)
    return sr_movie_read(seq->movie, frame, err);
  char *path = sr_sequence_frame_path(seq, frame);
  if (!path) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return NULL;
  }
  sr_image *img = sr_image_read(path, err);
  free(path);
  if (!img) {
    if (err && err->code == SR_ERR_MISSING)
      sr_error_prefix(err, SR_("frame %d of %s is missing: "), frame, seq->pattern);
    else
      sr_error_prefix(err, SR_("frame %d: "), frame);
  }
  return img;
}

void
sr_sequence_describe_missing(const sr_sequence *seq, char *buf, size_t len)
{
  if (!buf || len == 0)
    return;
  buf[0] = '\0';
  if (!seq || seq->n_missing <= 0)
    return;
  static const char more[] = ", ...";
  size_t used = 0;
  for (int i = 0; i < seq->n_missing;) {
    int j = i;
    while (j + 1 < seq->n_missing && seq->missing[j + 1] == seq->missing[j] + 1)
      j++;
    char piece[32];
    int n = i == j ? snprintf(piece, sizeof piece, "%s%d", i ? ", " : "", seq->missing[i])
                   : snprintf(piece, sizeof piece, "%s%d-%d", i ? ", " : "", seq->missing[i],
                              seq->missing[j]);
    bool last = j + 1 >= seq->n_missing;
    /* Keep room for ", ..." unless this is the last piece. */
    size_t room = len - 1 - used;
    if ((size_t)n > room || (!last && (size_t)n + sizeof more - 1 > room)) {
      const char *tail = used ? more : more + 2; /* no leading ", " */
      if (strlen(tail) <= room)
        memcpy(buf + used, tail, strlen(tail) + 1);
      return;
    }
    memcpy(buf + used, piece, (size_t)n + 1);
    used += (size_t)n;
    i = j + 1;
  }
}

bool
sr_file_set_add_sequence(sr_file_set *set, const sr_sequence *seq, sr_error *err)
{
  for (int f = seq->first; f <= seq->last; f++) {
    char *path = sr_sequence_frame_path(seq, f);
    bool ok = path && sr_file_set_add(set, path, err);
    if (!path)
      sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    free(path);
    if (!ok)
      return false;
    if (seq->single_file)
      break;
  }
  return true;
}

bool
sr_file_set_refuse_pattern(sr_file_set *set, const char *out_pattern, int first, int last,
                           sr_error *err)
{
  for (int f = first; f <= last; f++) {
    char *path = sr_pattern_format(out_pattern, f);
    if (!path)
      return true; /* not a pattern: the caller's own check names that */
    bool ok = sr_file_set_refuse(set, path, err);
    free(path);
    if (!ok)
      return false;
  }
  return true;
}
