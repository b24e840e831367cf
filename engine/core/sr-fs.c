#include "sr-fs.h"
#include "sr-i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/random.h>
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

/* Crash tests (tests/e2e/test-faults.py) set SR_FAULT_KILL_AT=N: the
 * process then kills itself with SIGKILL at the Nth point of its atomic
 * writes — a temporary just made, a temporary complete before its rename,
 * a file just renamed into place — reproducibly, unlike a timed kill. With
 * N = 0 every point is listed on stderr instead. Unset, it costs a getenv
 * per file written. The count is the one piece of process-wide state here,
 * and only tests ever set it. */
static void
sr_fault_point(const char *path)
{
  static atomic_long count;
  const char *at = getenv("SR_FAULT_KILL_AT");
  if (!at)
    return;
  long n = atomic_fetch_add(&count, 1) + 1;
  long kill_at = strtol(at, NULL, 10);
  if (kill_at == 0)
    fprintf(stderr, "sr-fault-point %ld %s\n", n, path);
  else if (n == kill_at)
    raise(SIGKILL);
}

/* Creates ".NAME.XXXXXX.tmp" beside path, made with that final name at once
 * so a process killed at any moment leaves only names the stale-temp
 * cleanup recognises. open(O_EXCL, 0666) lets the kernel apply the umask:
 * the delivered file gets the permissions of any other file the user
 * writes (reading the umask with umask() would race between threads). With
 * `lock`, an exclusive flock is held on the returned descriptor: cleanup in
 * any process removes only temporaries nobody holds, so writers sharing a
 * folder (a render farm) never lose a temporary they are still writing. */
static int
create_temp(const char *path, bool lock, char **temp_out, sr_error *err)
{
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char *dir = sr_path_dirname(path);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = dir ? strlen(dir) + strlen(base) + 16 : 0;
  char *tmp = dir ? malloc(n) : NULL;
  if (!tmp) {
    free(dir);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return -1;
  }
  int fd = -1, e = EEXIST;
  for (int attempt = 0; attempt < 100 && fd < 0 && e == EEXIST; attempt++) {
    unsigned char r[6];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      uint64_t x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() << 32 ^
                   (uint64_t)attempt;
      memcpy(r, &x, sizeof r);
    }
    char x[7];
    for (int i = 0; i < 6; i++)
      x[i] = chars[r[i] % (sizeof chars - 1)];
    x[6] = '\0';
    snprintf(tmp, n, "%s/.%s.%s.tmp", dir, base, x);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    e = fd < 0 ? errno : 0;
    if (fd >= 0 && lock) {
      /* A cleaner may have locked and removed it between open and flock. A
       * file system without locks gets the old, unlocked behaviour. */
      struct stat st;
      bool locked = flock(fd, LOCK_EX) == 0;
      if ((!locked && errno == EINTR) || (locked && (fstat(fd, &st) != 0 || st.st_nlink == 0))) {
        unlink(tmp); /* ours if still there: the names are random */
        close(fd);
        fd = -1;
        e = EEXIST;
      }
    }
  }
  free(dir);
  if (fd < 0) {
    sr_error_set_errno(err, e, SR_("cannot create a file in the folder of %s"), path);
    free(tmp);
    return -1;
  }
  sr_fault_point(tmp);
  *temp_out = tmp;
  return fd;
}

char *
sr_atomic_temp_name(const char *path, sr_error *err)
{
  char *tmp = NULL;
  int fd = create_temp(path, false, &tmp, err);
  if (fd < 0)
    return NULL;
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
  sr_fault_point(temp_path);
  if (rename(temp_path, path) != 0) {
    int e = errno;
    unlink(temp_path);
    sr_error_set_errno(err, e, SR_("cannot replace %s"), path);
    return false;
  }
  sr_fault_point(path);
  fsync_dir_of(path);
  return true;
}

bool
sr_atomic_open(sr_atomic_file *af, const char *path, sr_error *err)
{
  memset(af, 0, sizeof *af);
  int fd = create_temp(path, true, &af->temp_path, err);
  if (fd < 0)
    return false;
  af->final_path = strdup(path);
  af->fp = fdopen(fd, "wb");
  if (!af->fp || !af->final_path) {
    if (!af->fp)
      close(fd);
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
  if (e) {
    sr_error_set_errno(err, e, SR_("cannot write %s"), af->final_path);
    sr_atomic_abort(af);
    return false;
  }
  /* Renamed while still open: the lock keeps cleanup in other processes
   * away from the complete temporary until it has its final name. */
  sr_fault_point(af->temp_path);
  if (rename(af->temp_path, af->final_path) != 0) {
    sr_error_set_errno(err, errno, SR_("cannot replace %s"), af->final_path);
    sr_atomic_abort(af);
    return false;
  }
  fclose(af->fp);
  af->fp = NULL;
  sr_fault_point(af->final_path);
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

int
sr_claim_try(sr_claim *c, const char *path, sr_error *err)
{
  c->fd = -1;
  c->lock_path = NULL;
  char *dir = sr_path_dirname(path);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = dir ? strlen(dir) + strlen(base) + 16 : 0;
  char *lock = dir ? malloc(n) : NULL;
  if (!lock) {
    free(dir);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return -1;
  }
  snprintf(lock, n, "%s/.%s.LOCKED.tmp", dir, base);
  free(dir);
  /* The holder unlinks the lock file before letting go: a lock won on a
   * file that is no longer the one at that name is no claim, so retry. */
  for (;;) {
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
      sr_error_set_errno(err, errno, SR_("cannot create a file in the folder of %s"), path);
      free(lock);
      return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) {
        /* No locks on this file system: no claim, as before claims. */
        c->fd = fd;
        c->lock_path = lock;
        return 1;
      }
      close(fd);
      free(lock);
      return 0;
    }
    struct stat held, now;
    if (fstat(fd, &held) == 0 && held.st_nlink > 0 && stat(lock, &now) == 0 &&
        now.st_ino == held.st_ino && now.st_dev == held.st_dev) {
      c->fd = fd;
      c->lock_path = lock;
      return 1;
    }
    close(fd);
  }
}

void
sr_claim_release(sr_claim *c)
{
  if (c->fd >= 0) {
    unlink(c->lock_path);
    close(c->fd);
  }
  free(c->lock_path);
  c->fd = -1;
  c->lock_path = NULL;
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

/* Removes a temporary unless a live writer holds its lock (see
 * create_temp); true when it was removed. */
static bool
remove_if_stale(const char *dir, const char *name)
{
  char *full = sr_path_join(dir, name);
  if (!full)
    return false;
  bool removed = false;
  int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd >= 0) {
    /* Held by a live writer: it stays. No locks on this file system: the
     * old behaviour, remove it. */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK)
      removed = unlink(full) == 0;
    close(fd);
  } else if (errno == ELOOP) {
    removed = unlink(full) == 0;
  }
  free(full);
  return removed;
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
    if (remove_if_stale(dir, n))
      removed++;
  }
  closedir(d);
  return removed;
}

int
sr_fs_remove_stale_temps_owned(const char *dir, bool (*owned)(const char *name, void *user),
                               void *user)
{
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
    if (target && owned(target, user) && remove_if_stale(dir, n))
      removed++;
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
