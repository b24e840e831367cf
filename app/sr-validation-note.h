/* sr-validation-note.h — Stage 5 validation: per-frame QA over a render,
 * tables (CSV, JSON), stills, and the printable validation note.
 *
 * sr_validation_run() reads the rendered frames with their Source and
 * Reference frames, measures every frame (sr-metrics.h), computes flicker
 * over the sequence and flags outliers; writes qa-frames.csv and
 * qa-frames.json; for the chosen frames writes a wipe, a side-by-side and
 * the waveform and vectorscope of original and recovered as PNG; and writes
 * validation-note.html: one self-contained HTML file (inline CSS with a
 * print stylesheet, stills as base64 data URIs, plots as inline SVG, no
 * external reference) with source types, model and checkpoint, training
 * settings and pair indices, held-out scores, the metric summary and plots,
 * flagged frames with reasons, and caveats. Every file is written
 * atomically.
 *
 * Each frame's measurement is kept in a cache beside the render
 * (sr-qa-cache.h), so validating the same frames again (the Render page,
 * the Review page, Deliver, the command line) reads none of them while
 * they, their Source and Reference frames, the model and the
 * preprocessing stay the same.
 */
#pragma once

#include <gio/gio.h>

#include "sr-delivery.h"
#include "sr-metrics.h"
#include "sr-project.h"

G_BEGIN_DECLS

#define SR_VALIDATION_ERROR (sr_validation_error_quark())
GQuark sr_validation_error_quark(void);

typedef enum {
  SR_VALIDATION_ERROR_INVALID,
  SR_VALIDATION_ERROR_MISSING, /* render, Source frame, still frame */
  SR_VALIDATION_ERROR_IO,
  SR_VALIDATION_ERROR_CANCELLED,
} SrValidationError;

typedef struct {
  char *path; /* PNG on disk, embedded in the note */
  char *caption;
} SrNoteStill;

/* Everything the note shows. facts may be NULL (the note then says the
 * checkpoint could not be read); stills is a GPtrArray of SrNoteStill* or
 * NULL; caveats a NULL-terminated list of extra caveats or NULL. */
typedef struct {
  SrProject *project;
  const SrCheckpointFacts *facts;
  const char *facts_error;
  const char *render_pattern;
  const sr_qa_frame *frames;
  int n_frames;
  const sr_qa_summary *summary;
  const sr_qa_thresholds *thresholds;
  GPtrArray *stills;
  const char *const *caveats;
  const char *date_iso; /* NULL: now */
  const char *grain;    /* the render's spatialRecovery:grain; NULL: no grain added */
} SrValidationNote;

/* The note as HTML text (caller frees); NULL + error when a still cannot be
 * read. */
char *sr_validation_note_render(const SrValidationNote *note, GError **error);
/* Renders and writes atomically. */
gboolean sr_validation_note_write(const SrValidationNote *note, const char *path, GError **error);

/* The per-frame table. */
char *sr_validation_frames_csv(const sr_qa_frame *frames, int n);
char *sr_validation_frames_json(const sr_qa_frame *frames, int n, const sr_qa_summary *s);

typedef struct {
  const char *render_pattern; /* NULL: sr_delivery_default_render_pattern() */
  const char *out_dir;        /* NULL: <output-folder>/validation */
  int first, last;            /* first > last: the render's whole range */
  GArray *still_frames;       /* of int; NULL or empty: first, middle, last */
  gboolean write_note;        /* default TRUE */
  gboolean write_stills;      /* default TRUE */
  sr_qa_thresholds thresholds;
  const char *checkpoint; /* NULL: the project's */
} SrValidationOptions;

void sr_validation_options_init(SrValidationOptions *o);

typedef struct {
  sr_qa_frame *frames;
  int n_frames;
  int n_cached; /* frames whose measurement came from the render's QA cache */
  sr_qa_summary summary;
  char *out_dir, *csv_path, *json_path, *note_path;
  GPtrArray *still_paths; /* of char* */
  gboolean has_facts;
  SrCheckpointFacts facts;
} SrValidationResult;

void sr_validation_result_clear(SrValidationResult *r);

/* Frames are measured on up to four worker threads: the callback is called
 * from them, one call at a time, with done counting finished frames. */
typedef void (*SrValidationProgress)(int done, int total, int frame, gpointer user_data);

gboolean sr_validation_run(SrProject *project, const SrValidationOptions *opts,
                           SrValidationProgress progress, gpointer user_data,
                           GCancellable *cancellable, SrValidationResult *out, GError **error);

G_END_DECLS
