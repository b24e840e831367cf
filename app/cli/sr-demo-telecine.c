/* sr-demo-telecine.c — the demo's telecine Reference (see
 * sr-demo-telecine.h). */
#include "sr-demo-telecine.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "sr-io.h"

/* Film frames per video frame in the demo telecine: the demo camera moves
 * about a pixel a frame, too little for neighbouring frames to differ at
 * the scale `sync` compares them. */
#define DEMO_TELECINE_MOTION 6

gboolean
sr_demo_telecine_options(sr_telecine_options *t, const char *pulldown, int offset, int phase,
                         int drop, GError **error)
{
  sr_telecine_options_init(t);
  t->motion = DEMO_TELECINE_MOTION;
  if (pulldown && !sr_cadence_from_name(pulldown, &t->cadence)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("--pulldown: '%s' is not 3:2, 2:3:3:2 or none"), pulldown);
    return FALSE;
  }
  if (offset < -100 || offset > 100) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("--reference-offset: %d is outside -100..100"), offset);
    return FALSE;
  }
  if (phase < 0 || phase > 3) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("--pulldown-phase: %d is outside 0..3"), phase);
    return FALSE;
  }
  t->offset = offset;
  t->phase = t->cadence == SR_CADENCE_NONE ? 0 : phase;
  t->drop = drop < 0 ? -1 : drop;
  return TRUE;
}

static gboolean
write_exr(const char *dir, const char *pattern, int frame, sr_image *img, const char *role,
          sr_error *err)
{
  char *name = sr_pattern_format(pattern, frame);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  free(name);
  return sr_image_set_attribute(img, "spatialRecovery/demoElement", role, err) &&
         sr_image_write(path, img, NULL, err);
}

int
sr_demo_write_telecine(const sr_telecine_options *t, const sr_simulator_options *sim,
                       const char *dir, const char *source_pattern, const char *reference_pattern,
                       int first, int n, SrProgressMode progress, sr_error *err)
{
  sr_frame_map truth;
  if (!sr_telecine_truth(t, &truth, err))
    return -1;
  /* The transfer runs to the frame holding the last Source frame's last field. */
  long long end_field = sr_frame_map_first_field(&truth, first + n) - 1;
  sr_frame_map_clear(&truth);
  int n_ref = (int)(end_field / 2) - first + 1;
  n_ref = MAX(n_ref, 1);
  SrProgress *bar = sr_progress_new(progress, "demo frames", n + n_ref);
  gboolean ok = TRUE;
  for (int i = 0; i < n && ok; i++) {
    sr_image *src = NULL, *ref = NULL;
    ok = sr_telecine_film_frame(sim, t, first + i, &src, &ref, err) &&
         write_exr(dir, source_pattern, first + i, src, "source", err);
    sr_image_free(src);
    sr_image_free(ref);
    sr_progress_update(bar, i + 1, NULL, NULL, 0);
  }
  for (int i = 0; i < n_ref && ok; i++) {
    sr_image *img = sr_telecine_render_frame(sim, t, first + i, err);
    ok = img && write_exr(dir, reference_pattern, first + i, img, "reference", err);
    sr_image_free(img);
    sr_progress_update(bar, n + i + 1, NULL, NULL, 0);
  }
  sr_progress_finish(bar);
  return ok ? n_ref : -1;
}
