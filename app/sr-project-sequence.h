/* sr-project-sequence.h — opening the sequences a project names.
 *
 * Paths are resolved against the project's folder; a movie keeps its frame
 * index in a hidden folder beside the project file (".sr-movie-index"), so
 * reopening a reel costs no rescan and the cache travels with the project.
 */
#pragma once

#include "sr-io.h"
#include "sr-pairs.h"
#include "sr-project.h"

G_BEGIN_DECLS

/* The folder for movie indexes (caller frees); NULL for a project that has
 * no file yet (the user's cache folder is used then). */
char *sr_project_index_dir(SrProject *self);
/* Opens a sequence pattern stored in the project (relative or absolute). */
gboolean sr_project_open_sequence(SrProject *self, const char *pattern, sr_sequence *seq,
                                  sr_error *err);
/* Check items for a movie: how it will be read (interlacing, an untagged
 * matrix) and whether its colour tags agree with the colour space the
 * project declares for it, under check id `id` ("source-movie",
 * "reference-movie"). Nothing for image sequences. */
void sr_project_check_movie(SrProject *self, const sr_sequence *seq, const char *which,
                            const char *id, sr_colourspace declared, sr_check_report *report);

/* A pair needs a clean Reference frame: FALSE with a message naming the
 * frame when the frame map gives it none (field-mixed or dropped). */
gboolean sr_project_check_pair_reference(SrProject *self, int frame, GError **error);
/* A failed "reference-frame" check for each pair whose Source frame has no
 * clean Reference frame under the project's frame map. */
void sr_project_check_pair_references(SrProject *self, sr_check_report *report);

G_END_DECLS
