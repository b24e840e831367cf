/* sr-cli-common.h — helpers shared by the spatial-recovery-cli commands:
 * progress reporting (bar on a terminal, JSON lines for scripts), parsing of
 * frame lists, ranges and rectangles, project loading and one-line errors. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdatomic.h>

#include "sr-image.h"
#include "sr-project.h"

G_BEGIN_DECLS

typedef enum {
  SR_PROGRESS_AUTO,  /* bar when stderr is a terminal, quiet otherwise */
  SR_PROGRESS_BAR,   /* bar on stderr */
  SR_PROGRESS_JSON,  /* one JSON object per line on stdout */
  SR_PROGRESS_QUIET, /* nothing but messages on stderr */
} SrProgressMode;

typedef struct SrProgress SrProgress;

/* "auto", "bar", "json", "quiet". */
gboolean sr_cli_parse_progress_mode(const char *s, SrProgressMode *mode);

/* Thread-safe: workers may report from several threads. */
SrProgress *sr_progress_new(SrProgressMode mode, const char *task, gint64 total);
/* done of total, plus n named numbers shown after the bar ("loss 0.0123") or
 * as JSON fields. keys/values may be NULL when n == 0. */
void sr_progress_update(SrProgress *p, gint64 done, const char *const *keys, const double *values,
                        int n);
/* A line that does not break the bar; JSON mode: {"event":"message",...}. */
void sr_progress_message(SrProgress *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Ends the bar line (JSON: {"event":"finish",...}) and frees p. NULL is fine. */
void sr_progress_finish(SrProgress *p);

/* A progress bar made when the first callback arrives (only then is the
 * range known): the user data of the validation and delivery callbacks. */
typedef struct {
  SrProgressMode mode;
  SrProgress *progress;
} SrCliRun;
/* An SrValidationProgress for `validate` and the note pass of `deliver`. */
void sr_cli_validation_progress(int done, int total, int frame, gpointer user_data);

/* "1,5,9-12" → 1 5 9 10 11 12 appended to out (GArray of int), sorted and
 * unique. */
gboolean sr_cli_parse_frame_list(const char *s, GArray *out, GError **error);
/* "A-B" or "A" (then first == last). */
gboolean sr_cli_parse_frame_range(const char *s, int *first, int *last, GError **error);
/* "X,Y,W,H" with X,Y >= 0 and W,H > 0. */
gboolean sr_cli_parse_rect(const char *s, sr_rect *r, GError **error);
/* "WxH", both > 0. */
gboolean sr_cli_parse_size(const char *s, int *width, int *height, GError **error);

/* Prints "spatial-recovery-cli CMD: <message>" and returns NULL on error. */
SrProject *sr_cli_load_project(const char *command, const char *path);

/* Parses the options of a command that takes exactly one PROJECT argument
 * and --progress (progress_s: the variable the option table fills, read
 * after parsing). FALSE once the message is printed: the command exits with
 * status 2. */
gboolean sr_cli_parse_project_args(const char *command, GOptionContext *ctx, int *argc,
                                   char ***argv, char *const *progress_s, SrProgressMode *mode);

/* Prints the builder's object as one line on stdout (--progress=json). */
void sr_cli_emit_json(JsonBuilder *b);
/* True (after printing why) when an option was given an empty path, such as
 * --out "": that would name no folder at all. */
gboolean sr_cli_refuse_empty_path(const char *command, const char *option, const char *value);

/* While a long run goes on, SIGINT and SIGTERM only raise the flag the
 * engine polls as its cancel flag, so the run stops cleanly (a checkpoint
 * saved, no frame half-written); sr_cli_stop_end puts the previous
 * handlers back. */
typedef struct {
  struct sigaction old_int, old_term;
} SrCliStopGuard;
const atomic_bool *sr_cli_stop_begin(SrCliStopGuard *guard);
void sr_cli_stop_end(SrCliStopGuard *guard);
/* One line on stderr: "spatial-recovery-cli CMD: <message>". */
void sr_cli_error(const char *command, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The whole check report as a JSON object (caller frees), for --json output
 * and check-report.json. */
char *sr_cli_check_report_to_json(const sr_check_report *report);
/* One line per check plus a summary line (caller frees). */
char *sr_cli_check_report_to_text(const sr_check_report *report);

G_END_DECLS
