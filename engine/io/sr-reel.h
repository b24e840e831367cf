/* sr-reel.h — where a frame sits on its reel: the timecode, frame rate and
 * reel name a scan's header records, read without decoding pixels.
 *
 * EXR: the standard timeCode attribute (type timecode), framesPerSecond
 * (rational), and the first string attribute among reelName, reel,
 * tapeName, tape. DPX (SMPTE 268M): the television header's time code
 * (byte 1920, BCD) and frame rate (1940), the film header's frame rate
 * (1724), and the orientation header's input device name (1556, 32 bytes),
 * where telecine and scanners record the reel or tape. Fields left
 * undefined (all ones, or zeros for text) read as absent. A field with a
 * malformed value fails the read with a message naming the file and the
 * field, so the caller can say so and derive nothing from it. */
#pragma once

#include <stdbool.h>

#include "sr-error.h"
#include "sr-timecode.h"

typedef struct sr_reel_info {
  bool has_timecode;
  sr_timecode timecode;
  int fps;       /* whole frames a second the file states; 0 when it states none */
  double rate;   /* the rate as stated (24000/1001 = 23.976…); 0 when none */
  char reel[80]; /* "" when none */
} sr_reel_info;

/* Other formats (PNG, TIFF, movies) carry none of this: *out is cleared and
 * true returned. */
bool sr_image_read_reel(const char *path, sr_reel_info *out, sr_error *err);

/* For sr-reel.c only: the EXR part, in sr-exr.c beside its safe reader. */
bool sr_exr_read_reel(const char *path, sr_reel_info *out, sr_error *err);
