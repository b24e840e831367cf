/* sr-movie-scan.c — movie facts for the Project page (see sr-movie-scan.h). */
#include "sr-movie-scan.h"

#include <glib/gi18n.h>

#include "sr-movie.h"
#include "sr-ui-util.h"

void
sr_movie_scan_fill(SrMovieScan *m, const sr_sequence *seq)
{
  memset(m, 0, sizeof *m);
  if (!sr_sequence_is_movie(seq))
    return;
  const sr_movie_info *in = sr_movie_get_info(seq->movie);
  m->is_movie = TRUE;
  m->facts = g_strdup_printf(_("%s %s, %d-bit"), in->codec, in->pixel_format, in->bit_depth);
  char buf[1024];
  const char *w = sr_movie_warning(seq->movie, buf, sizeof buf);
  m->warning = w ? g_strdup(w) : NULL;
  m->has_hint = sr_movie_colourspace_hint(in, &m->hint);
  m->interlaced = in->scan != SR_SCAN_PROGRESSIVE;
}

void
sr_movie_scan_clear(SrMovieScan *m)
{
  g_free(m->facts);
  g_free(m->warning);
  memset(m, 0, sizeof *m);
}

char *
sr_movie_scan_describe(const SrMovieScan *m, int first, int last, int n_missing,
                       const char *missing)
{
  g_autofree char *range = sr_ui_describe_range(first, last, n_missing, missing);
  if (!m->is_movie)
    return g_steal_pointer(&range);
  if (m->warning)
    return g_strdup_printf(_("%s · movie: %s · %s"), range, m->facts,
                           m->interlaced ? _("interlaced (see the tooltip)")
                                         : _("matrix guessed (see the tooltip)"));
  return g_strdup_printf(_("%s · movie: %s"), range, m->facts);
}

void
sr_movie_scan_preselect(const SrMovieScan *m, SrProject *project, gboolean is_source)
{
  if (!m->is_movie || !m->has_hint || project == NULL)
    return;
  if (is_source)
    sr_project_set_source_colourspace(project, m->hint);
  else
    sr_project_set_reference_colourspace(project, m->hint);
}

const char *const *
sr_movie_scan_extensions(void)
{
  static const char *const ext[] = {"exr", "dpx", "tif", "tiff", "png", "mkv",  "mov",
                                    "mp4", "mxf", "avi", "m4v",  "nut", "webm", NULL};
  return ext;
}
