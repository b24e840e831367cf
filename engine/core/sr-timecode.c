/* sr-timecode.c — SMPTE 12M timecode: packing, text and counting (see
 * sr-timecode.h). */
#include "sr-timecode.h"

#include <stdio.h>
#include <string.h>

#include "sr-i18n.h"

/* One BCD field of `bits` bits for the tens at `shift`: units in the low
 * nibble. */
static bool
bcd_field(uint32_t packed, int shift, int tens_bits, const char *name, int max, int *out,
          sr_error *err)
{
  unsigned units = (packed >> shift) & 0xf;
  unsigned tens = (packed >> (shift + 4)) & ((1u << tens_bits) - 1);
  if (units > 9 || tens > 9) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("timecode 0x%08x: the %s digits (%u, %u) are not decimal (BCD)"), packed, name,
                 tens, units);
    return false;
  }
  int v = (int)(tens * 10 + units);
  if (v > max) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("timecode 0x%08x: %s %d is out of range (0-%d)"), packed,
                 name, v, max);
    return false;
  }
  *out = v;
  return true;
}

bool
sr_timecode_unpack(uint32_t packed, bool with_flags, sr_timecode *out, sr_error *err)
{
  sr_timecode tc = {0};
  if (!bcd_field(packed, 0, 2, SR_("frames"), 59, &tc.frames, err) ||
      !bcd_field(packed, 8, 3, SR_("seconds"), 59, &tc.seconds, err) ||
      !bcd_field(packed, 16, 3, SR_("minutes"), 59, &tc.minutes, err) ||
      !bcd_field(packed, 24, 2, SR_("hours"), 23, &tc.hours, err))
    return false;
  tc.drop_frame = with_flags && (packed & (1u << 6));
  *out = tc;
  return true;
}

static uint32_t
bcd(int v)
{
  return (uint32_t)(v / 10) << 4 | (uint32_t)(v % 10);
}

uint32_t
sr_timecode_pack(const sr_timecode *tc)
{
  return bcd(tc->hours) << 24 | bcd(tc->minutes) << 16 | bcd(tc->seconds) << 8 | bcd(tc->frames) |
         (tc->drop_frame ? 1u << 6 : 0);
}

bool
sr_timecode_parse(const char *text, sr_timecode *out, sr_error *err)
{
  const char *why = NULL;
  sr_timecode tc = {0};
  if (!text || strlen(text) != 11)
    why = SR_("expected HH:MM:SS:FF");
  for (int i = 0; !why && i < 11; i++) {
    char c = text[i];
    if (i % 3 == 2) {
      if (c != ':' && !(i == 8 && (c == ';' || c == '.')))
        why = SR_("expected HH:MM:SS:FF");
    } else if (c < '0' || c > '9') {
      why = SR_("expected HH:MM:SS:FF");
    }
  }
  if (!why) {
    tc.hours = (text[0] - '0') * 10 + text[1] - '0';
    tc.minutes = (text[3] - '0') * 10 + text[4] - '0';
    tc.seconds = (text[6] - '0') * 10 + text[7] - '0';
    tc.frames = (text[9] - '0') * 10 + text[10] - '0';
    tc.drop_frame = text[8] != ':';
    if (tc.hours > 23)
      why = SR_("hours must be 0-23");
    else if (tc.minutes > 59)
      why = SR_("minutes must be 0-59");
    else if (tc.seconds > 59)
      why = SR_("seconds must be 0-59");
  }
  if (why) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("timecode \"%.40s\": %s"), text ? text : "", why);
    return false;
  }
  *out = tc;
  return true;
}

void
sr_timecode_format(const sr_timecode *tc, char out[SR_TIMECODE_TEXT_SIZE])
{
  snprintf(out, SR_TIMECODE_TEXT_SIZE, "%02u:%02u:%02u%c%02u", (unsigned)tc->hours % 100u,
           (unsigned)tc->minutes % 100u, (unsigned)tc->seconds % 100u, tc->drop_frame ? ';' : ':',
           (unsigned)tc->frames % 100u);
}

bool
sr_timecode_check_rate(const sr_timecode *tc, int fps, sr_error *err)
{
  char text[SR_TIMECODE_TEXT_SIZE];
  sr_timecode_format(tc, text);
  if (fps < 1 || fps > 120) {
    sr_error_set(err, SR_ERR_INVALID, SR_("timecode %s: frame rate %d is out of range (1-120)"),
                 text, fps);
    return false;
  }
  if (tc->drop_frame && fps != 30 && fps != 60) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("timecode %s: drop-frame timecode needs 30 or 60 frames a second, not %d"),
                 text, fps);
    return false;
  }
  if (tc->frames >= fps) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("timecode %s: frame %d does not exist at %d frames a second"), text,
                 tc->frames, fps);
    return false;
  }
  return true;
}

bool
sr_timecode_to_count(const sr_timecode *tc, int fps, long *count, long *per_day, sr_error *err)
{
  if (!sr_timecode_check_rate(tc, fps, err))
    return false;
  long drop = tc->drop_frame ? fps / 15 : 0; /* 2 at 30, 4 at 60 */
  long minutes = tc->hours * 60L + tc->minutes;
  /* Every minute not divisible by ten lacks `drop` labels. */
  *count = (minutes * 60 + tc->seconds) * fps + tc->frames - drop * (minutes - minutes / 10);
  *per_day = 24L * 3600 * fps - drop * (24 * 60 - 24 * 6);
  return true;
}

bool
sr_timecode_add(const sr_timecode *tc, int fps, long n, sr_timecode *out, sr_error *err)
{
  long count, per_day;
  if (!sr_timecode_to_count(tc, fps, &count, &per_day, err))
    return false;
  if (n < 0) {
    sr_error_set(err, SR_ERR_INVALID, SR_("timecode: cannot count back %ld frames"), -n);
    return false;
  }
  long drop = tc->drop_frame ? fps / 15 : 0;
  count = (count + n % per_day) % per_day;
  if (drop) {
    long per_10min = 600L * fps - 9 * drop, per_min = 60L * fps - drop;
    long tens = count / per_10min, rest = count % per_10min;
    count += 9 * drop * tens + (rest > drop ? drop * ((rest - drop) / per_min) : 0);
  }
  sr_timecode r = {0};
  r.drop_frame = tc->drop_frame;
  r.frames = (int)(count % fps);
  r.seconds = (int)(count / fps % 60);
  r.minutes = (int)(count / fps / 60 % 60);
  r.hours = (int)(count / fps / 3600 % 24);
  *out = r;
  return true;
}
