#include "sr-fs.h"
#include "sr-i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *
sr_path_join(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  bool slash = la > 0 && a[la - 1] != '/';
  char *out = malloc(la + lb + 2);
  if (!out)
    return NULL;
  memcpy(out, a, la);
  if (slash)
    out[la++] = '/';
  memcpy(out + la, b, lb + 1);
  return out;
}

char *
sr_path_dirname(const char *path)
{
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  if (slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

static void
fsync_dir_of(const char *path)
{
  char *dir = sr_path_dirname(path);
  if (!dir)
    return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

char *
sr_atomic_temp_name(const char *path, sr_error *err)
{
  char *dir = sr_path_dirname(path);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (!dir) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return NULL;
  }
  size_t n = strlen(dir) + strlen(base) + 32;
  char *tmp = malloc(n);
  if (!tmp) {
    free(dir);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return NULL;
  }
  /* Created under its final name in one step (O_EXCL): a name made first
   * and renamed to ".tmp" afterwards would free the first name for another
   * process writing the same frame into the same folder. */
  snprintf(tmp, n, "%s/.%s.XXXXXX.tmp", dir, base);
  free(dir);
  int fd = mkstemps(tmp, 4);
  if (fd < 0) {
    sr_error_set_errno(err, errno, SR_("cannot create a file in the folder of %s"), path);
    free(tmp);
    return NULL;
  }
  /* mkstemp creates 0600; the delivered file should get the usual
   * permissions (0666 less the umask) like any other file the user writes. */
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) {
    sr_error_set_errno(err, errno, SR_("cannot set permissions on a temporary file for %s"), path);
    close(fd);
    unlink(tmp);
    free(tmp);
    return NULL;
  }
  close(fd);
  return tmp;
}

bool
sr_atomic_finish(const char *temp_path, const char *path, sr_error *err)
{
  int fd = open(temp_path, O_RDONLY);
  if (fd < 0) {
    sr_error_set_errno(err, errno, SR_("cannot reopen the temporary file for %s"), path);
    unlink(temp_path);
    return false;
  }
  if (fsync(fd) != 0) {
    int e = errno;
    close(fd);
    unlink(temp_path);
    sr_error_set_errno(err, e, SR_("cannot write %s"), path);
    return false;
  }
  close(fd);
  if (rename(temp_path, path) != 0) {
    int e = errno;
    unlink(temp_path);
    sr_error_set_errno(err, e, SR_("cannot replace %s"), path);
    return false;
  }
  fsync_dir_of(path);
  return true;
}

bool
sr_atomic_open(sr_atomic_file *af, const char *path, sr_error *err)
{
  memset(af, 0, sizeof *af);
  af->temp_path = sr_atomic_temp_name(path, err);
  if (!af->temp_path)
    return false;
  af->final_path = strdup(path);
  af->fp = fopen(af->temp_path, "wb");
  if (!af->fp || !af->final_path) {
    sr_error_set_errno(err, af->fp ? ENOMEM : errno, SR_("cannot write %s"), path);
    sr_atomic_abort(af);
    return false;
  }
  return true;
}

bool
sr_atomic_commit(sr_atomic_file *af, sr_error *err)
{
  if (!af->fp) {
    sr_error_set(err, SR_ERR_IO, SR_("internal: atomic file not open"));
    return false;
  }
  int e = 0;
  if (fflush(af->fp) != 0 || ferror(af->fp))
    e = errno ? errno : EIO;
  if (!e && fsync(fileno(af->fp)) != 0)
    e = errno;
  if (fclose(af->fp) != 0 && !e)
    e = errno;
  af->fp = NULL;
  if (e) {
    sr_error_set_errno(err, e, SR_("cannot write %s"), af->final_path);
    sr_atomic_abort(af);
    return false;
  }
  if (rename(af->temp_path, af->final_path) != 0) {
    sr_error_set_errno(err, errno, SR_("cannot replace %s"), af->final_path);
    sr_atomic_abort(af);
    return false;
  }
  fsync_dir_of(af->final_path);
  free(af->temp_path);
  free(af->final_path);
  af->temp_path = af->final_path = NULL;
  return true;
}

void
sr_atomic_abort(sr_atomic_file *af)
{
  if (af->fp)
    fclose(af->fp);
  if (af->temp_path)
    unlink(af->temp_path);
  free(af->temp_path);
  free(af->final_path);
  memset(af, 0, sizeof *af);
}

bool
sr_write_file_atomic(const char *path, const void *data, size_t len, sr_error *err)
{
  sr_atomic_file af;
  if (!sr_atomic_open(&af, path, err))
    return false;
  if (len && fwrite(data, 1, len, af.fp) != len) {
    sr_error_set_errno(err, errno ? errno : EIO, SR_("cannot write %s"), path);
    sr_atomic_abort(&af);
    return false;
  }
  return sr_atomic_commit(&af, err);
}

int
sr_open_regular(const char *path, sr_error *err)
{
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait, beyond the
   * reach of Ctrl-C's cancel flag, for a writer that never comes. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    sr_error_set_errno(err, errno, SR_("cannot open %s"), path);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    sr_error_set(err, SR_ERR_IO,
                 SR_("%s is not a regular file (a folder, pipe or device); give a file"), path);
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

FILE *
sr_fopen_regular(const char *path, sr_error *err)
{
  int fd = sr_open_regular(path, err);
  if (fd < 0)
    return NULL;
  FILE *fp = fdopen(fd, "rb");
  if (!fp) {
    sr_error_set_errno(err, errno, SR_("cannot open %s"), path);
    close(fd);
  }
  return fp;
}

void *
sr_read_file(const char *path, size_t max_len, size_t *len, sr_error *err)
{
  FILE *fp = sr_fopen_regular(path, err);
  if (!fp)
    return NULL;
  struct stat st;
  if (fstat(fileno(fp), &st) != 0) {
    sr_error_set_errno(err, errno, SR_("cannot read %s"), path);
    fclose(fp);
    return NULL;
  }
  if ((unsigned long long)st.st_size > max_len) {
    fclose(fp);
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s is too large (%lld bytes, at most %zu expected)"),
                 path, (long long)st.st_size, max_len);
    return NULL;
  }
  size_t n = (size_t)st.st_size;
  char *buf = malloc(n + 1);
  if (!buf) {
    fclose(fp);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory reading %s"), path);
    return NULL;
  }
  if (n && fread(buf, 1, n, fp) != n) {
    sr_error_set_errno(err, errno ? errno : EIO, SR_("cannot read %s"), path);
    free(buf);
    fclose(fp);
    return NULL;
  }
  fclose(fp);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

bool
sr_mkdir_p(const char *path, sr_error *err)
{
  if (!path || !*path) {
    sr_error_set(err, SR_ERR_INVALID, SR_("an empty folder name was given; name the folder"));
    return false;
  }
  char *p = strdup(path);
  if (!p) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (char *s = p + 1;; s++) {
    if (*s == '/' || *s == '\0') {
      char c = *s;
      *s = '\0';
      if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        sr_error_set_errno(err, errno, SR_("cannot create folder %s"), p);
        free(p);
        return false;
      }
      *s = c;
      if (c == '\0')
        break;
    }
  }
  free(p);
  if (!sr_is_dir(path)) {
    sr_error_set(err, SR_ERR_IO, SR_("%s exists and is not a folder"), path);
    return false;
  }
  return true;
}

bool
sr_file_exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

bool
sr_is_dir(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
sr_fs_remove_stale_temps(const char *dir, const char *prefix)
{
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int removed = 0;
  size_t lp = strlen(prefix);
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    size_t ln = strlen(n);
    if (ln < 6 || n[0] != '.' || strcmp(n + ln - 4, ".tmp") != 0)
      continue;
    if (lp && strncmp(n + 1, prefix, lp) != 0)
      continue;
    char *full = sr_path_join(dir, n);
    if (full && unlink(full) == 0)
      removed++;
    free(full);
  }
  closedir(d);
  return removed;
}

int
sr_fs_remove_stale_temps_owned(const char *dir, bool (*owned)(const char *name, void *user),
                               void *user, int min_age_seconds)
{
  time_t now = time(NULL);
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int removed = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    size_t ln = strlen(n);
    /* ".NAME.XXXXXX.tmp": at least one character of NAME. */
    if (ln < 13 || n[0] != '.' || strcmp(n + ln - 4, ".tmp") != 0 || n[ln - 11] != '.')
      continue;
    char *target = strndup(n + 1, ln - 12);
    if (target && owned(target, user)) {
      char *full = sr_path_join(dir, n);
      struct stat st;
      /* A temporary touched lately may be a frame another process is
       * writing right now (two farm tasks over the same frames). */
      bool old_enough =
          full && stat(full, &st) == 0 && difftime(now, st.st_mtime) >= (double)min_age_seconds;
      if (old_enough && unlink(full) == 0)
        removed++;
      free(full);
    }
    free(target);
  }
  closedir(d);
  return removed;
}

/* ---- input identities ------------------------------------------------------------ */

typedef struct file_key {
  unsigned long long dev, ino;
  char *name; /* NULL: the file itself; else a name inside the folder dev/ino */
  int input;  /* index into sr_file_set.paths; -1 for an empty slot */
} file_key;

struct sr_file_set {
  file_key *slots;
  size_t cap, used; /* cap is a power of two, kept at most half full */
  char **paths;
  size_t n_paths, cap_paths;
  /* The folder stat()ed last: frames of a sequence share one. */
  char *last_dir;
  bool last_dir_ok;
  struct stat last_dir_st;
};

static size_t
key_hash(unsigned long long dev, unsigned long long ino, const char *name)
{
  unsigned long long h = 1469598103934665603ull;
  h = (h ^ dev) * 1099511628211ull;
  h = (h ^ ino) * 1099511628211ull;
  for (const char *c = name; c && *c; c++)
    h = (h ^ (unsigned char)*c) * 1099511628211ull;
  return (size_t)(h ^ (h >> 29));
}

static bool
key_equal(const file_key *k, unsigned long long dev, unsigned long long ino, const char *name)
{
  if (k->dev != dev || k->ino != ino || (k->name == NULL) != (name == NULL))
    return false;
  return !name || strcmp(k->name, name) == 0;
}

static file_key *
key_slot(const sr_file_set *s, unsigned long long dev, unsigned long long ino, const char *name)
{
  size_t i = key_hash(dev, ino, name) & (s->cap - 1);
  while (s->slots[i].input >= 0 && !key_equal(&s->slots[i], dev, ino, name))
    i = (i + 1) & (s->cap - 1);
  return &s->slots[i];
}

static bool
set_grow(sr_file_set *s)
{
  size_t cap = s->cap ? s->cap * 2 : 256;
  file_key *old = s->slots;
  size_t old_cap = s->cap;
  s->slots = malloc(cap * sizeof *s->slots);
  if (!s->slots) {
    s->slots = old;
    return false;
  }
  for (size_t i = 0; i < cap; i++)
    s->slots[i].input = -1;
  s->cap = cap;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].input >= 0)
      *key_slot(s, old[i].dev, old[i].ino, old[i].name) = old[i];
  free(old);
  return true;
}

static bool
set_insert(sr_file_set *s, unsigned long long dev, unsigned long long ino, const char *name,
           int input)
{
  if ((s->used + 1) * 2 > s->cap && !set_grow(s))
    return false;
  file_key *k = key_slot(s, dev, ino, name);
  if (k->input >= 0)
    return true; /* the same file named twice: the first name is kept */
  char *copy = name ? strdup(name) : NULL;
  if (name && !copy)
    return false;
  *k = (file_key){.dev = dev, .ino = ino, .name = copy, .input = input};
  s->used++;
  return true;
}

/* stat() of the folder holding path, cached for consecutive frames. */
static const struct stat *
folder_stat(sr_file_set *s, const char *path)
{
  char *dir = sr_path_dirname(path);
  if (!dir)
    return NULL;
  if (s->last_dir && strcmp(s->last_dir, dir) == 0) {
    free(dir);
  } else {
    free(s->last_dir);
    s->last_dir = dir;
    s->last_dir_ok = stat(dir, &s->last_dir_st) == 0;
  }
  return s->last_dir_ok ? &s->last_dir_st : NULL;
}

static const char *
base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

sr_file_set *
sr_file_set_new(void)
{
  sr_file_set *s = calloc(1, sizeof *s);
  if (s && !set_grow(s)) {
    free(s);
    return NULL;
  }
  return s;
}

void
sr_file_set_free(sr_file_set *s)
{
  if (!s)
    return;
  for (size_t i = 0; i < s->cap; i++)
    if (s->slots[i].input >= 0)
      free(s->slots[i].name);
  free(s->slots);
  for (size_t i = 0; i < s->n_paths; i++)
    free(s->paths[i]);
  free(s->paths);
  free(s->last_dir);
  free(s);
}

bool
sr_file_set_add(sr_file_set *s, const char *path, sr_error *err)
{
  if (s->n_paths == s->cap_paths) {
    size_t cap = s->cap_paths ? s->cap_paths * 2 : 64;
    char **p = realloc(s->paths, cap * sizeof *p);
    if (!p)
      goto nomem;
    s->paths = p;
    s->cap_paths = cap;
  }
  char *copy = strdup(path);
  if (!copy)
    goto nomem;
  int input = (int)s->n_paths;
  s->paths[s->n_paths++] = copy;
  struct stat st;
  if (stat(path, &st) == 0 &&
      !set_insert(s, (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, NULL, input))
    goto nomem;
  const struct stat *ds = folder_stat(s, path);
  if (ds && !set_insert(s, (unsigned long long)ds->st_dev, (unsigned long long)ds->st_ino,
                        base_name(path), input))
    goto nomem;
  return true;
nomem:
  sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
  return false;
}

const char *
sr_file_set_find(sr_file_set *s, const char *path)
{
  struct stat st;
  if (stat(path, &st) == 0) {
    file_key *k = key_slot(s, (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, NULL);
    if (k->input >= 0)
      return s->paths[k->input];
  }
  const struct stat *ds = folder_stat(s, path);
  if (ds) {
    file_key *k = key_slot(s, (unsigned long long)ds->st_dev, (unsigned long long)ds->st_ino,
                           base_name(path));
    if (k->input >= 0)
      return s->paths[k->input];
  }
  return NULL;
}

bool
sr_file_set_refuse(sr_file_set *s, const char *output, sr_error *err)
{
  const char *input = sr_file_set_find(s, output);
  if (!input)
    return true;
  sr_error_set(err, SR_ERR_INVALID,
               SR_("the output %s is the input file %s: writing it would replace the scan; "
                   "choose another output folder or name (nothing was written)"),
               output, input);
  return false;
}
