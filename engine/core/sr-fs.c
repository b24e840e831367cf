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
#include <sys/stat.h>
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
  /* Made with its final ".tmp" name at once: a process killed at any moment
   * leaves only names that sr_fs_remove_stale_temps() recognises. */
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
  sr_fault_point(tmp);
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
  sr_fault_point(af->temp_path);
  if (rename(af->temp_path, af->final_path) != 0) {
    sr_error_set_errno(err, errno, SR_("cannot replace %s"), af->final_path);
    sr_atomic_abort(af);
    return false;
  }
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

void *
sr_read_file(const char *path, size_t max_len, size_t *len, sr_error *err)
{
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    sr_error_set_errno(err, errno, SR_("cannot open %s"), path);
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(fp);
    sr_error_set(err, SR_ERR_IO, SR_("%s is not a regular file"), path);
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
    if (target && owned(target, user)) {
      char *full = sr_path_join(dir, n);
      if (full && unlink(full) == 0)
        removed++;
      free(full);
    }
    free(target);
  }
  closedir(d);
  return removed;
}
