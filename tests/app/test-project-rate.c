/* The project's frame rate: the file's "frame_rate" and "frame_rate_from"
 * round trip, bad values are refused naming the key, old files read as 24,
 * the rate is preset from a Source's EXR framesPerSecond, edits undo, and
 * delivery timecode counts at it when the Source states timecode only. */
#include "sr-config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sr-delivery-reel.h"
#include "sr-history.h"
#include "sr-io.h"
#include "sr-project.h"

#define OLD_PROJECT                                                                           \
  "{\"schema\": 1, \"source\": {\"pattern\": \"s.%%04d.exr\", \"colourspace\": \"rec709\"}, " \
  "\"reference\": {\"pattern\": \"r.%%04d.exr\", \"colourspace\": \"rec709\"}, \"pairs\": []%s}"

static SrProject *
load_with(const char *extra, GError **error)
{
  g_autofree char *json = g_strdup_printf(OLD_PROJECT, extra);
  return sr_project_load_from_data(json, strlen(json), "rate.srproj", error);
}

static void
test_round_trip(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SrProject) p = sr_project_new();
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 24.0);
  g_assert_cmpint(sr_project_get_frame_rate_from(p), ==, SR_RATE_FROM_DEFAULT);
  /* 24000/1001 is kept as everyone writes it. */
  g_assert_true(sr_project_set_frame_rate(p, 24000.0 / 1001.0, SR_RATE_FROM_USER, &error));
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 23.976);
  g_assert_cmpint(sr_project_timecode_fps(p), ==, 24);
  gsize len = 0;
  g_autofree char *data = sr_project_to_data(p, &len);
  g_autoptr(SrProject) back = sr_project_load_from_data(data, len, "round trip", &error);
  g_assert_no_error(error);
  g_assert_cmpfloat(sr_project_get_frame_rate(back), ==, 23.976);
  g_assert_cmpint(sr_project_get_frame_rate_from(back), ==, SR_RATE_FROM_USER);
  double fps = 0;
  g_object_get(back, "frame-rate", &fps, NULL);
  g_assert_cmpfloat(fps, ==, 23.976);
  g_autofree char *text = sr_frame_rate_to_string(29.97);
  g_assert_cmpstr(text, ==, "29.97");
  g_autofree char *whole = sr_frame_rate_to_string(25);
  g_assert_cmpstr(whole, ==, "25");
}

/* A file from before the key reads as 24, from the default. */
static void
test_old_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SrProject) p = load_with("", &error);
  g_assert_no_error(error);
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 24.0);
  g_assert_cmpint(sr_project_get_frame_rate_from(p), ==, SR_RATE_FROM_DEFAULT);
  g_autoptr(SrProject) ntsc =
      load_with(", \"frame_rate\": 29.97, \"frame_rate_from\": \"dpx\"", &error);
  g_assert_no_error(error);
  g_assert_cmpfloat(sr_project_get_frame_rate(ntsc), ==, 29.97);
  g_assert_cmpint(sr_project_get_frame_rate_from(ntsc), ==, SR_RATE_FROM_DPX);
}

static void
test_bad_values(void)
{
  const struct {
    const char *extra, *names;
  } bad[] = {
      {", \"frame_rate\": 0", "rate.srproj: frame_rate: 0 is not a frame rate"},
      {", \"frame_rate\": -24", "frame_rate: -24 is not a frame rate"},
      {", \"frame_rate\": 121", "frame_rate: 121 is not a frame rate"},
      {", \"frame_rate\": 1e300", "frame_rate: 1e+300 is not a frame rate"},
      {", \"frame_rate\": \"24\"", "frame_rate: expected a number"},
      {", \"frame_rate\": null", "frame_rate: expected a number"},
      {", \"frame_rate\": 24, \"frame_rate_from\": \"guess\"", "frame_rate_from: unknown origin"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(SrProject) p = load_with(bad[i].extra, &error);
    g_assert_null(p);
    g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
    if (!strstr(error->message, bad[i].names))
      g_error("%s: \"%s\" does not say \"%s\"", bad[i].extra, error->message, bad[i].names);
  }
  /* The setter refuses the same, and leaves the rate alone. */
  g_autoptr(SrProject) p = sr_project_new();
  g_autoptr(GError) error = NULL;
  g_assert_false(sr_project_set_frame_rate(p, 0.5, SR_RATE_FROM_USER, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 24.0);
}

static void
write_frames(const char *pattern, const char *timecode, const char *fps)
{
  sr_write_options wo;
  sr_write_options_init(&wo);
  for (int f = 1; f <= 2; f++) {
    sr_error err = {0};
    sr_image *img = sr_image_new(8, 8, 3, &err);
    g_assert_nonnull(img);
    memset(sr_image_row(img, 0), 0, sizeof(float) * 8 * 8 * 3);
    if (timecode)
      sr_image_set_attribute(img, "timeCode", timecode, NULL);
    if (fps)
      sr_image_set_attribute(img, "framesPerSecond", fps, NULL);
    g_autofree char *path = sr_pattern_format(pattern, f);
    if (!sr_image_write(path, img, &wo, &err))
      g_error("%s", err.message);
    sr_image_free(img);
  }
}

/* Choosing a Source presets the rate its EXR framesPerSecond states; one
 * without presets 24. The preset is an edit like any other: undo puts the
 * previous rate back. */
static void
test_preset_from_exr(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("sr-rate-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *stated = g_build_filename(dir, "ntsc.%04d.exr", NULL);
  g_autofree char *silent = g_build_filename(dir, "plain.%04d.exr", NULL);
  write_frames(stated, NULL, "24000/1001");
  write_frames(silent, NULL, NULL);

  g_autoptr(SrProject) p = sr_project_new();
  g_autoptr(SrHistory) history = sr_history_new(p);
  sr_project_set_source_pattern(p, stated);
  g_assert_true(sr_project_preset_frame_rate(p, &error));
  g_assert_no_error(error);
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 23.976);
  g_assert_cmpint(sr_project_get_frame_rate_from(p), ==, SR_RATE_FROM_EXR);
  g_assert_nonnull(strstr(sr_frame_rate_describe_from(SR_RATE_FROM_EXR), "framesPerSecond"));
  g_assert_true(sr_history_undo(history, &error));
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 24.0);
  g_assert_true(sr_history_redo(history, &error));
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 23.976);

  sr_project_set_source_pattern(p, silent);
  g_assert_true(sr_project_preset_frame_rate(p, &error));
  g_assert_cmpfloat(sr_project_get_frame_rate(p), ==, 24.0);
  g_assert_cmpint(sr_project_get_frame_rate_from(p), ==, SR_RATE_FROM_DEFAULT);

  /* A Source that is not there: the message names it, the rate stays. */
  g_autofree char *gone = g_build_filename(dir, "gone.%04d.exr", NULL);
  sr_project_set_source_pattern(p, gone);
  g_assert_false(sr_project_preset_frame_rate(p, &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "gone."));
  g_clear_error(&error);

  /* Timecode but no rate: delivery counts at the project's rate. */
  g_autofree char *tc_only = g_build_filename(dir, "tc.%04d.exr", NULL);
  write_frames(tc_only, "01:00:00:24", NULL);
  sr_project_set_source_pattern(p, tc_only);
  g_assert_true(sr_project_set_frame_rate(p, 25, SR_RATE_FROM_USER, &error));
  SrReelFacts reel;
  sr_reel_facts_lookup(p, 1, &reel);
  g_assert_true(reel.has_timecode);
  g_assert_false(reel.fps_stated);
  g_assert_cmpint(reel.fps, ==, 25);
  char tc[SR_TIMECODE_TEXT_SIZE];
  g_assert_true(sr_reel_facts_timecode(&reel, 2, tc));
  g_assert_cmpstr(tc, ==, "01:00:01:00"); /* frame 24 of 25 + 1 */
  g_assert_nonnull(strstr(reel.note, "project's 25"));
  sr_reel_facts_clear(&reel);

  for (int f = 1; f <= 2; f++) {
    const char *patterns[] = {stated, silent, tc_only};
    for (gsize i = 0; i < G_N_ELEMENTS(patterns); i++) {
      g_autofree char *path = sr_pattern_format(patterns[i], f);
      g_remove(path);
    }
  }
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/project/rate/round-trip", test_round_trip);
  g_test_add_func("/project/rate/old-file", test_old_file);
  g_test_add_func("/project/rate/bad-values", test_bad_values);
  g_test_add_func("/project/rate/preset-from-exr", test_preset_from_exr);
  return g_test_run();
}
