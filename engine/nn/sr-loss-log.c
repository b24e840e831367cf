/* sr-loss-log.c — see sr-loss-log.h: the run's loss.tsv, appended by the
 * trainer and read back by the Train page and the command line. */
#include "sr-loss-log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-i18n.h"
#include "sr-json.h"

#define HEADER "step\tloss\tloss_avg\tlr\n"
/* A loss log of a million steps is about 40 MB; anything far larger is not one. */
#define MAX_LOG_BYTES ((size_t)1 << 30)

struct sr_loss_log {
  FILE *fp;
  char *path;
};

/* The step at the start of a log line; -1 for the header or junk. */
static int64_t
line_step(const char *line)
{
  char *end;
  errno = 0;
  long long step = strtoll(line, &end, 10);
  return end != line && *end == '\t' && !errno && step >= 0 ? (int64_t)step : -1;
}

/* Readies the log for a run that goes on from start_step: cuts a torn last
 * line (no newline at the end: a crash mid-write) and the lines of the
 * steps after start_step, which the run is about to redo. So the file of a
 * run stopped and resumed reads as that of one uninterrupted run. */
static bool
cut_for_run(const char *path, int64_t start_step, sr_error *err)
{
  if (!sr_file_exists(path))
    return true;
  size_t len = 0;
  char *text = sr_read_file(path, MAX_LOG_BYTES, &len, err);
  if (!text)
    return false;
  size_t keep = 0;
  for (size_t at = 0; at < len;) {
    char *nl = memchr(text + at, '\n', len - at);
    if (!nl || line_step(text + at) > start_step)
      break;
    at = (size_t)(nl - text) + 1;
    keep = at;
  }
  free(text);
  if (keep < len && truncate(path, (off_t)keep) != 0) {
    sr_error_set_errno(err, errno, SR_("%s: cannot cut the loss log back to step %lld"), path,
                       (long long)start_step);
    return false;
  }
  return true;
}

sr_loss_log *
sr_loss_log_open(const char *out_dir, int64_t start_step, sr_error *err)
{
  sr_loss_log *log = calloc(1, sizeof *log);
  if (!log || !(log->path = sr_path_join(out_dir, SR_LOSS_LOG_NAME))) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    goto fail;
  }
  if (!cut_for_run(log->path, start_step, err))
    goto fail;
  log->fp = fopen(log->path, "ab");
  if (!log->fp) {
    sr_error_set_errno(err, errno, SR_("%s: cannot open the loss log"), log->path);
    goto fail;
  }
  if (ftell(log->fp) == 0 && (fputs(HEADER, log->fp) == EOF || fflush(log->fp) != 0)) {
    sr_error_set_errno(err, errno, SR_("%s: cannot write the loss log"), log->path);
    goto fail;
  }
  return log;
fail:
  if (log && log->fp)
    fclose(log->fp);
  if (log)
    free(log->path);
  free(log);
  return NULL;
}

/* %.9g whatever the locale's decimal separator (the window sets one). */
static void
put_number(char *buf, size_t n, double v)
{
  snprintf(buf, n, "%.9g", v);
  for (char *c = buf; *c; c++)
    if (*c == ',')
      *c = '.';
}

bool
sr_loss_log_append(sr_loss_log *log, const sr_loss_entry *e, bool flush, sr_error *err)
{
  char loss[40], avg[40], lr[40];
  put_number(loss, sizeof loss, e->loss);
  put_number(avg, sizeof avg, e->loss_avg);
  put_number(lr, sizeof lr, e->lr);
  if (fprintf(log->fp, "%" PRId64 "\t%s\t%s\t%s\n", e->step, loss, avg, lr) < 0 ||
      (flush && fflush(log->fp) != 0)) {
    sr_error_set_errno(err, errno, SR_("%s: cannot write the loss log"), log->path);
    return false;
  }
  return true;
}

bool
sr_loss_log_close(sr_loss_log *log, sr_error *err)
{
  if (!log)
    return true;
  bool ok = fclose(log->fp) == 0;
  if (!ok)
    sr_error_set_errno(err, errno, SR_("%s: cannot write the loss log"), log->path);
  free(log->path);
  free(log);
  return ok;
}

/* A number as JSON reads it: the same in every locale. */
static bool
parse_number(const char *s, size_t n, double *out)
{
  sr_json *j = sr_json_parse(s, n, "loss log", NULL, NULL);
  bool ok = j && j->type == SR_JSON_NUMBER;
  if (ok)
    *out = j->number;
  sr_json_free(j);
  return ok;
}

/* One "step\tloss\tloss_avg\tlr" line, exactly four fields. */
static bool
parse_line(const char *s, sr_loss_entry *e)
{
  int64_t step = line_step(s);
  if (step < 0)
    return false;
  double *v[3] = {&e->loss, &e->loss_avg, &e->lr};
  s = strchr(s, '\t') + 1;
  for (int i = 0; i < 3; i++) {
    const char *end = strchr(s, '\t');
    if ((end != NULL) != (i < 2))
      return false;
    size_t n = end ? (size_t)(end - s) : strlen(s);
    if (n == 0 || n > 40 || !parse_number(s, n, v[i]))
      return false;
    s += n + 1;
  }
  e->step = step;
  return true;
}

bool
sr_loss_log_read(const char *path, sr_loss_entry **out, size_t *n, size_t *skipped, sr_error *err)
{
  size_t len = 0, cap = 0, bad = 0;
  *out = NULL;
  *n = 0;
  if (skipped)
    *skipped = 0;
  if (!sr_file_exists(path))
    return true;
  char *text = sr_read_file(path, MAX_LOG_BYTES, &len, err);
  if (!text)
    return false;
  sr_loss_entry *v = NULL;
  size_t count = 0;
  char *line = text, *end_of_text = text + len;
  bool first = true;
  while (line < end_of_text) {
    char *nl = memchr(line, '\n', (size_t)(end_of_text - line));
    if (!nl) {
      bad++; /* torn by a crash: never finished */
      break;
    }
    *nl = '\0';
    sr_loss_entry e;
    if (first && strncmp(line, "step\t", 5) == 0) {
      /* the header */
    } else if (!parse_line(line, &e)) {
      bad++;
    } else {
      while (count > 0 && v[count - 1].step >= e.step)
        count--; /* a resumed run redoes these steps */
      if (count == cap) {
        cap = cap ? cap * 2 : 1024;
        sr_loss_entry *grown = realloc(v, cap * sizeof *v);
        if (!grown) {
          free(v);
          free(text);
          sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
          return false;
        }
        v = grown;
      }
      v[count++] = e;
    }
    first = false;
    line = nl + 1;
  }
  free(text);
  *out = v;
  *n = count;
  if (skipped)
    *skipped = bad;
  return true;
}
