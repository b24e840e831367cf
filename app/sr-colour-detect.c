/* sr-colour-detect.c — see sr-colour-detect.h. */
#include "sr-colour-detect.h"

#include <string.h>


#include "sr-io.h"
#include "sr-job.h"

gboolean
sr_colour_detect_sequence(const char *pattern, SrColourDetection *out, GError **error)
{
  sr_sequence seq = {0};
  sr_error err = {0};
  sr_image_info info;
  char why[512];

  memset(out, 0, sizeof *out);
  if (!sr_sequence_open(&seq, pattern, &err)) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, "%s", err.message);
    return FALSE;
  }
  g_autofree char *first = sr_sequence_frame_path(&seq, seq.first);
  sr_sequence_clear(&seq);
  if (!sr_image_read_info(first, &info, &err)) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, "%s", err.message);
    return FALSE;
  }
  out->suggested = sr_image_info_suggest_colourspace(&info, &out->space, why, sizeof why);
  /* Only headers that state a transfer characteristic (DPX) have anything
   * to tell; for the others there is nothing to show. */
  out->summary = info.transfer >= 0 ? g_strdup(why) : NULL;
  return TRUE;
}

void
sr_colour_detection_clear(SrColourDetection *d)
{
  g_clear_pointer(&d->summary, g_free);
  d->suggested = FALSE;
}
