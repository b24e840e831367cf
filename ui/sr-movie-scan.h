/* sr-movie-scan.h — what the Project page shows and preselects when a
 * Source or Reference is a movie file: codec, depth, frame count, the
 * reading warning (interlacing, an untagged matrix), and the colour space
 * its tags name. Filled on the scan's worker thread, used on the main one. */
#pragma once

#include <gtk/gtk.h>

#include "sr-colour.h"
#include "sr-io.h"
#include "sr-project.h"

G_BEGIN_DECLS

typedef struct {
  gboolean is_movie;
  char *facts;   /* "prores yuv444p12le, 12-bit" */
  char *warning; /* NULL when nothing to say */
  gboolean interlaced;
  gboolean has_hint;
  sr_colourspace hint;
} SrMovieScan;

void sr_movie_scan_fill(SrMovieScan *m, const sr_sequence *seq);
void sr_movie_scan_clear(SrMovieScan *m);
/* The range text, with the movie's facts after it (caller frees). */
char *sr_movie_scan_describe(const SrMovieScan *m, int first, int last, int n_missing,
                             const char *missing);
/* Sets the element's colour space from the stream's tags, when they name
 * one (only when the user has just chosen the file). */
void sr_movie_scan_preselect(const SrMovieScan *m, SrProject *project, gboolean is_source);
/* File extensions the file chooser offers: image frames and movies. */
const char *const *sr_movie_scan_extensions(void);

G_END_DECLS
