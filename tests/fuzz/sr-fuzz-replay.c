/* sr-fuzz-replay.c — runs a fuzz target's entry point over files, without
 * libFuzzer: the normal test suite (and its sanitizer build) replays every
 * input that once crashed a reader, so a fixed crash stays fixed.
 * Usage: sr-fuzz-replay-TARGET FILE|FOLDER... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sr-fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
  size_t len = 0;
  sr_error err = {0};
  void *data = sr_read_file(path, 64u << 20, &len, &err);
  if (!data) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  printf("%s (%zu bytes)\n", path, len);
  fflush(stdout);
  LLVMFuzzerTestOneInput(data, len);
  free(data);
  return 0;
}

static int
replay(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode))
    return replay_file(path);
  struct dirent **names = NULL;
  int n = scandir(path, &names, NULL, alphasort);
  if (n < 0) {
    perror(path);
    return 1;
  }
  int failed = 0;
  for (int i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') {
      char *p = sr_path_join(path, names[i]->d_name);
      failed |= replay(p);
      free(p);
    }
    free(names[i]);
  }
  free(names);
  return failed;
}

int
main(int argc, char **argv)
{
  int failed = 0;
  for (int i = 1; i < argc; i++)
    failed |= replay(argv[i]);
  return failed;
}
