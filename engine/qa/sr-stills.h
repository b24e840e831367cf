/* sr-stills.h — validation stills: A/B wipe and side-by-side composites with
 * labels drawn in a small built-in bitmap font, for PNG export.
 *
 * Composites are built in sRGB display encoding: frames are converted from
 * their colour space with sr-colour, clamped to [0,1], then labelled. Write
 * them with sr_still_write_png (8 or 16-bit PNG with an sRGB chunk).
 */
#pragma once

#include <stdbool.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-image.h"

/* ---- Bitmap font: 5x7 glyphs in a 6x8 cell, printable ASCII ---------------- */

#define SR_FONT_CELL_W 6
#define SR_FONT_CELL_H 8

/* True when c has its own glyph (others draw as '?'). */
bool sr_font_has_glyph(char c);
/* Row bits of a glyph: 7 rows, bit 4 is the leftmost column. */
const unsigned char *sr_font_glyph(char c);
int sr_font_text_width(const char *text, int scale);
/* Draws text with its top-left at (x, y) in buffer pixels, each font pixel a
 * scale x scale block of colour rgb (first 3 channels; clipped to the image). */
void sr_font_draw(sr_image *img, int x, int y, const char *text, int scale, const float rgb[3]);
/* Text on a darkened box with a margin, for labels over pictures. */
void sr_font_draw_label(sr_image *img, int x, int y, const char *text, int scale);
/* Label scale that reads well on an image of this height (≥ 1). */
int sr_font_scale_for(int image_height);

/* ---- Composites -------------------------------------------------------------- */

typedef struct sr_still_options {
  sr_colourspace space;    /* colour space of both frames */
  int frame;               /* frame number printed in the corner; < 0: none */
  const char *left_label;  /* default "Original" */
  const char *right_label; /* default "Recovered" */
  float wipe;              /* wipe position 0..1 from the left (default 0.5) */
  int max_width;           /* downscale the composite to at most this width; 0: keep */
} sr_still_options;

void sr_still_options_init(sr_still_options *o, sr_colourspace space, int frame);

/* Left part original, right part recovered, a divider at the wipe. Both
 * frames must have the same size. */
sr_image *sr_still_wipe(const sr_image *original, const sr_image *recovered,
                        const sr_still_options *o, sr_error *err);
/* Original and recovered next to each other with a small gap. */
sr_image *sr_still_side_by_side(const sr_image *original, const sr_image *recovered,
                                const sr_still_options *o, sr_error *err);

/* Converts one frame to sRGB display encoding, 3 channels, clamped. */
sr_image *sr_still_display(const sr_image *img, sr_colourspace space, sr_error *err);
/* Area-average downscale to at most max_width (aspect kept); a copy when
 * already small enough. */
sr_image *sr_still_downscale(const sr_image *img, int max_width, sr_error *err);
/* Writes a still as PNG (bit_depth 8 or 16), atomically. */
bool sr_still_write_png(const char *path, const sr_image *still, int bit_depth, sr_error *err);
