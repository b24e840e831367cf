/* fuzz-grain-plan.c — the grain plan loader (sr_grain_plan_load, as a
 * resumed or farm render reads <render>.grain.json from the render folder)
 * on arbitrary bytes. Oracle: a plan that loads saves to a file that loads
 * to the same plan, and no GLib critical fires on the way. */
#include <gio/gio.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-fuzz.h"
#include "sr-grain-plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
same_plan(const SrGrainPlan *a, const SrGrainPlan *b)
{
  gboolean rv = (isnan(a->result_variance) && isnan(b->result_variance)) ||
                memcmp(&a->result_variance, &b->result_variance, sizeof(double)) == 0;
  return rv && strcmp(a->model_id, b->model_id) == 0 && a->pairs == b->pairs &&
         a->blocks == b->blocks && a->plan.seed == b->plan.seed &&
         memcmp(a->plan.kernel, b->plan.kernel, sizeof a->plan.kernel) == 0 &&
         memcmp(a->plan.level_gain, b->plan.level_gain, sizeof a->plan.level_gain) == 0 &&
         memcmp(&a->reference_variance, &b->reference_variance, sizeof(double)) == 0 &&
         memcmp(a->reference_bands, b->reference_bands, sizeof a->reference_bands) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char *copy;
  if (copy == NULL) {
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
    copy = g_build_filename(sr_fuzz_scratch_dir(), "render.grain.json", NULL);
  }
  SrGrainPlan a, b;
  g_autoptr(GError) error = NULL;
  if (!sr_grain_plan_load(sr_fuzz_file(data, size), &a, &error))
    return 0;
  if (!sr_grain_plan_save(copy, &a, &error) || !sr_grain_plan_load(copy, &b, &error) ||
      !same_plan(&a, &b))
    __builtin_trap();
  return 0;
}
