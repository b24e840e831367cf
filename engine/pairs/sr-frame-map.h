/* sr-frame-map.h — which Reference frame shows each Source frame.
 *
 * The simplest map is an offset: Reference = Source + offset. A telecine of
 * 24 fps film at 29.97 adds a pulldown cadence, and real transfers drop or
 * repeat a frame now and then; the map holds all three:
 *
 *   offset   the Reference frame that holds Source frame 0's first field
 *   cadence  none, 3:2 (film frames A B C D as 2,3,2,3 fields) or
 *            2:3:3:2 (2,3,3,2 fields), starting at cycle position `phase`
 *            (0 = A) for Source frame 0
 *   breaks   from Source frame `source_frame` on, the Reference is `shift`
 *            frames later (a frame repeated or inserted in the Reference)
 *            or earlier (one dropped)
 *
 * In field terms (two fields per Reference frame, top first), Source frame s
 * occupies fields [A(s), A(s) + n(s)) with
 *   A(s) = 2·(offset + Σ shifts up to s) + F(s + phase) − 2·⌊F(phase)/2⌋
 * where F(k) is the first field of film frame k in the cadence and n(s) its
 * field count. Its Reference frame is the first whose two fields both lie
 * there; 3:2 leaves one film frame in four without one. A Reference frame
 * whose two fields come from different Source frames is field-mixed and
 * never makes a pair. Around a break that drops frames, Source frames whose
 * picture went with the dropped frames have no Reference frame.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "sr-error.h"

/* A Source frame with no clean Reference frame, or the reverse. */
#define SR_NO_FRAME INT_MIN

typedef enum sr_cadence {
  SR_CADENCE_NONE = 0,
  SR_CADENCE_32,   /* 2,3,2,3 fields: two field-mixed frames in five */
  SR_CADENCE_2332, /* 2,3,3,2 fields: one field-mixed frame in five */
} sr_cadence;

typedef struct sr_frame_break {
  int source_frame; /* first Source frame the new shift applies to */
  int shift;        /* Reference frames added (+) or dropped (−) here */
} sr_frame_break;

typedef struct sr_frame_map {
  int offset;
  sr_cadence cadence;
  int phase; /* 0..3; 0 without a cadence */
  int n_breaks;
  sr_frame_break *breaks; /* ascending source_frame, shift != 0; owned */
} sr_frame_map;

/* Largest |offset| and |shift| accepted (a reel at 24 fps is < 100000). */
#define SR_FRAME_MAP_MAX_OFFSET 1000000
/* Most breaks a map may hold (a damaged transfer has a few dozen). */
#define SR_FRAME_MAP_MAX_BREAKS 10000

void sr_frame_map_init(sr_frame_map *m, int offset);
void sr_frame_map_clear(sr_frame_map *m);
bool sr_frame_map_copy(sr_frame_map *dst, const sr_frame_map *src, sr_error *err);
bool sr_frame_map_equal(const sr_frame_map *a, const sr_frame_map *b);
/* Adds a break, keeping the list sorted; a second break at the same Source
 * frame adds its shift to the first (removed when they cancel). */
bool sr_frame_map_add_break(sr_frame_map *m, int source_frame, int shift, sr_error *err);
/* Checks ranges and order; the message names the field. */
bool sr_frame_map_validate(const sr_frame_map *m, sr_error *err);
/* True when the map is a plain offset. */
static inline bool
sr_frame_map_is_offset(const sr_frame_map *m)
{
  return m->cadence == SR_CADENCE_NONE && m->n_breaks == 0;
}

/* The clean Reference frame showing Source frame s, or SR_NO_FRAME. */
int sr_frame_map_reference(const sr_frame_map *m, int source_frame);
/* The Source frame a clean Reference frame shows, or SR_NO_FRAME (a
 * field-mixed frame, or one no Source frame maps to). */
int sr_frame_map_source(const sr_frame_map *m, int reference_frame);
/* A(s): the Reference field (2·frame + 0 top / 1 bottom) holding Source
 * frame s's first field. */
long long sr_frame_map_first_field(const sr_frame_map *m, int source_frame);
/* The Source frames whose pictures Reference frame r's top and bottom
 * fields show (the map's prediction; they may lie outside the Source). */
void sr_frame_map_fields(const sr_frame_map *m, int reference_frame, int *top, int *bottom);
/* Whether Reference frame r holds fields of two different Source frames. */
bool sr_frame_map_field_mixed(const sr_frame_map *m, int reference_frame);

const char *sr_cadence_name(sr_cadence c); /* "none", "3:2", "2:3:3:2" */
bool sr_cadence_from_name(const char *name, sr_cadence *out);
/* One line: "offset 3", "offset 3, 3:2 cadence phase 1, breaks -1@97". */
void sr_frame_map_describe(const sr_frame_map *m, char *buf, size_t len);
