/* sr-grain-plan.h — a render's grain plan: measured on a project's training
 * pairs, kept beside the rendered frames, described in their headers.
 *
 * Regrain (sr-grain.h) needs two grain profiles: the Reference's and the
 * model's result's, both over the project's training pairs, the result
 * being the model's own ΔY merged onto the prepared Source (as bench-quality
 * measures them). sr_grain_plan_measure() reads the pairs, runs the model
 * and plans; the plan is saved as <render stem>.grain.json in the render
 * folder (sr_grain_plan_path), and every later run over that render —
 * resumed, or a render-farm task — loads it instead of measuring again, so
 * they all add the same grain to a frame. The file holds the plan itself
 * (kernel, level gains, seed), the model it was measured for, and the
 * Reference's grain summary (variance and band powers), which is also what
 * each rendered frame records in spatialRecovery:grain
 * (sr_grain_plan_describe) for validation and delivery to report.
 */
#pragma once

#include <stdatomic.h>

#include <gio/gio.h>

#include "sr-grain.h"
#include "sr-infer.h"
#include "sr-project.h"

G_BEGIN_DECLS

#define SR_GRAIN_PLAN_FORMAT 1

typedef struct {
  sr_regrain plan;
  char model_id[65];
  int pairs;  /* training pairs measured */
  int blocks; /* the Reference's flat blocks */
  double reference_variance, reference_bands[SR_GRAIN_BANDS];
  double result_variance; /* the model's result on the same blocks */
} SrGrainPlan;

/* "<folder>/<stem>.grain.json" for an output pattern
 * "<folder>/<stem>.%04d.exr" (or ####); NULL for no frame pattern. */
char *sr_grain_plan_path(const char *output_pattern);

/* Measures the Reference's and the model's grain over the project's
 * training pairs (the model's own preprocessing) and plans with `seed`.
 * Fails naming the pair for a frame that cannot be read, and with a message
 * saying what to do without pairs or without a flat area. */
gboolean sr_grain_plan_measure(SrProject *project, sr_model *model, guint64 seed,
                               const atomic_bool *cancel, SrGrainPlan *out, GError **error);

gboolean sr_grain_plan_save(const char *path, const SrGrainPlan *p, GError **error);
/* Fails naming the file and the field for a file that is not a grain plan. */
gboolean sr_grain_plan_load(const char *path, SrGrainPlan *p, GError **error);

/* Review's grain toggle: the rendered frame `frame` (as read, in the
 * Source's colour space) with the plan's grain for that frame added, or,
 * with remove, taken away: the same noise field the render draws, scaled
 * at the frame's own level, through the same merge (luma only). Adding to a
 * frame rendered without grain gives the grained render up to half-float
 * rounding; removing from a grained frame leaves the level scaling's
 * second-order error (the level is read with the grain still in). */
sr_image *sr_grain_plan_preview(const SrGrainPlan *p, const sr_image *rendered, int frame,
                                const sr_prep_settings *prep, gboolean remove, sr_error *err);

/* The value of spatialRecovery:grain: one line of JSON with the seed, the
 * plan's digest and the Reference's grain summary. Caller frees. */
char *sr_grain_plan_describe(const SrGrainPlan *p);

G_END_DECLS
