/* sr-loss-log.h — the training run's loss history on disk: loss.tsv in the
 * run folder, one line per step ("step\tloss\tloss_avg\tlr"), appended as
 * the trainer goes and flushed every SR_LOSS_LOG_FLUSH_EVERY steps and at
 * every checkpoint, so the curve of a run survives a quit, a crash or a
 * restart and the command line and the window share it.
 *
 * The file is appended to. When a run is resumed from a checkpoint, the
 * lines of the steps after it (which the run redoes) are cut first, so a
 * stopped and resumed run reads like one that never stopped. A line torn by
 * a crash (no newline at the end of the file) is ignored when the file is
 * read and cut off when it is opened again; the reader also lets the later
 * line of a step win, should a log hold a rewound run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sr-error.h"

#define SR_LOSS_LOG_NAME        "loss.tsv"
#define SR_LOSS_LOG_FLUSH_EVERY 25

typedef struct sr_loss_entry {
  int64_t step;
  double loss, loss_avg, lr;
} sr_loss_entry;

typedef struct sr_loss_log sr_loss_log;

/* Opens <out_dir>/loss.tsv to append for a run that goes on after
 * start_step (0: a new run), creating it with its header line; a torn last
 * line and the lines after start_step are cut off first. NULL with err set
 * on failure. */
sr_loss_log *sr_loss_log_open(const char *out_dir, int64_t start_step, sr_error *err);
/* Appends one step; flush: write it through to the file now. */
bool sr_loss_log_append(sr_loss_log *log, const sr_loss_entry *e, bool flush, sr_error *err);
/* Flushes and closes; NULL is ignored. */
bool sr_loss_log_close(sr_loss_log *log, sr_error *err);

/* Reads a loss log into *out (malloc'd, ascending steps, caller frees) and
 * *n. A missing file is an empty history (true, n = 0). Lines that do not
 * parse (a torn tail, a foreign edit) are skipped and counted in *skipped
 * (may be NULL). When a step is not after the one before it (a run resumed
 * from an earlier checkpoint), the entries from that step on are replaced. */
bool sr_loss_log_read(const char *path, sr_loss_entry **out, size_t *n, size_t *skipped,
                      sr_error *err);
