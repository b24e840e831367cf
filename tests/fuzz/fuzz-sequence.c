/* fuzz-sequence.c — frame-pattern parsing and folder scanning.
 *
 * Input: lines. The first is a pattern, the second an example file name,
 * the rest (up to 16) are file names created, empty, in a scratch folder
 * before the pattern is opened there — the folder listing is outside data
 * too. Then the calls the application makes: sr_sequence_open,
 * sr_sequence_from_file, sr_pattern_format and the frame path and
 * missing-frame text of whatever opened. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr-io.h"

#define MAX_FILES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void
empty_dir(void)
{
  DIR *d = opendir(dir);
  if (!d)
    abort();
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (unlink(p) != 0)
      rmdir(p);
  }
  closedir(d);
}

static void
remove_dir(void)
{
  empty_dir();
  rmdir(dir);
}

static void
check_sequence(const sr_sequence *seq)
{
  char missing[256];
  sr_sequence_describe_missing(seq, missing, sizeof missing);
  for (int f = seq->first; f <= seq->last && f < seq->first + 4; f++) {
    free(sr_sequence_frame_path(seq, f));
    (void)sr_sequence_has_frame(seq, f);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/dev/shm/sr-fuzz-seq.%ld", (long)getpid());
    if (mkdir(dir, 0700) != 0)
      abort();
    atexit(remove_dir);
  }
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  char *lines[2 + MAX_FILES] = {0};
  int n = 0;
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < 2 + MAX_FILES;
       l = strtok_r(NULL, "\n", &save))
    lines[n++] = l;
  const char *pattern = n > 0 ? lines[0] : "";
  const char *example = n > 1 ? lines[1] : "";

  for (int i = 2; i < n; i++) {
    /* A file name is one path component. */
    for (char *c = lines[i]; *c; c++)
      if (*c == '/')
        *c = '_';
    if (strcmp(lines[i], ".") == 0 || strcmp(lines[i], "..") == 0)
      continue;
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/%s", dir, lines[i]) >= (int)sizeof p)
      continue;
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
      close(fd);
  }

  for (int frame = -1; frame <= 100000000; frame = frame < 2 ? frame + 1 : frame * 97) {
    char *p = sr_pattern_format(pattern, frame);
    free(p);
  }
  char *full = malloc(strlen(dir) + strlen(pattern) + strlen(example) + 2);
  sprintf(full, "%s/%s", dir, pattern);
  sr_sequence seq = {0};
  if (sr_sequence_open(&seq, full, NULL))
    check_sequence(&seq);
  sr_sequence_clear(&seq);
  sprintf(full, "%s/%s", dir, example);
  if (sr_sequence_from_file(&seq, full, NULL))
    check_sequence(&seq);
  sr_sequence_clear(&seq);

  free(full);
  free(text);
  empty_dir();
  return 0;
}
