/* sr-project-checks.c — the Stage 3 checks of a project over its real
 * frames: both sequences open, their headers agree with the declared colour
 * spaces and with each other's frame size, the frame ranges meet, the frame
 * sets agree, and every pair builds and passes the engine's pair checks
 * (sr_check_pair). */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-colour-detect.h"
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

/* The first frame's header against the declared space (an OpenColorIO
 * space is the user's word: the header cannot be compared with it). */
static void
check_colour(SrProject *self, const sr_image_info *info, gboolean source, sr_check_report *report)
{
  const char *ocio = source ? self->source_ocio : self->reference_ocio;
  const char *which = source ? _("Source") : _("Reference");
  const char *id = source ? "source-colour" : "reference-colour";
  sr_colourspace declared = source ? self->source_cs : self->reference_cs;
  if (*ocio)
    return;
  SrColourDetection d;
  sr_colour_detection_from_info(&d, info);
  g_autofree char *contra = sr_colour_detection_contradiction(&d, which, declared);
  if (contra)
    sr_check_report_add(report, id, "project", SR_CHECK_WARN, -1, "%s", contra);
  else if (d.summary)
    sr_check_report_add(report, id, "project", SR_CHECK_PASS, -1, _("%s: %s"), which, d.summary);
  sr_colour_detection_clear(&d);
}

void
sr_project_check_sequence_headers(SrProject *self, const sr_sequence *src, const sr_sequence *ref,
                                  sr_check_report *report)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  sr_image_info si, ri;
  gboolean have_si = src && sr_sequence_frame_info(src, src->first, &si, NULL);
  gboolean have_ri = ref && sr_sequence_frame_info(ref, ref->first, &ri, NULL);
  if (have_si)
    check_colour(self, &si, TRUE, report);
  if (have_ri)
    check_colour(self, &ri, FALSE, report);
  if (have_si && have_ri) {
    g_autofree char *mismatch = sr_project_describe_size_mismatch(&si, &ri);
    if (mismatch)
      sr_check_report_add(report, "reference-size", "project", SR_CHECK_FAIL, -1, "%s", mismatch);
    else
      sr_check_report_add(report, "reference-size", "project", SR_CHECK_PASS, -1,
                          _("Source and Reference frames are both %d×%d"), si.width, si.height);
  }
  if (src && ref && !sr_sequence_is_movie(src) && !sr_sequence_is_movie(ref)) {
    g_autofree char *apart =
        sr_project_describe_ranges_apart(self, src->first, src->last, ref->first, ref->last);
    if (apart)
      sr_check_report_add(report, "reference-range", "project", SR_CHECK_FAIL, -1, "%s", apart);
  }
}

char *
sr_project_describe_size_mismatch(const sr_image_info *src, const sr_image_info *ref)
{
  if (src->width == ref->width && src->height == ref->height)
    return NULL;
  return g_strdup_printf(_("The Reference frames are %d×%d but the Source frames are %d×%d: pairs "
                           "need both the same size. Export the Reference at %d×%d (scaled and "
                           "cropped to the Source's framing) and choose it again."),
                         ref->width, ref->height, src->width, src->height, src->width, src->height);
}

char *
sr_project_describe_ranges_apart(SrProject *self, int src_first, int src_last, int ref_first,
                                 int ref_last)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  /* Some Source frame must map into the Reference's range. */
  for (int f = src_first; f <= src_last; f++) {
    int r = sr_project_reference_frame(self, f);
    if (r != SR_NO_FRAME && r >= ref_first && r <= ref_last)
      return NULL;
  }
  return g_strdup_printf(_("The Source frames %d-%d meet no Reference frame (the Reference holds "
                           "%d-%d, offset %d): set the frame offset so the ranges overlap, or "
                           "choose the matching Reference."),
                         src_first, src_last, ref_first, ref_last, self->reference_offset);
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

  sr_project_check_sequence_headers(self, have_src ? &src_seq : NULL, have_ref ? &ref_seq : NULL,
                                    report);
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
