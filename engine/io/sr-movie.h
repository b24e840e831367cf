/* sr-movie.h — frames of a movie file (FFV1/Matroska, ProRes/MOV, v210,
 * DNxHR, H.264 ...) read through FFmpeg's libraries, frame-accurately.
 *
 * Frame N is the N-th picture in presentation order, counted from 0, as
 * ffmpeg's `select=eq(n\,N)` counts. On open the video stream's packets are
 * indexed (timestamp and keyframe flag of every frame); reading frame N seeks
 * to the keyframe at or before it and decodes forward until the frame whose
 * timestamp is N's, so the same N always gives the same picture however it
 * is reached. The index is cached in a folder the caller names (the project
 * folder), keyed by the movie's path and checked against its size and
 * modification time.
 *
 * Pixels arrive as float RGB in [0,1] at the stream's full bit depth: planar
 * and packed RGB formats are scaled exactly; YCbCr goes through libswscale
 * to 16-bit RGB with the stream's matrix and range, so 10/12/16-bit material
 * never passes through 8 bits.
 *
 * A movie is shared by reference (sr_movie_ref/unref) and may be read from
 * several threads; reads are serialised on one decoder per movie.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-image.h"

typedef struct sr_movie sr_movie;

typedef enum sr_movie_scan {
  SR_SCAN_PROGRESSIVE = 0,
  SR_SCAN_TOP_FIRST,    /* interlaced, top field first */
  SR_SCAN_BOTTOM_FIRST, /* interlaced, bottom field first */
} sr_movie_scan;

typedef struct sr_movie_info {
  int width, height;
  int n_frames;
  int rate_num, rate_den; /* frame rate (e.g. 30000/1001) */
  int bit_depth;          /* of the decoded pixel format's components */
  char codec[32];         /* FFmpeg's codec name ("prores", "ffv1") */
  char pixel_format[32];  /* FFmpeg's pixel format name ("yuv444p10le") */
  /* Colour tags as ITU-T H.273 code points (2 = unspecified). */
  int primaries, transfer, matrix;
  bool full_range; /* YCbCr: full (0-1023) rather than video (64-940) range */
  bool is_rgb;     /* the stream stores RGB, not YCbCr */
  int used_matrix; /* the H.273 matrix applied (guessed when untagged) */
  sr_movie_scan scan;
  bool index_from_cache;
} sr_movie_info;

typedef struct sr_movie_options {
  const char *index_dir; /* where the index cache lives; NULL: no cache */
  int threads;           /* decoder threads; 0 = automatic */
} sr_movie_options;

/* Whether this build reads movies (false when built without FFmpeg). */
bool sr_movie_supported(void);
/* Whether the file looks like a movie container (magic bytes: Matroska/WebM,
 * QuickTime/MP4, MXF, AVI, MPEG-TS). Does not open a decoder. */
bool sr_movie_sniff(const char *path);

/* Opens a movie, indexing it (or loading a valid cached index). Fails with a
 * message naming the file for a file with no video stream, a stream whose
 * frames carry no timestamps, or a codec this FFmpeg does not decode. */
sr_movie *sr_movie_open(const char *path, const sr_movie_options *opts, sr_error *err);
sr_movie *sr_movie_ref(sr_movie *m);
void sr_movie_unref(sr_movie *m);

const sr_movie_info *sr_movie_get_info(const sr_movie *m);
const char *sr_movie_path(const sr_movie *m);

/* Decodes frame (0 .. n_frames-1) into a new 3-channel float image; the
 * stream's colour tags are set as image attributes ("movie:primaries" ...).
 * SR_ERR_MISSING for a frame outside the movie. */
sr_image *sr_movie_read(sr_movie *m, int frame, sr_error *err);

/* The colour space the stream's tags name, when it is one this program
 * knows (BT.709 primaries with the BT.709/BT.1886, sRGB or linear transfer);
 * false when the tags are absent or name something else. */
bool sr_movie_colourspace_hint(const sr_movie_info *info, sr_colourspace *out);

/* A warning for the archivist about how the movie will be read (interlaced
 * material, an untagged matrix) formatted into buf, which it returns; NULL
 * when there is nothing to say. */
const char *sr_movie_warning(const sr_movie *m, char *buf, size_t len);
