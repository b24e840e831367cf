/* sr-fuzz.c — the in-memory input file and the scratch folder shared by
 * the fuzz targets. */
#include "sr-fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *
sr_fuzz_file(const uint8_t *data, size_t size)
{
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("sr-fuzz-input", MFD_CLOEXEC);
    if (fd < 0) {
      perror("memfd_create");
      abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
    perror("writing the fuzz input");
    abort();
  }
  return path;
}

static char scratch[4096];

static int
remove_entry(const char *path, const struct stat *st, int kind, struct FTW *ftw)
{
  (void)st, (void)kind, (void)ftw;
  remove(path);
  return 0;
}

static void
remove_scratch(void)
{
  nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
sr_fuzz_scratch_dir(void)
{
  if (scratch[0])
    return scratch;
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp)
    tmp = "/tmp";
  int n = snprintf(scratch, sizeof scratch, "%s/sr-fuzz-XXXXXX", tmp);
  if (n < 0 || (size_t)n >= sizeof scratch) {
    fprintf(stderr, "fuzz scratch folder: TMPDIR is too long (%zu bytes): %s\n", strlen(tmp), tmp);
    abort();
  }
  if (!mkdtemp(scratch)) {
    fprintf(stderr, "fuzz scratch folder: cannot make %s: %s\n", scratch, strerror(errno));
    abort();
  }
  atexit(remove_scratch);
  return scratch;
}
