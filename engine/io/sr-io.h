/* sr-io.h — reading and writing frames and frame sequences.
 *
 * Formats: OpenEXR (C API; half/float, RGB/RGBA/Y, scanline and tiled, every
 * compression the library reads, data/display windows), PNG 8/16-bit, TIFF
 * 8/16-bit, 10-bit RGB DPX (either byte order, the common "method A" packing).
 * The reader picks the format from the file's magic bytes, not its name.
 * Writers pick it from the extension (.exr, .png, .tif/.tiff) and write
 * atomically (see sr-fs.h).
 *
 * Every reader validates headers before allocating and never reads past a
 * buffer; errors name the file and say what is wrong with it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-fs.h"
#include "sr-image.h"

typedef enum sr_format {
  SR_FORMAT_UNKNOWN = 0,
  SR_FORMAT_EXR,
  SR_FORMAT_PNG,
  SR_FORMAT_TIFF,
  SR_FORMAT_DPX,
  SR_FORMAT_MOVIE, /* read through sr-movie.h, never by sr_image_read() */
} sr_format;

typedef enum sr_exr_compression {
  SR_EXR_ZIP = 0, /* default: lossless, good for masters */
  SR_EXR_DWAA,
  SR_EXR_PIZ,
  SR_EXR_NONE,
} sr_exr_compression;

typedef struct sr_write_options {
  sr_exr_compression compression; /* EXR only */
  float dwa_level;                /* EXR DWAA quality; 45 default */
  int bit_depth;                  /* PNG/TIFF: 8 or 16 (default 16) */
  bool write_alpha;               /* write the 4th channel when present */
  int zip_level;                  /* EXR ZIP: zlib level 1 (fast) to 9; 0 = 4 */
  /* DPX: the header's transfer characteristic and colorimetric codes
   * (SMPTE 268, SR_DPX_* below); 0, user defined, by default. */
  int dpx_transfer, dpx_colorimetric;
} sr_write_options;

/* DPX transfer characteristic / colorimetric codes (SMPTE 268 table). */
enum {
  SR_DPX_USER_DEFINED = 0,
  SR_DPX_PRINTING_DENSITY = 1,
  SR_DPX_LINEAR = 2,
  SR_DPX_LOGARITHMIC = 3,
  SR_DPX_UNSPECIFIED_VIDEO = 4,
  SR_DPX_SMPTE_274 = 5,
  SR_DPX_BT709 = 6,
  SR_DPX_ADX = 13,
};

void sr_write_options_init(sr_write_options *opts);

const char *sr_format_name(sr_format f);
/* From the extension (case-insensitive); UNKNOWN when not recognised. */
sr_format sr_format_from_path(const char *path);
/* From the first bytes of the file; UNKNOWN + err if unreadable/unknown. */
sr_format sr_format_sniff(const char *path, sr_error *err);
bool sr_exr_compression_from_name(const char *name, sr_exr_compression *out);
const char *sr_exr_compression_name(sr_exr_compression c);
/* Whether the OpenEXR library in use can write this compression. OpenEXRCore
 * before 3.2 has no DWA codec: writing DWAA then fails with
 * SR_ERR_UNSUPPORTED, and DWAA/DWAB files fail to read the same way. */
bool sr_exr_compression_available(sr_exr_compression c);

/* Basic facts about a file without decoding pixels. */
typedef struct sr_image_info {
  sr_format format;
  int width, height, channels; /* buffer (data window) size */
  sr_rect data_window, display_window;
  int bit_depth; /* 16 for half, 32 for float, 8/10/16 ints */
  /* DPX only (-1 elsewhere): element 0's transfer characteristic and
   * colorimetric codes as the file states them. */
  int transfer, colorimetric;
  /* What else the header says about colour (sr-colour-meta.c reads it):
   * primaries and white as xy (EXR chromaticities, PNG cHRM, TIFF
   * PrimaryChromaticities/WhitePoint or an embedded ICC profile's
   * colorants), the sRGB rendering intent chunk of a PNG, a PNG's gAMA
   * (file gamma, 0.45455 for 1/2.2; 0 when absent), an embedded ICC
   * profile's description ("" when none), and where the facts were read
   * ("EXR chromaticities", "PNG cHRM", "TIFF ICC profile"; "" when none). */
  bool has_chromaticities;
  float chromaticities[8]; /* red xy, green xy, blue xy, white xy */
  bool srgb_chunk;
  float gamma;
  char icc_description[64];
  char colour_field[48];
} sr_image_info;

/* The colour space a file's header points to, for preselecting it. Returns
 * true with *space set when the header names one the project knows: DPX
 * (printing density → Cineon, ADX → ADX10/ADX16 by bit depth, BT.709 →
 * Rec.709, linear with BT.709 colorimetry → linear Rec.709); EXR
 * chromaticities (AP0 → ACES2065-1, AP1 → ACEScg, Rec.709 → linear
 * Rec.709: EXR holds linear light); PNG and TIFF (an sRGB chunk or sRGB ICC
 * profile → sRGB; Rec.709 primaries with gAMA 1.0 → linear Rec.709, 1/2.4 →
 * Rec.709, else sRGB; AP0/AP1 primaries → the ACES spaces). False when the
 * header says nothing, or names primaries the project has no space for (P3,
 * Rec.2020: `why` says which). `why` gets a one-line account either way,
 * naming the header field and its values. */
bool sr_image_info_suggest_colourspace(const sr_image_info *info, sr_colourspace *space, char *why,
                                       size_t cap);
/* Whether a declared space contradicts the header: false when the header
 * names nothing. Where the header states only primaries (EXR
 * chromaticities, cHRM, TIFF tags, an ICC profile that is not sRGB), any
 * space with those primaries agrees (an EXR with Rec.709 chromaticities may
 * hold sRGB-encoded values); where it names the encoding as well (DPX
 * transfer codes, the PNG sRGB chunk, an sRGB ICC profile), only the
 * suggested space or one with the same primaries and curve family does.
 * `why` gets the account of what the file says (as above). */
bool sr_image_info_contradicts(const sr_image_info *info, sr_colourspace declared, char *why,
                               size_t cap);
/* Reads an ICC profile's description and RGB colorants (un-adapted to the
 * profile's own white through its chad tag) into info. Bounds-checked by
 * LittleCMS; a profile it cannot parse leaves info unchanged and returns
 * false. `field` names where it was found ("PNG iCCP", "TIFF ICC profile"). */
bool sr_image_info_read_icc(sr_image_info *info, const void *icc, size_t len, const char *field);

bool sr_image_read_info(const char *path, sr_image_info *info, sr_error *err);

/* Reads any supported file into float. Channels: 1 (Y), 3 (RGB), 4 (RGBA).
 * EXR string attributes and chromaticities land in the image's metadata;
 * integer formats are normalised to [0,1]. */
sr_image *sr_image_read(const char *path, sr_error *err);

/* One string attribute of a frame's header, without decoding its pixels
 * (EXR; the other formats carry none): true with *value set (caller frees)
 * when the header has it as a string, true with *value NULL when it does
 * not, false when the header cannot be read (err says why). */
bool sr_image_read_attribute(const char *path, const char *key, char **value, sr_error *err);

/* Writes img in the format its extension names. EXR: half float, with
 * img->chromaticities (when set), every img->attributes entry as a string
 * attribute, and img's data/display windows. PNG: an embedded sRGB ICC
 * profile (iCCP) for colour, the sRGB chunk for gray (PNG allows one of the
 * two). TIFF: deflate, 8 or 16-bit. DPX: 10-bit RGB. One channel is written
 * as Y (EXR) or gray; a fourth only with opts->write_alpha. Values are
 * clamped to [0,1] for integer formats. opts may be NULL (defaults). */
bool sr_image_write(const char *path, const sr_image *img, const sr_write_options *opts,
                    sr_error *err);

/* ---- Sequences ---------------------------------------------------------- */

/* A numbered frame sequence on disk. Patterns: printf style
 * ("shot.%04d.exr", "%d" too) or hashes ("shot.####.exr", one '#' per
 * digit, padded). A path with no pattern is a single file whose frame number
 * is `first` == `last` == 0 (or the number in its name if it has one and the
 * caller asked for detection with sr_sequence_from_file()). */
struct sr_movie;

/* A movie file (see sr-movie.h) opens as a sequence too: its pattern is the
 * movie's path, its frames run 0 .. n-1 with none missing, and reads decode
 * through the shared `movie`. */
typedef struct sr_sequence {
  char *pattern; /* normalised printf pattern, or the plain path */
  bool single_file;
  int first, last; /* discovered frame range */
  int n_missing;   /* frames absent inside [first, last] */
  int *missing;
  struct sr_movie *movie; /* a movie file; NULL for image files */
} sr_sequence;

/* Parses the pattern and scans its folder for the frame range; fails with a
 * message when the folder is unreadable or no frame matches. */
bool sr_sequence_open(sr_sequence *seq, const char *pattern, sr_error *err);
/* From one example file of a sequence ("shot.0101.exr" → "shot.%04d.exr"):
 * the frame number is the last run of digits in the file name. Its digit
 * count is the padding, except that a number without a leading zero
 * ("s_1000.tif") takes the narrower padding its neighbours show (s_998 →
 * "s_%03d.tif"). A name without digits opens as a single file. */
bool sr_sequence_from_file(sr_sequence *seq, const char *file, sr_error *err);
/* The same, for a movie keeping its frame index cache in index_dir (the
 * project's folder); sr_sequence_open() keeps it in the user's cache folder
 * ($XDG_CACHE_HOME/spatial-recovery/movie-index). Image patterns ignore it. */
bool sr_sequence_open_indexed(sr_sequence *seq, const char *pattern, const char *index_dir,
                              sr_error *err);
void sr_sequence_clear(sr_sequence *seq);
/* A second handle on the same sequence (a movie is shared, not reopened). */
bool sr_sequence_copy(sr_sequence *dst, const sr_sequence *src, sr_error *err);
static inline bool
sr_sequence_is_movie(const sr_sequence *seq)
{
  return seq && seq->movie;
}
/* Size and depth of a frame without decoding it where the format allows
 * (image files: the header; movies: the stream). */
bool sr_sequence_frame_info(const sr_sequence *seq, int frame, sr_image_info *info, sr_error *err);
/* Path of a frame (caller frees); the frame need not exist. For a movie,
 * the movie's path. */
char *sr_sequence_frame_path(const sr_sequence *seq, int frame);
bool sr_sequence_has_frame(const sr_sequence *seq, int frame);
/* Reads a frame; a frame outside the range or missing gives SR_ERR_MISSING
 * with "frame N of PATTERN is missing". */
sr_image *sr_sequence_read(const sr_sequence *seq, int frame, sr_error *err);
/* Formats a pattern for a frame without a sequence (caller frees); NULL when
 * the pattern is not a valid frame pattern. */
char *sr_pattern_format(const char *pattern, int frame);
/* The zero-padded digit count of a pattern's frame number ("%04d", "####":
 * 4); 0 for an unpadded "%d"; -1 for a plain path or a malformed pattern. */
int sr_pattern_digits(const char *pattern);
/* Records every frame of seq (first..last) as an input that no output may
 * replace (see sr_file_set in sr-fs.h). */
bool sr_file_set_add_sequence(sr_file_set *set, const sr_sequence *seq, sr_error *err);
/* Refuses, naming both files, when any frame first..last of the output
 * pattern is one of the inputs in set. */
bool sr_file_set_refuse_pattern(sr_file_set *set, const char *out_pattern, int first, int last,
                                sr_error *err);
/* Writes "1-10, 12, 15-20" style text for the missing list into buf. */
void sr_sequence_describe_missing(const sr_sequence *seq, char *buf, size_t len);
