/* fuzz-loss-log.c — a training run's loss history (loss.tsv in the run
 * folder, which the Train page and `train` read back after a restart) on
 * arbitrary bytes: sr_loss_log_read, then sr_loss_log_open as a resumed run
 * calls it (cutting a torn tail and the steps after the resume point), then
 * sr_loss_log_read again. Oracle: every history read has steps that are
 * non-negative and strictly increasing and finite values, and the cut
 * file reads without a torn line. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-fs.h"
#include "sr-fuzz.h"
#include "sr-loss-log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4200];

static void
check(const sr_loss_entry *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (v[i].step < 0 || (i > 0 && v[i].step <= v[i - 1].step) || !isfinite(v[i].loss) ||
        !isfinite(v[i].loss_avg) || !isfinite(v[i].lr))
      __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *dir = sr_fuzz_scratch_dir();
  if (!path[0])
    snprintf(path, sizeof path, "%s/%s", dir, SR_LOSS_LOG_NAME);
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
    abort();
  sr_loss_entry *v = NULL;
  size_t n = 0, skipped = 0;
  sr_error err = {0};
  if (!sr_loss_log_read(path, &v, &n, &skipped, &err))
    return 0;
  check(v, n);
  int64_t resume = n ? v[n / 2].step : 0;
  free(v);
  sr_loss_log *log = sr_loss_log_open(dir, resume, &err);
  if (!log)
    return 0;
  if (!sr_loss_log_close(log, &err))
    return 0;
  if (!sr_loss_log_read(path, &v, &n, &skipped, &err))
    __builtin_trap();
  check(v, n);
  free(v);
  /* The open cut the torn tail: the file ends with a whole line. */
  size_t len = 0;
  char *text = sr_read_file(path, 64u << 20, &len, &err);
  if (!text || (len > 0 && text[len - 1] != '\n'))
    __builtin_trap();
  free(text);
  return 0;
}
