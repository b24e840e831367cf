/* sr-colour-detect.h — which colour space a sequence's files say they are in.
 *
 * The first frame's header is read (no pixels): DPX transfer and
 * colorimetric codes, EXR chromaticities, PNG sRGB/gAMA/cHRM/iCCP chunks,
 * TIFF primaries or an embedded ICC profile (see
 * sr_image_info_suggest_colourspace in sr-io.h). The Project stage and the
 * command line use this to preselect a space, to say what was found, in
 * which field, and to warn when the space a project declares contradicts
 * the files. It touches the disk: call it from a worker thread. */
#pragma once

#include <glib.h>

#include "sr-colour.h"
#include "sr-io.h"

typedef struct SrColourDetection {
  gboolean suggested;   /* the header names a space the project knows */
  sr_colourspace space; /* valid when suggested */
  char *summary;        /* one line for the user: field, values, conclusion;
                         * NULL when the header states nothing about colour */
  sr_image_info info;   /* the first frame's header, for sr_colour_detection_contradicts */
  gboolean has_info;
} SrColourDetection;

/* Fills `out` from the first frame of `pattern` (a frame pattern or one
 * file). Returns FALSE, with `error` naming the file, when no frame can be
 * read. */
gboolean sr_colour_detect_sequence(const char *pattern, SrColourDetection *out, GError **error);
/* The same from a header already read. */
void sr_colour_detection_from_info(SrColourDetection *out, const sr_image_info *info);
/* When `declared` contradicts what the files say: a message naming the
 * sequence (`which`, "Source" or "Reference"), what the header says and in
 * which field, the declared space and what to do (caller frees). NULL when
 * they agree or the header says nothing. */
char *sr_colour_detection_contradiction(const SrColourDetection *d, const char *which,
                                        sr_colourspace declared);
void sr_colour_detection_clear(SrColourDetection *d);
