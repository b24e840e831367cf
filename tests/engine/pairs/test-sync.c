/* Tests for the frame map (engine/pairs/sr-frame-map) and its estimation
 * (sr-sync): cadence arithmetic worked out by hand, breaks, validation, and
 * sync recovering exactly the map of simulated transfers — an offset, a
 * dropped frame, 3:2 and 2:3:3:2 pulldown with field-mixed frames. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sr-frame-map.h"
#include "sr-io.h"
#include "sr-simulator.h"
#include "sr-sync.h"
#include "sr-telecine.h"

static sr_frame_map
map_of(int offset, sr_cadence c, int phase)
{
  sr_frame_map m;
  sr_frame_map_init(&m, offset);
  m.cadence = c;
  m.phase = phase;
  return m;
}

/* 3:2 from A: video frames AA BB BC CD DD. */
static void
test_map_32(void)
{
  sr_frame_map m = map_of(0, SR_CADENCE_32, 0);
  int want[] = {0, 1, SR_NO_FRAME, 4, 5, 6, SR_NO_FRAME, 9};
  for (int s = 0; s < 8; s++)
    g_assert_cmpint(sr_frame_map_reference(&m, s), ==, want[s]);
  bool mixed[] = {false, false, true, true, false, false, false, true, true, false};
  for (int r = 0; r < 10; r++)
    g_assert_cmpint(sr_frame_map_field_mixed(&m, r), ==, mixed[r]);
  g_assert_cmpint(sr_frame_map_source(&m, 4), ==, 3);
  g_assert_cmpint(sr_frame_map_source(&m, 2), ==, SR_NO_FRAME);
  /* Phase 2 starts at C: C's fields are 1,2 (frame 0 bottom, frame 1 top). */
  m = map_of(10, SR_CADENCE_32, 2);
  g_assert_cmpint(sr_frame_map_reference(&m, 0), ==, SR_NO_FRAME);
  g_assert_cmpint(sr_frame_map_reference(&m, 1), ==, 12); /* D: fields 3,4,5 */
  g_assert_cmpint(sr_frame_map_reference(&m, 2), ==, 13);
  g_assert_true(sr_frame_map_field_mixed(&m, 10));
  g_assert_true(sr_frame_map_field_mixed(&m, 11));
  g_assert_false(sr_frame_map_field_mixed(&m, 12));
  /* Negative frames follow the same cycle. */
  g_assert_cmpint(sr_frame_map_reference(&m, -3), ==, 12 - 5);
}

/* 2:3:3:2 from A: AA BB BC CC DD — every film frame has a clean frame. */
static void
test_map_2332(void)
{
  sr_frame_map m = map_of(3, SR_CADENCE_2332, 0);
  int want[] = {3, 4, 6, 7, 8, 9, 11, 12};
  for (int s = 0; s < 8; s++) {
    g_assert_cmpint(sr_frame_map_reference(&m, s), ==, want[s]);
    g_assert_cmpint(sr_frame_map_source(&m, want[s]), ==, s);
  }
  int n_mixed = 0;
  for (int r = 3; r < 13; r++)
    n_mixed += sr_frame_map_field_mixed(&m, r);
  g_assert_cmpint(n_mixed, ==, 2);
  g_assert_true(sr_frame_map_field_mixed(&m, 5));
}

static void
test_map_breaks(void)
{
  /* Progressive, the Reference lost the frame of Source 5. */
  sr_frame_map m = map_of(2, SR_CADENCE_NONE, 0);
  g_assert_true(sr_frame_map_add_break(&m, 6, -1, NULL));
  g_assert_cmpint(sr_frame_map_reference(&m, 4), ==, 6);
  g_assert_cmpint(sr_frame_map_reference(&m, 5), ==, SR_NO_FRAME);
  g_assert_cmpint(sr_frame_map_reference(&m, 6), ==, 7);
  g_assert_cmpint(sr_frame_map_source(&m, 7), ==, 6);
  /* A repeated frame: Source 9 on is one later. */
  g_assert_true(sr_frame_map_add_break(&m, 9, +1, NULL));
  g_assert_cmpint(sr_frame_map_reference(&m, 8), ==, 9);
  g_assert_cmpint(sr_frame_map_reference(&m, 9), ==, 11);
  g_assert_cmpint(sr_frame_map_source(&m, 10), ==, SR_NO_FRAME);
  /* Breaks stay sorted; equal frames merge and cancel. */
  g_assert_true(sr_frame_map_add_break(&m, 7, +2, NULL));
  g_assert_cmpint(m.breaks[1].source_frame, ==, 7);
  g_assert_true(sr_frame_map_add_break(&m, 7, -2, NULL));
  g_assert_cmpint(m.n_breaks, ==, 2);
  char buf[128];
  sr_frame_map_describe(&m, buf, sizeof buf);
  g_assert_cmpstr(buf, ==, "offset 2, breaks -1@6 +1@9");
  sr_frame_map c;
  g_assert_true(sr_frame_map_copy(&c, &m, NULL));
  g_assert_true(sr_frame_map_equal(&c, &m));
  c.breaks[0].shift = -2;
  g_assert_false(sr_frame_map_equal(&c, &m));
  sr_frame_map_clear(&c);
  /* 3:2 with video frame 2 (BC) lost: D is one frame earlier. */
  sr_frame_map t = map_of(0, SR_CADENCE_32, 0);
  g_assert_true(sr_frame_map_add_break(&t, 3, -1, NULL));
  g_assert_cmpint(sr_frame_map_reference(&t, 1), ==, 1);
  g_assert_cmpint(sr_frame_map_reference(&t, 3), ==, 3);
  g_assert_true(sr_frame_map_field_mixed(&t, 2));
  g_assert_false(sr_frame_map_field_mixed(&t, 3));
  /* 3:2 with video frame 1 (BB) lost: B's last field sits in a mixed frame. */
  sr_frame_map u = map_of(0, SR_CADENCE_32, 0);
  g_assert_true(sr_frame_map_add_break(&u, 2, -1, NULL));
  g_assert_cmpint(sr_frame_map_reference(&u, 1), ==, SR_NO_FRAME);
  g_assert_true(sr_frame_map_field_mixed(&u, 1));
  sr_frame_map_clear(&m);
  sr_frame_map_clear(&t);
  sr_frame_map_clear(&u);
}

static void
test_map_validate(void)
{
  sr_error err = {0};
  sr_frame_map m = map_of(0, SR_CADENCE_NONE, 2);
  g_assert_false(sr_frame_map_validate(&m, &err));
  g_assert_nonnull(strstr(err.message, "phase"));
  m = map_of(SR_FRAME_MAP_MAX_OFFSET + 1, SR_CADENCE_NONE, 0);
  g_assert_false(sr_frame_map_validate(&m, &err));
  sr_frame_break bad[] = {{10, -1}, {4, 1}};
  m = map_of(0, SR_CADENCE_32, 1);
  m.breaks = bad;
  m.n_breaks = 2;
  g_assert_false(sr_frame_map_validate(&m, &err));
  g_assert_nonnull(strstr(err.message, "break 2"));
  bad[1].source_frame = 12;
  g_assert_true(sr_frame_map_validate(&m, &err));
  sr_cadence c;
  g_assert_true(sr_cadence_from_name("2:3:3:2", &c));
  g_assert_cmpint(c, ==, SR_CADENCE_2332);
  g_assert_false(sr_cadence_from_name("3:3", &c));
}

/* ---- sync on simulated transfers ------------------------------------------ */

#define SRC_FRAMES 24

typedef struct {
  const char *name;
  sr_telecine_options t;
  int ref_frames;
} SyncCase;

static void
rm_rf(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *child = g_build_filename(path, name, NULL);
      g_unlink(child);
      g_free(child);
    }
    g_dir_close(d);
  }
  g_rmdir(path);
}

static void
write_png(const char *dir, const char *stem, int frame, const sr_image *img)
{
  sr_write_options o;
  sr_write_options_init(&o);
  char *path = g_strdup_printf("%s/%s.%04d.png", dir, stem, frame);
  sr_error err = {0};
  if (!sr_image_write(path, img, &o, &err))
    g_error("%s", err.message);
  g_free(path);
}

static void
test_sync_case(gconstpointer data)
{
  const SyncCase *c = data;
  char *dir = g_dir_make_tmp("sr-sync-XXXXXX", NULL);
  sr_simulator_options sim;
  sr_simulator_options_init(&sim);
  sim.width = 128;
  sim.height = 96;
  sim.grain = false;
  sim.output_space = SR_CS_REC709;
  sr_error err = {0};
  for (int s = 0; s < SRC_FRAMES; s++) {
    sr_image *src = NULL, *ref = NULL;
    g_assert_true(sr_telecine_film_frame(&sim, &c->t, s, &src, &ref, &err));
    write_png(dir, "src", s, src);
    sr_image_free(src);
    sr_image_free(ref);
  }
  for (int r = 0; r < c->ref_frames; r++) {
    sr_image *img = sr_telecine_render_frame(&sim, &c->t, r, &err);
    g_assert_nonnull(img);
    write_png(dir, "ref", r, img);
    sr_image_free(img);
  }
  sr_frame_map truth;
  g_assert_true(sr_telecine_truth(&c->t, &truth, &err));
  char *sp = g_strdup_printf("%s/src.%%04d.png", dir),
       *rp = g_strdup_printf("%s/ref.%%04d.png", dir);
  sr_sequence src, ref;
  g_assert_true(sr_sequence_open(&src, sp, &err));
  g_assert_true(sr_sequence_open(&ref, rp, &err));
  sr_sync_result res;
  if (!sr_sync_estimate(&src, &ref, NULL, &res, &err))
    g_error("%s: %s", c->name, err.message);
  char got[256], want[256];
  sr_frame_map_describe(&res.map, got, sizeof got);
  sr_frame_map_describe(&truth, want, sizeof want);
  g_test_message("%s: found %s (cadence fits %.2f), simulated %s", c->name, got, res.cadence_score,
                 want);
  g_assert_cmpstr(got, ==, want);
  g_assert_true(sr_frame_map_equal(&res.map, &truth));
  g_assert_cmpint(res.n_segments, ==, truth.n_breaks + 1);
  for (int i = 0; i < res.n_segments; i++) {
    g_test_message("  segment %d-%d: %d/%d fields agree, correlation %.3f",
                   res.segments[i].first_source, res.segments[i].last_source,
                   res.segments[i].agreeing, res.segments[i].fields,
                   res.segments[i].mean_correlation);
    g_assert_cmpfloat(res.segments[i].confidence, >=, 0.9);
  }
  /* The field-mixed frames are exactly those the simulation wove. */
  int n_mixed = 0;
  for (int r = 0; r < c->ref_frames; r++) {
    int top, bottom;
    sr_frame_map_fields(&truth, r, &top, &bottom);
    bool inside = top >= 0 && bottom >= 0 && top < SRC_FRAMES && bottom < SRC_FRAMES;
    if (inside && top != bottom) {
      g_assert_cmpint(n_mixed, <, res.n_mixed);
      g_assert_cmpint(res.mixed[n_mixed], ==, r);
      n_mixed++;
    }
  }
  g_assert_cmpint(n_mixed, ==, res.n_mixed);
  sr_sync_result_clear(&res);
  sr_frame_map_clear(&truth);
  sr_sequence_clear(&src);
  sr_sequence_clear(&ref);
  rm_rf(dir);
  g_free(dir);
  g_free(sp);
  g_free(rp);
}

static const SyncCase cases[] = {
    {"offset", {.offset = 3, .drop = -1, .motion = 8}, 26},
    {"negative-offset-drop", {.offset = -2, .drop = 9, .motion = 8}, 20},
    {"pulldown-32-drop",
     {.offset = 2, .cadence = SR_CADENCE_32, .phase = 1, .drop = 17, .motion = 8},
     30},
    {"pulldown-2332",
     {.offset = 1, .cadence = SR_CADENCE_2332, .phase = 3, .drop = -1, .motion = 8},
     30},
};

static void
test_sync_unrelated(void)
{
  /* A Reference of flat frames matches nothing: a clear message. */
  char *dir = g_dir_make_tmp("sr-sync-XXXXXX", NULL);
  sr_image *flat = sr_image_new(64, 48, 3, NULL);
  for (int i = 0; i < 6; i++) {
    write_png(dir, "src", i, flat);
    write_png(dir, "ref", i, flat);
  }
  char *sp = g_strdup_printf("%s/src.%%04d.png", dir),
       *rp = g_strdup_printf("%s/ref.%%04d.png", dir);
  sr_sequence src, ref;
  sr_error err = {0};
  g_assert_true(sr_sequence_open(&src, sp, &err));
  g_assert_true(sr_sequence_open(&ref, rp, &err));
  sr_sync_result res;
  g_assert_false(sr_sync_estimate(&src, &ref, NULL, &res, &err));
  g_assert_nonnull(strstr(err.message, "no Reference frame matches"));
  sr_sequence_clear(&src);
  sr_sequence_clear(&ref);
  sr_image_free(flat);
  rm_rf(dir);
  g_free(dir);
  g_free(sp);
  g_free(rp);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/frame-map/3-2", test_map_32);
  g_test_add_func("/frame-map/2-3-3-2", test_map_2332);
  g_test_add_func("/frame-map/breaks", test_map_breaks);
  g_test_add_func("/frame-map/validate", test_map_validate);
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *path = g_strdup_printf("/sync/%s", cases[i].name);
    g_test_add_data_func(path, &cases[i], test_sync_case);
    g_free(path);
  }
  g_test_add_func("/sync/unrelated", test_sync_unrelated);
  return g_test_run();
}
