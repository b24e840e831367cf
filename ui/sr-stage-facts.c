/* sr-stage-facts.c — see sr-stage-facts.h. */
#include "sr-stage-facts.h"

#include <glib/gi18n.h>
#include <math.h>

SrStageState
sr_render_facts_state(const SrRenderFacts *f, gboolean has_model)
{
  if (f->running)
    return SR_STAGE_IN_PROGRESS;
  if (!has_model || f->on_disk == 0)
    return SR_STAGE_NOT_STARTED;
  /* Part of the range on disk and nothing running is not "in progress":
   * the rest can be rendered when the archivist wants. */
  return f->on_disk >= f->wanted ? SR_STAGE_DONE : SR_STAGE_READY;
}

char *
sr_render_facts_count(const SrRenderFacts *f)
{
  return g_strdup_printf(ngettext("%d of %d frame rendered", "%d of %d frames rendered", f->wanted),
                         f->on_disk, f->wanted);
}

char *
sr_render_facts_reason(const SrRenderFacts *f, const char *model)
{
  if (f->running)
    return sr_render_facts_progress(f);
  if (!model)
    return g_strdup(_("Needs a trained model."));
  if (f->on_disk > 0 && f->on_disk >= f->wanted)
    return g_strdup_printf(ngettext("All %d frame rendered with model %s.",
                                    "All %d frames rendered with model %s.", f->on_disk),
                           f->on_disk, model);
  if (f->on_disk > 0)
    return g_strdup_printf(ngettext("%d of %d frame rendered with model %s: render the rest "
                                    "when ready.",
                                    "%d of %d frames rendered with model %s: render the rest "
                                    "when ready.",
                                    f->wanted),
                           f->on_disk, f->wanted, model);
  return g_strdup_printf(_("Render the Source with model %s."), model);
}

char *
sr_render_facts_progress(const SrRenderFacts *f)
{
  if (f->run_total <= 0)
    return g_strdup(_("Loading the model…"));
  if (isfinite(f->eta) && f->eta >= 0) {
    int eta = (int)MIN(f->eta, 1e7);
    return g_strdup_printf(
        ngettext("Rendering %d of %d frame · %.2f frames/s · about %d:%02d left",
                 "Rendering %d of %d frames · %.2f frames/s · about %d:%02d left", f->run_total),
        f->run_done, f->run_total, f->fps, eta / 60, eta % 60);
  }
  return g_strdup_printf(
      ngettext("Rendering %d of %d frame", "Rendering %d of %d frames", f->run_total), f->run_done,
      f->run_total);
}

double
sr_render_facts_fraction(const SrRenderFacts *f)
{
  return f->run_total > 0 ? CLAMP((double)f->run_done / f->run_total, 0.0, 1.0) : 0.0;
}
