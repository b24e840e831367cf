/* sr-page-review-private.h — the Review page's instance, shared by
 * sr-page-review.c (frames, scopes, comparison, checklist),
 * sr-page-review-metrics.c and sr-page-review-stills.c, and what the UI
 * tests drive and read on the page. */
#pragma once

#include "sr-frame-cache.h"
#include "sr-grain-plan.h"
#include "sr-job.h"
#include "sr-validation-note.h"
#include "sr-metric-plot.h"
#include "sr-page-review.h"
#include "sr-scope-view.h"
#include "sr-viewer.h"

G_BEGIN_DECLS


/* TRUE once rendered frames were found; first/last: the rendered range. */
gboolean sr_page_review_get_has_render(SrPageReview *self, int *first, int *last);
/* The frame shown (G_MININT without a render). */
int sr_page_review_get_frame(SrPageReview *self);
/* Moves the scrubber (clamped to the rendered range). */
void sr_page_review_set_frame(SrPageReview *self, int frame);
/* TRUE while the frame shown has both pictures in the viewer and scopes
 * computed from exactly those pictures. */
gboolean sr_page_review_get_settled(SrPageReview *self);

SrViewer *sr_page_review_get_viewer(SrPageReview *self);
/* vectorscope FALSE: waveform; recovered FALSE: Original (A). */
SrScopeView *sr_page_review_get_scope(SrPageReview *self, gboolean vectorscope, gboolean recovered);
/* The plots, in checklist order (0..SR_REVIEW_N_ITEMS-1). */
SrMetricPlot *sr_page_review_get_plot(SrPageReview *self, int index);
GtkCheckButton *sr_page_review_get_check(SrPageReview *self, int index);

/* Measures the rendered range again (a job). FALSE + error without a render
 * or while a measurement runs. */
gboolean sr_page_review_measure(SrPageReview *self, GError **error);
gboolean sr_page_review_get_measuring(SrPageReview *self);
/* Frames measured by the last finished measurement (0 before). */
int sr_page_review_get_n_measured(SrPageReview *self);

/* Writes the stills of the frame shown (a job). FALSE + error when its
 * pictures are not loaded yet or an export runs. */
gboolean sr_page_review_export_stills(SrPageReview *self, GError **error);
gboolean sr_page_review_get_exporting(SrPageReview *self);
/* Files the last export wrote (NULL before); the message shown after it. */
const GPtrArray *sr_page_review_get_stills(SrPageReview *self);
const char *sr_page_review_get_message(SrPageReview *self);

/* Playback at the chosen rate (24 fps unless set), driven by the frame
 * clock: speed as J/K/L set it (±1, ±2, ±4, ±8; 0 paused). */
void sr_page_review_play(SrPageReview *self, int speed);
int sr_page_review_get_speed(SrPageReview *self);
double sr_page_review_get_fps(SrPageReview *self);
void sr_page_review_set_fps(SrPageReview *self, double fps);
/* Frames due since playback started, shown and dropped (not decoded in
 * time, or skipped over): shown + dropped == due. */
void sr_page_review_get_playback_stats(SrPageReview *self, guint64 *due, guint64 *shown,
                                       guint64 *dropped);
/* The loop range (the rendered range unless set with I and O). */
void sr_page_review_get_loop(SrPageReview *self, int *in, int *out);
void sr_page_review_set_loop(SrPageReview *self, int in, int out);

/* The Grain toggle (sr-page-review-grain.c) and whether the render shown
 * has a grain plan beside it. */
GtkCheckButton *sr_page_review_get_grain_check(SrPageReview *self);
gboolean sr_page_review_get_grain_plan_loaded(SrPageReview *self);

/* ---- Shared by the page's files ---- */

/* The playback rates offered: the usual ones and the project's. */
#define SR_REVIEW_MAX_RATES 12

struct _SrPageReview {
  SrStagePage parent_instance;

  /* Template. */
  GtkWidget *stack, *empty_title, *empty_text, *go_render;
  GtkWidget *mode_wipe, *mode_split, *mode_toggle, *mode_difference;
  GtkWidget *gain_box, *gain_spin, *showing_label;
  GtkAdjustment *gain_adjustment;
  GtkWidget *measure_button, *export_button;
  GtkWidget *message_revealer, *message_label, *open_folder_button, *message_close;
  GtkWidget *viewer_slot, *timeline, *frame_spin, *flag_button;
  GtkAdjustment *timeline_adjustment;
  GtkWidget *plots_box, *measure_label, *checklist;
  GtkWidget *wave_a, *wave_b, *vec_a, *vec_b;
  GtkWidget *grain_check;

  GtkWidget *viewer;
  GtkWidget *plots[SR_REVIEW_N_ITEMS];
  GtkWidget *checks[SR_REVIEW_N_ITEMS];

  gboolean syncing;

  /* The render. */
  char *detect_key; /* project fields the render's location depends on */
  guint detect_generation;
  gboolean detecting;
  gboolean has_render;
  char *render_key; /* pattern and range of the render shown */
  char *render_pattern;
  char *source_pattern;
  int first, last;
  SrFrameCache *source_frames, *render_frames;

  /* The frame shown and its pictures (NULL until loaded). */
  int frame;
  SrFrame *frame_a, *frame_b;

  /* Scopes. */
  gboolean scope_running, scope_dirty;
  SrFrame *scoped_a, *scoped_b; /* what the scope views show */

  /* Comparison. */
  gboolean entering_toggle;

  /* Grain toggle: the render's plan (NULL without one), the frame B as
   * rendered, and a preview in flight. */
  SrGrainPlan *grain_plan;
  SrFrame *rendered_b;
  guint grain_generation;
  gboolean grain_busy, grain_known;
  /* The preparation of the model the plan was measured for, once read
   * from its checkpoint (the render's, not the project's as edited since). */
  sr_prep_settings grain_prep;
  gboolean grain_prep_known, grain_prep_tried;

  /* Metrics. */
  SrJob *measure_job;
  char *measured_key; /* render_key the plots belong to */
  sr_qa_frame *qa;
  int n_qa;

  /* Playback (sr-page-review-playback.c). */
  GtkWidget *play_button, *loop_in_button, *loop_out_button, *rate_drop, *play_label;
  double rates[SR_REVIEW_MAX_RATES]; /* the dropdown's, in its order */
  guint n_rates;
  double project_rate; /* the project's rate playback last followed */
  guint tick_id;
  int speed;            /* frames advanced per frame period: ±1, ±2, ±4, ±8; 0 paused */
  gint64 play_start_us; /* frame-clock time the current speed started */
  int play_start_frame;
  gint64 play_steps; /* frame periods counted since play_start_us */
  guint64 due, shown, dropped;
  int loop_in, loop_out; /* within the rendered range */
  gint64 label_us;       /* when the counter line was last written */

  /* Stills. */
  SrJob *export_job;
  GPtrArray *stills;
  char *stills_dir;
  char *message;
};


/* sr-page-review.c */
SrProject *sr_page_review_project_of(SrPageReview *self);
void sr_page_review_update_busy(SrPageReview *self);
SrViewer *sr_page_review_viewer(SrPageReview *self);
void sr_page_review_set_message(SrPageReview *self, const char *text, gboolean can_open);
void sr_page_review_set_measure_text(SrPageReview *self, const char *text);
gboolean sr_page_review_draw_scopes(const sr_image *img, sr_colourspace space,
                                    sr_ycbcr_matrix matrix, int wave_w, int wave_h, int vector_side,
                                    guint8 **wave, guint8 **vector, sr_error *err);

/* sr-page-review-playback.c */
void sr_page_review_playback_class_init(GtkWidgetClass *widget_class);
void sr_page_review_playback_init(SrPageReview *self);
/* Stops playback (the render changed or the page is going). */
void sr_page_review_playback_stop(SrPageReview *self);
/* A new rendered range: the loop follows it, and the rate the project's. */
void sr_page_review_playback_range_changed(SrPageReview *self, const sr_sequence *source);
/* Playback takes the project's frame rate: always, or only when it is not
 * the one last taken (a rate chosen in the dropdown holds till then). */
void sr_page_review_playback_follow_project(SrPageReview *self, gboolean always);

void sr_page_review_show_b(SrPageReview *self, SrFrame *frame);

/* sr-page-review-grain.c */
void sr_page_review_grain_show(SrPageReview *self, SrFrame *rendered);
void sr_page_review_grain_render_changed(SrPageReview *self);
void sr_page_review_grain_refresh(SrPageReview *self);
void sr_page_review_on_grain_toggled(GtkCheckButton *button, SrPageReview *self);

/* sr-page-review-metrics.c */
void sr_page_review_start_measure(SrPageReview *self);
void sr_page_review_action_measure(GtkWidget *widget, const char *name, GVariant *param);
void sr_page_review_update_marks(SrPageReview *self);
void sr_page_review_update_plots(SrPageReview *self);
void sr_page_review_on_plot_activated(SrMetricPlot *plot, int frame, SrPageReview *self);

/* sr-page-review-stills.c */
void sr_page_review_action_export(GtkWidget *widget, const char *name, GVariant *param);
void sr_page_review_on_open_folder(GtkButton *button, SrPageReview *self);
void sr_page_review_on_message_close(GtkButton *button, SrPageReview *self);

G_END_DECLS
