/* sr-project-sequence.c — the project's sequences opened with its movie
 * index folder, and the checks that only a movie needs. */
#include "sr-project-sequence.h"

#include <glib/gi18n.h>

#include "sr-movie.h"

char *
sr_project_index_dir(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  GFile *file = sr_project_get_file(self);
  if (file == NULL)
    return NULL;
  g_autoptr(GFile) parent = g_file_get_parent(file);
  g_autofree char *dir = parent ? g_file_get_path(parent) : NULL;
  return dir ? g_build_filename(dir, ".sr-movie-index", NULL) : NULL;
}

gboolean
sr_project_open_sequence(SrProject *self, const char *pattern, sr_sequence *seq, sr_error *err)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  g_autofree char *path = sr_project_resolve_path(self, pattern);
  g_autofree char *index_dir = sr_project_index_dir(self);
  return sr_sequence_open_indexed(seq, path ? path : "", index_dir, err);
}

void
sr_project_check_movie(SrProject *self, const sr_sequence *seq, const char *which, const char *id,
                       sr_colourspace declared, sr_check_report *report)
{
  if (!sr_sequence_is_movie(seq))
    return;
  const sr_movie_info *in = sr_movie_get_info(seq->movie);
  char buf[1024];
  const char *warning = sr_movie_warning(seq->movie, buf, sizeof buf);
  if (warning != NULL)
    sr_check_report_add(report, id, "project", SR_CHECK_WARN, in->scan, "%s", warning);
  else
    sr_check_report_add(report, id, "project", SR_CHECK_PASS, in->bit_depth,
                        _("%s movie: %s %s, %d-bit, %d frames"), which, in->codec, in->pixel_format,
                        in->bit_depth, in->n_frames);
  sr_colourspace tagged;
  if (sr_movie_colourspace_hint(in, &tagged) && tagged != declared)
    sr_check_report_add(report, id, "project", SR_CHECK_WARN, 0.0,
                        _("%s is tagged %s but the project reads it as %s; choose %s in the "
                          "Project step unless the tags are wrong"),
                        which, sr_colourspace_label(tagged), sr_colourspace_label(declared),
                        sr_colourspace_label(tagged));
}

/* Why a Source frame has no clean Reference frame, in the map's terms. */
static char *
no_reference_reason(SrProject *self, int frame)
{
  sr_frame_map map;
  sr_project_get_frame_map(self, &map);
  char desc[256];
  sr_frame_map_describe(&map, desc, sizeof desc);
  sr_frame_map_clear(&map);
  return g_strdup_printf(_("Source frame %d has no clean Reference frame under the frame map "
                           "(%s): its picture is only in field-mixed or dropped Reference "
                           "frames; choose a frame next to it"),
                         frame, desc);
}

gboolean
sr_project_check_pair_reference(SrProject *self, int frame, GError **error)
{
  if (sr_project_reference_frame(self, frame) != SR_NO_FRAME)
    return TRUE;
  g_autofree char *why = no_reference_reason(self, frame);
  g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD, "%s", why);
  return FALSE;
}

void
sr_project_check_pair_references(SrProject *self, sr_check_report *report)
{
  const GArray *pairs = sr_project_get_pairs(self);
  for (guint i = 0; i < pairs->len; i++) {
    int frame = g_array_index(pairs, int, i);
    if (sr_project_reference_frame(self, frame) != SR_NO_FRAME)
      continue;
    g_autofree char *why = no_reference_reason(self, frame);
    char subject[64];
    g_snprintf(subject, sizeof subject, "pair %d", frame);
    sr_check_report_add(report, "reference-frame", subject, SR_CHECK_FAIL, frame, "%s", why);
  }
}
