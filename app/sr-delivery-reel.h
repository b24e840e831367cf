/* sr-delivery-reel.h — reel and shot context for a delivery: the Source's
 * timecode, frame rate and reel name (sr-reel.h), and the timecode each
 * delivered frame gets, counted from the Source's first delivered frame at
 * the film's rate. Where the Source records no timecode, none is derived,
 * and the note says so. */
#pragma once

#include "sr-project.h"
#include "sr-timecode.h"

G_BEGIN_DECLS

typedef struct {
  gboolean has_timecode;
  sr_timecode first; /* at the first delivered frame */
  int first_frame;
  int fps;             /* frames a second the timecode counts */
  gboolean fps_stated; /* the Source states the rate (else the project's, in whole frames) */
  char reel[80];       /* "" when the Source names none */
  char *note;          /* one sentence: what was found, or why nothing was */
} SrReelFacts;

/* Reads the header of Source frame `first`. Never fails: a Source without
 * timecode, or with a malformed one, leaves has_timecode FALSE and `note`
 * saying which and why. */
void sr_reel_facts_lookup(SrProject *project, int first, SrReelFacts *out);
void sr_reel_facts_clear(SrReelFacts *r);
/* The timecode of a frame (first_frame or later) as "HH:MM:SS:FF"; FALSE
 * without a timecode. */
gboolean sr_reel_facts_timecode(const SrReelFacts *r, int frame, char out[SR_TIMECODE_TEXT_SIZE]);

G_END_DECLS
