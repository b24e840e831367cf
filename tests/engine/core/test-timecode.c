/* SMPTE timecode: packing as EXR and DPX store it, text, counting at film
 * and drop-frame rates, and every malformed value refused with a message. */
#include <glib.h>
#include <string.h>

#include "sr-timecode.h"

static void
test_pack_roundtrip(void)
{
  sr_timecode tc = {1, 2, 3, 4, false};
  uint32_t packed = sr_timecode_pack(&tc);
  g_assert_cmphex(packed, ==, 0x01020304u);
  sr_timecode back;
  sr_error err = {0};
  g_assert_true(sr_timecode_unpack(packed, true, &back, &err));
  g_assert_cmpint(back.hours, ==, 1);
  g_assert_cmpint(back.frames, ==, 4);
  g_assert_false(back.drop_frame);
  tc.drop_frame = true;
  g_assert_true(sr_timecode_unpack(sr_timecode_pack(&tc), true, &back, &err));
  g_assert_true(back.drop_frame);
  /* DPX ignores the flag bits. */
  g_assert_true(sr_timecode_unpack(sr_timecode_pack(&tc), false, &back, &err));
  g_assert_false(back.drop_frame);
}

static void
test_bad_packed(void)
{
  sr_timecode tc;
  sr_error err = {0};
  g_assert_false(sr_timecode_unpack(0x25000000u, true, &tc, &err));
  g_assert_nonnull(strstr(err.message, "hours 25"));
  g_assert_false(sr_timecode_unpack(0x000a0000u, true, &tc, &err));
  g_assert_nonnull(strstr(err.message, "minutes"));
  g_assert_nonnull(strstr(err.message, "not decimal"));
  g_assert_false(sr_timecode_unpack(0x00006000u, true, &tc, &err));
  g_assert_nonnull(strstr(err.message, "seconds 60"));
}

static void
test_text(void)
{
  sr_timecode tc;
  sr_error err = {0};
  g_assert_true(sr_timecode_parse("10:59:59:23", &tc, &err));
  char text[SR_TIMECODE_TEXT_SIZE];
  sr_timecode_format(&tc, text);
  g_assert_cmpstr(text, ==, "10:59:59:23");
  g_assert_true(sr_timecode_parse("01:00:00;02", &tc, &err));
  g_assert_true(tc.drop_frame);
  const char *bad[] = {"",
                       "1:00:00:00",
                       "01:00:00:00:00",
                       "24:00:00:00",
                       "01:60:00:00",
                       "01:00:60:00",
                       "0a:00:00:00",
                       "01-00-00-00"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(sr_timecode_parse(bad[i], &tc, &err));
    g_assert_nonnull(strstr(err.message, "timecode \""));
  }
  g_assert_false(sr_timecode_parse(NULL, &tc, &err));
}

static char *
plus(const char *start, int fps, long n)
{
  sr_timecode tc, out;
  sr_error err = {0};
  g_assert_true(sr_timecode_parse(start, &tc, &err));
  if (!sr_timecode_add(&tc, fps, n, &out, &err))
    return g_strdup(err.message);
  char text[SR_TIMECODE_TEXT_SIZE];
  sr_timecode_format(&out, text);
  return g_strdup(text);
}

static void
test_counting(void)
{
  g_autofree char *a = plus("01:00:00:00", 24, 1);
  g_assert_cmpstr(a, ==, "01:00:00:01");
  g_autofree char *b = plus("00:59:59:23", 24, 1);
  g_assert_cmpstr(b, ==, "01:00:00:00");
  g_autofree char *c = plus("23:59:59:24", 25, 1);
  g_assert_cmpstr(c, ==, "00:00:00:00");
  g_autofree char *d = plus("01:00:00:00", 24, 24 * 3600);
  g_assert_cmpstr(d, ==, "02:00:00:00");
  /* Drop frame at 29.97: 00:00:59;29 + 1 skips ;00 and ;01, but not at
   * minute 10. */
  g_autofree char *e = plus("00:00:59;29", 30, 1);
  g_assert_cmpstr(e, ==, "00:01:00;02");
  g_autofree char *f = plus("00:09:59;29", 30, 1);
  g_assert_cmpstr(f, ==, "00:10:00;00");
  /* An hour of 29.97 drop-frame timecode is 107892 frames. */
  g_autofree char *g = plus("00:00:00;00", 30, 107892);
  g_assert_cmpstr(g, ==, "01:00:00;00");
  /* Frames the rate does not have, and drop frame at 24, are refused. */
  g_autofree char *h = plus("01:00:00:24", 24, 1);
  g_assert_nonnull(strstr(h, "does not exist at 24"));
  g_autofree char *i = plus("01:00:00;00", 24, 1);
  g_assert_nonnull(strstr(i, "drop-frame"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/timecode/pack", test_pack_roundtrip);
  g_test_add_func("/timecode/bad-input/packed", test_bad_packed);
  g_test_add_func("/timecode/text", test_text);
  g_test_add_func("/timecode/counting", test_counting);
  return g_test_run();
}
