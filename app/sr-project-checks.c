/* sr-project-checks.c — the Stage 3 checks of a project over its real
 * frames: both sequences open, the frame sets agree, and every pair builds
 * and passes the engine's pair checks (sr_check_pair). */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-io.h"
#include "sr-project-sequence.h"

/* ---- Checks ------------------------------------------------------------------- */

static gboolean
open_sequence(SrProject *self, const char *pattern, const char *which, const char *id,
              sr_colourspace cs, sr_sequence *seq, sr_check_report *report)
{
  if (pattern == NULL || *pattern == '\0') {
    sr_check_report_add(report, id, "project", SR_CHECK_FAIL, 0.0,
                        _("no %s sequence is set; choose its frames in the Project step"), which);
    return FALSE;
  }
  sr_error err;
  sr_error_clear(&err);
  if (!sr_project_open_sequence(self, pattern, seq, &err)) {
    sr_check_report_add(report, id, "project", SR_CHECK_FAIL, 0.0, "%s: %s", which, err.message);
    return FALSE;
  }
  sr_project_check_movie(self, seq, which,
                         g_str_has_prefix(id, "source") ? "source-movie" : "reference-movie", cs,
                         report);
  if (seq->n_missing > 0) {
    char missing[160];
    sr_sequence_describe_missing(seq, missing, sizeof missing);
    sr_check_report_add(report, id, "project", SR_CHECK_WARN, seq->n_missing,
                        _("%s frames %d-%d, missing: %s"), which, seq->first, seq->last, missing);
  } else {
    sr_check_report_add(report, id, "project", SR_CHECK_PASS, seq->last - seq->first + 1,
                        _("%s frames %d-%d"), which, seq->first, seq->last);
  }
  return TRUE;
}

void
sr_project_check(SrProject *self, sr_check_report *report)
{
  sr_project_check_with_pairs(self, report, NULL, NULL);
}

/* OpenColorIO spaces: the config loads and names both spaces. */
static void
check_ocio(SrProject *self, sr_check_report *report)
{
  if (!*self->source_ocio && !*self->reference_ocio)
    return;
  g_autofree char *path = sr_project_get_ocio_config_path(self);
  sr_error err = {0};
  sr_ocio_config *cfg = sr_ocio_config_open(path, &err);
  gboolean ok = cfg != NULL;
  for (int k = 0; k < 2 && ok; k++) {
    const char *name = k == 0 ? self->source_ocio : self->reference_ocio;
    ok = !*name || sr_ocio_config_resolve(cfg, name, &err) != NULL;
  }
  if (ok)
    sr_check_report_add(report, "ocio", "project", SR_CHECK_PASS, -1,
                        _("OpenColorIO config %s names the Source and Reference spaces"),
                        sr_ocio_config_path(cfg));
  else
    sr_check_report_add(report, "ocio", "project", SR_CHECK_FAIL, -1, "%s", err.message);
  sr_ocio_config_free(cfg);
}

void
sr_project_check_with_pairs(SrProject *self, sr_check_report *report, SrProjectPairFunc func,
                            gpointer user_data)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(report != NULL);

  const GArray *pairs = self->pairs, *held = self->held_out;
  sr_check_frame_sets(pairs->len ? (const int *)(const void *)pairs->data : NULL, (int)pairs->len,
                      held->len ? (const int *)(const void *)held->data : NULL, (int)held->len,
                      self->preview_frame, self->preview_frame >= 0, report);

  sr_sequence src_seq, ref_seq;
  memset(&src_seq, 0, sizeof src_seq);
  memset(&ref_seq, 0, sizeof ref_seq);
  gboolean have_src = open_sequence(self, self->source_pattern, _("Source"), "source-sequence",
                                    self->source_cs, &src_seq, report);
  gboolean have_ref = open_sequence(self, self->reference_pattern, _("Reference"),
                                    "reference-sequence", self->reference_cs, &ref_seq, report);

  if (have_src && self->preview_frame >= 0 && !sr_sequence_has_frame(&src_seq, self->preview_frame))
    sr_check_report_add(report, "preview-frame", "project", SR_CHECK_FAIL, self->preview_frame,
                        _("preview frame %d is not in the Source sequence (frames %d-%d)"),
                        self->preview_frame, src_seq.first, src_seq.last);

  check_ocio(self, report);
  sr_project_check_pair_references(self, report);
  sr_prep_settings prep;
  sr_project_get_prep_settings(self, &prep);
  for (guint i = 0; i < pairs->len && (have_src || have_ref); i++) {
    int frame = g_array_index(pairs, int, i);
    int ref_frame = sr_project_reference_frame(self, frame);
    char subject[64];
    g_snprintf(subject, sizeof subject, "pair %d", frame);
    if (ref_frame == SR_NO_FRAME)
      continue; /* reported by sr_project_check_pair_references() */
    sr_error err;
    sr_image *src = NULL, *ref = NULL;
    if (have_src) {
      sr_error_clear(&err);
      src = sr_sequence_read(&src_seq, frame, &err);
      if (src == NULL)
        sr_check_report_add(report, "source-frame", subject, SR_CHECK_FAIL, frame, _("Source %s"),
                            err.message);
    }
    if (have_ref) {
      sr_error_clear(&err);
      ref = sr_sequence_read(&ref_seq, ref_frame, &err);
      if (ref == NULL)
        sr_check_report_add(report, "reference-frame", subject, SR_CHECK_FAIL, ref_frame,
                            _("Reference %s"), err.message);
    }
    if (src != NULL && ref != NULL) {
      sr_pair pair;
      memset(&pair, 0, sizeof pair);
      sr_error_clear(&err);
      gboolean built = sr_pair_build(src, ref, &prep, &pair, &err);
      if (built) {
        pair.source_frame = frame;
        pair.reference_frame = ref_frame;
      }
      int first_item = report->n;
      sr_check_pair(src, ref, built ? &pair : NULL, &prep, subject, report);
      /* The build's own reason only when no frame check already named it. */
      gboolean explained = FALSE;
      for (int k = first_item; k < report->n; k++)
        explained |= report->items[k].status == SR_CHECK_FAIL;
      if (!built && !explained)
        sr_check_report_add(report, "pair-build", subject, SR_CHECK_FAIL, 0.0,
                            _("cannot build the pair: %s"), err.message);
      if (built && func != NULL)
        func(&pair, user_data);
      if (built)
        sr_pair_clear(&pair);
    }
    sr_image_free(src);
    sr_image_free(ref);
  }
  if (have_src)
    sr_sequence_clear(&src_seq);
  if (have_ref)
    sr_sequence_clear(&ref_seq);
}
