/* sr-colour-detect.c — see sr-colour-detect.h. */
#include "sr-colour-detect.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-job.h"

void
sr_colour_detection_from_info(SrColourDetection *out, const sr_image_info *info)
{
  char why[512];

  memset(out, 0, sizeof *out);
  out->info = *info;
  out->has_info = TRUE;
  out->suggested = sr_image_info_suggest_colourspace(info, &out->space, why, sizeof why);
  /* Only headers that state something (a DPX transfer code, chromaticities,
   * a colour chunk or profile) have anything to tell. */
  gboolean stated = (info->format == SR_FORMAT_DPX && info->transfer >= 0) ||
                    info->has_chromaticities || info->srgb_chunk || info->gamma > 0 ||
                    info->icc_description[0];
  out->summary = stated ? g_strdup(why) : NULL;
}

gboolean
sr_colour_detect_sequence(const char *pattern, SrColourDetection *out, GError **error)
{
  sr_sequence seq = {0};
  sr_error err = {0};
  sr_image_info info;

  memset(out, 0, sizeof *out);
  if (!sr_sequence_open(&seq, pattern, &err)) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, "%s", err.message);
    return FALSE;
  }
  gboolean ok = sr_sequence_frame_info(&seq, seq.first, &info, &err);
  sr_sequence_clear(&seq);
  if (!ok) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, "%s", err.message);
    return FALSE;
  }
  sr_colour_detection_from_info(out, &info);
  return TRUE;
}

char *
sr_colour_detection_contradiction(const SrColourDetection *d, const char *which,
                                  sr_colourspace declared)
{
  char why[512];

  if (!d->has_info || !sr_image_info_contradicts(&d->info, declared, why, sizeof why))
    return NULL;
  /* The first sentence is short: the stage list shows it on its own. */
  if (d->suggested)
    return g_strdup_printf(_("%s is declared %s but its files say %s. The header says: %s. Choose "
                             "%s, or check the files if the header is wrong."),
                           which, sr_colourspace_label(declared), sr_colourspace_label(d->space),
                           why, sr_colourspace_label(d->space));
  return g_strdup_printf(_("%s is declared %s but its files say otherwise. The header says: %s."),
                         which, sr_colourspace_label(declared), why);
}

void
sr_colour_detection_clear(SrColourDetection *d)
{
  g_clear_pointer(&d->summary, g_free);
  d->suggested = FALSE;
  d->has_info = FALSE;
}
