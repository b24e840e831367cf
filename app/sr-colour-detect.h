/* sr-colour-detect.h — which colour space a sequence's files say they are in.
 *
 * DPX headers carry a transfer characteristic and colorimetric code; the
 * Project stage and the command line use this to preselect a space (Cineon
 * log for printing density, ADX10/ADX16 for ADX) and to say what was found
 * and why. Other formats carry no such field, and a DPX that says "user
 * defined" leaves the choice to the user. Reads one header, no pixels: call
 * it from a worker thread all the same, as it touches the disk. */
#pragma once

#include <glib.h>

#include "sr-colour.h"

typedef struct SrColourDetection {
  gboolean suggested;   /* the header names a space the project knows */
  sr_colourspace space; /* valid when suggested */
  char *summary;        /* one line for the user: fields, values, conclusion;
                         * NULL for formats that state no transfer (EXR, TIFF) */
} SrColourDetection;

/* Fills `out` from the first frame of `pattern` (a frame pattern or one
 * file). Returns FALSE, with `error` naming the file, when no frame can be
 * read. */
gboolean sr_colour_detect_sequence(const char *pattern, SrColourDetection *out, GError **error);
void sr_colour_detection_clear(SrColourDetection *d);
