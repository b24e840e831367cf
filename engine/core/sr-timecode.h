/* sr-timecode.h — SMPTE 12M timecode: the packed BCD word that EXR's
 * timeCode attribute and DPX's television header store, the
 * "HH:MM:SS:FF" text form (";" before the frames for drop frame), and
 * counting frames forward at a film's rate.
 *
 * Packed layout (OpenEXR ImfTimeCode, DPX time code): frame units bits 0–3,
 * frame tens 4–5, drop frame 6, colour frame 7, second units 8–11, second
 * tens 12–14, flag 15, minute units 16–19, minute tens 20–22, flag 23, hour
 * units 24–27, hour tens 28–29, flags 30–31. Values come from files written
 * elsewhere: every reader checks each digit and field and says which is
 * wrong. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sr-error.h"

typedef struct sr_timecode {
  int hours, minutes, seconds, frames;
  bool drop_frame;
} sr_timecode;

#define SR_TIMECODE_TEXT_SIZE 12 /* "HH:MM:SS:FF" + NUL */
/* DPX writes all ones where no time code was recorded. */
#define SR_TIMECODE_UNSET 0xffffffffu

/* Unpacks a packed word; fails naming the field when a digit is not BCD or
 * a field is out of range (hours 0–23, minutes and seconds 0–59, frames
 * 0–59). with_flags: bit 6 is the drop-frame flag (EXR); DPX leaves the
 * flag bits to the writer, so they are ignored there. */
bool sr_timecode_unpack(uint32_t packed, bool with_flags, sr_timecode *out, sr_error *err);
uint32_t sr_timecode_pack(const sr_timecode *tc);
/* "HH:MM:SS:FF" or "HH:MM:SS;FF" (drop frame); fails with a message that
 * quotes the text and says what is wrong. */
bool sr_timecode_parse(const char *text, sr_timecode *out, sr_error *err);
void sr_timecode_format(const sr_timecode *tc, char out[SR_TIMECODE_TEXT_SIZE]);
/* Checks frames against the rate (fps 1–120; drop frame only at 30 and 60). */
bool sr_timecode_check_rate(const sr_timecode *tc, int fps, sr_error *err);
/* Frames since 00:00:00:00 at fps (drop-frame labels skipped), and the
 * frames in a day; fails as sr_timecode_check_rate does. */
bool sr_timecode_to_count(const sr_timecode *tc, int fps, long *count, long *per_day,
                          sr_error *err);
/* tc plus n frames (n ≥ 0) at fps, wrapping at 24 hours; drop-frame
 * timecode skips frames 0 and 1 (0–3 at 60) of each minute not divisible
 * by ten, as SMPTE 12M counts 29.97 and 59.94 frames a second. */
bool sr_timecode_add(const sr_timecode *tc, int fps, long n, sr_timecode *out, sr_error *err);
