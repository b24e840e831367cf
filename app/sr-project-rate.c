/* sr-project-rate.c — the film's frame rate: the project's own (1 to 120
 * frames a second, 23.976 and 29.97 included), where it came from, what a
 * Source's metadata says it is, and the whole-frame rate timecode counts
 * at. See sr-project.h. */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "sr-movie.h"
#include "sr-project-sequence.h"
#include "sr-reel.h"

static const char *const from_ids[] = {"default", "exr", "dpx", "movie", "user"};

const char *
sr_frame_rate_from_id(SrRateFrom from)
{
  return from >= 0 && from < G_N_ELEMENTS(from_ids) ? from_ids[from] : from_ids[0];
}

gboolean
sr_frame_rate_from_from_id(const char *id, SrRateFrom *out)
{
  for (guint i = 0; i < G_N_ELEMENTS(from_ids); i++)
    if (g_strcmp0(id, from_ids[i]) == 0) {
      *out = (SrRateFrom)i;
      return TRUE;
    }
  return FALSE;
}

const char *
sr_frame_rate_describe_from(SrRateFrom from)
{
  switch (from) {
  case SR_RATE_FROM_EXR: return _("From the Source's EXR framesPerSecond attribute");
  case SR_RATE_FROM_DPX: return _("From the Source's DPX frame rate field");
  case SR_RATE_FROM_MOVIE: return _("From the Source movie's frame rate");
  case SR_RATE_FROM_USER: return _("Set by hand");
  case SR_RATE_FROM_DEFAULT: break;
  }
  return _("The film default: nothing stated another rate");
}

gboolean
sr_frame_rate_validate(double fps, const char *field, GError **error)
{
  if (isfinite(fps) && fps >= SR_FRAME_RATE_MIN && fps <= SR_FRAME_RATE_MAX)
    return TRUE;
  g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
              _("%s: %g is not a frame rate (%g to %g frames a second, e.g. 24, 25, 23.976 or "
                "29.97)"),
              field, fps, SR_FRAME_RATE_MIN, SR_FRAME_RATE_MAX);
  return FALSE;
}

/* Rates are kept to a thousandth: 24000/1001 is 23.976, as everyone writes it. */
static double
rounded(double fps)
{
  return round(fps * 1000.0) / 1000.0;
}

char *
sr_frame_rate_to_string(double fps)
{
  char *s = g_strdup_printf("%.3f", rounded(fps));
  char *end = s + strlen(s) - 1;
  while (*end == '0')
    *end-- = '\0';
  if (*end == '.')
    *end = '\0';
  return s;
}

gboolean
sr_frame_rate_detect(const sr_sequence *seq, double *fps, SrRateFrom *from, sr_error *err)
{
  const sr_movie_info *mi = seq->movie ? sr_movie_get_info(seq->movie) : NULL;
  if (mi) {
    if (mi->rate_num <= 0 || mi->rate_den <= 0)
      return FALSE;
    double r = (double)mi->rate_num / mi->rate_den;
    if (!(r >= SR_FRAME_RATE_MIN && r <= SR_FRAME_RATE_MAX))
      return FALSE;
    *fps = rounded(r);
    *from = SR_RATE_FROM_MOVIE;
    return TRUE;
  }
  if (!seq->pattern)
    return FALSE;
  g_autofree char *path =
      seq->single_file ? g_strdup(seq->pattern) : sr_pattern_format(seq->pattern, seq->first);
  sr_reel_info info = {0};
  if (!path || !sr_image_read_reel(path, &info, err) || info.rate <= 0)
    return FALSE;
  *fps = rounded(info.rate);
  *from = sr_format_from_path(path) == SR_FORMAT_DPX ? SR_RATE_FROM_DPX : SR_RATE_FROM_EXR;
  return TRUE;
}

gboolean
sr_project_preset_frame_rate(SrProject *self, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  sr_sequence seq = {0};
  sr_error err = {0};
  double fps = SR_FRAME_RATE_DEFAULT;
  SrRateFrom from = SR_RATE_FROM_DEFAULT;
  if (!sr_project_open_sequence(self, sr_project_get_source_pattern(self), &seq, &err)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  gboolean stated = sr_frame_rate_detect(&seq, &fps, &from, &err);
  sr_sequence_clear(&seq);
  if (!stated && err.message[0]) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD, "%s", err.message);
    return FALSE;
  }
  return sr_project_set_frame_rate(self, fps, from, error);
}

double
sr_project_get_frame_rate(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), SR_FRAME_RATE_DEFAULT);
  return self->frame_rate;
}

SrRateFrom
sr_project_get_frame_rate_from(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), SR_RATE_FROM_DEFAULT);
  return self->frame_rate_from;
}

gboolean
sr_project_set_frame_rate(SrProject *self, double fps, SrRateFrom from, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!sr_frame_rate_validate(fps, "frame_rate", error))
    return FALSE;
  fps = rounded(fps);
  if (fps == self->frame_rate && from == self->frame_rate_from)
    return TRUE;
  self->frame_rate = fps;
  self->frame_rate_from = from;
  g_object_notify(G_OBJECT(self), "frame-rate");
  sr_project_edited(self, _("Frame rate"));
  return TRUE;
}

int
sr_project_timecode_fps(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), (int)SR_FRAME_RATE_DEFAULT);
  return (int)lround(self->frame_rate);
}
