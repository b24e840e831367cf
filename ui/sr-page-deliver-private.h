/* sr-page-deliver-private.h — the Deliver page's instance, shared by
 * sr-page-deliver.c and sr-page-deliver-summary.c, and what the UI tests
 * drive and read on the page. */
#pragma once

#include "sr-colour.h"
#include "sr-io.h"
#include "sr-job.h"
#include "sr-page-deliver.h"

G_BEGIN_DECLS

/* Delivers the chosen frames into out_dir (NULL: the page's destination);
 * FALSE with error when a delivery is running, there is no project or no
 * destination. */
gboolean sr_page_deliver_start(SrPageDeliver *self, const char *out_dir, GError **error);
/* Masters written by the last delivery; -1 before one finished. */
int sr_page_deliver_get_n_written(SrPageDeliver *self);
/* The folder of the last finished delivery (NULL before one). */
const char *sr_page_deliver_get_out_dir(SrPageDeliver *self);
/* Files of the last finished delivery (NULL before one; the note NULL when
 * none was written). */
const char *sr_page_deliver_get_json_path(SrPageDeliver *self);
const char *sr_page_deliver_get_text_path(SrPageDeliver *self);
const char *sr_page_deliver_get_note_path(SrPageDeliver *self);
const char *sr_page_deliver_get_master_pattern(SrPageDeliver *self);

/* NULL goes back to the default folder. */
void sr_page_deliver_set_destination(SrPageDeliver *self, const char *folder);

/* The choices, as the widgets hold them. */
sr_colourspace sr_page_deliver_get_colourspace(SrPageDeliver *self);
void sr_page_deliver_set_colourspace(SrPageDeliver *self, sr_colourspace space);
sr_exr_compression sr_page_deliver_get_compression(SrPageDeliver *self);
/* FALSE when the page does not offer c (DWAA without a DWA codec). */
gboolean sr_page_deliver_set_compression(SrPageDeliver *self, sr_exr_compression c);
gboolean sr_page_deliver_offers_compression(SrPageDeliver *self, sr_exr_compression c);
/* first > last: the whole render. */
void sr_page_deliver_set_range(SrPageDeliver *self, int first, int last);
void sr_page_deliver_get_range(SrPageDeliver *self, int *first, int *last);
gboolean sr_page_deliver_get_write_note(SrPageDeliver *self);
void sr_page_deliver_set_write_note(SrPageDeliver *self, gboolean write_note);

/* TRUE while the summary is being (re)computed. */
gboolean sr_page_deliver_get_checking(SrPageDeliver *self);
/* The summary as shown ("96 EXR masters, half float, ACES2065-1, ZIP, about
 * 1.2 GB, into …"); NULL while nothing can be delivered. */
const char *sr_page_deliver_get_summary(SrPageDeliver *self);
/* Frames the summary found rendered in the render's range (0: none). */
int sr_page_deliver_get_n_rendered(SrPageDeliver *self);
/* The provenance entry for a field of SrProvenance by name ("film_title",
 * "shot_id", "source_element", "reference_source", "restorationist",
 * "institution"); NULL for another name. */
GtkEditable *sr_page_deliver_get_provenance_entry(SrPageDeliver *self, const char *field);

/* Sign-off (sr-page-deliver-gate.c): what blocks the delivery as the page
 * shows it (caller unrefs); the Deliver button's action (the override
 * dialog when anything blocks, else the delivery); the dialog itself (NULL
 * when closed); and what its "Deliver Anyway" does: records the override
 * (who, reason) in the project and delivers. */
GPtrArray *sr_page_deliver_dup_blockers(SrPageDeliver *self);
void sr_page_deliver_request(SrPageDeliver *self);
GtkWidget *sr_page_deliver_show_override_dialog(SrPageDeliver *self);
GtkWidget *sr_page_deliver_get_override_dialog(SrPageDeliver *self);
gboolean sr_page_deliver_override_and_start(SrPageDeliver *self, const char *who,
                                            const char *reason, GError **error);

/* ---- Shared by the page's files ---- */

struct _SrPageDeliver {
  SrStagePage parent_instance;

  GtkWidget *space_dropdown, *compression_dropdown;
  GtkWidget *first_spin, *last_spin, *range_reset;
  GtkWidget *folder_label, *folder_reset, *folder_button;
  GtkWidget *note_check;
  GtkWidget *film_title, *shot_id, *source_element, *reference_source, *restorationist,
      *institution, *notes;
  GtkWidget *monitor, *work_area;
  GtkWidget *summary_spinner, *summary_label, *warning_label, *files_grid;
  GtkWidget *summary_grid; /* the summary as short facts (built in init) */
  char *summary_key;       /* what summary_grid shows, to rebuild it only on change */
  GtkWidget *deliver_button, *open_button, *progress_bar, *status_label;
  GtkWidget *empty_state, *empty_title, *empty_text, *goto_button;

  gboolean syncing;

  sr_exr_compression compressions[2];
  guint n_compressions;
  char *chosen_dir;      /* NULL: <output-folder>/delivery */
  gboolean range_chosen; /* FALSE: the whole render */

  guint summary_source;
  guint spinner_source;
  char *files_key; /* what the files grid shows, to refill it only on change */
  guint summary_generation;
  GCancellable *summary_cancellable;
  gboolean checking;
  char *summary;
  int n_rendered;
  gboolean can_deliver;
  gboolean status_is_error; /* the status line holds the last failure */
  const char *goto_stage;

  /* Sign-off (sr-page-deliver-gate.c). */
  GtkWidget *gate_box, *gate_label, *override_dialog;
  char *gate_refusal;    /* the pipeline's last refusal (names QA's flags) */
  gboolean use_override; /* the delivery being started carries the last override */

  SrJob *job;
  int n_written;
  char *done_dir, *done_json, *done_text, *done_note, *done_pattern;
};


/* sr-page-deliver.c */
SrProject *sr_page_deliver_project_of(SrPageDeliver *self);
void sr_page_deliver_update_controls(SrPageDeliver *self);
gboolean sr_page_deliver_show_spinner(gpointer user_data);
void sr_page_deliver_on_map(GtkWidget *widget, SrPageDeliver *self);

/* sr-page-deliver-gate.c */
void sr_page_deliver_gate_build(SrPageDeliver *self);
void sr_page_deliver_gate_update(SrPageDeliver *self);
void sr_page_deliver_gate_job_failed(SrPageDeliver *self, const GError *error);
void sr_page_deliver_gate_dispose(SrPageDeliver *self);

/* sr-page-deliver-summary.c */
void sr_page_deliver_clear_error_status(SrPageDeliver *self);
void sr_page_deliver_queue_summary(SrPageDeliver *self);

G_END_DECLS
