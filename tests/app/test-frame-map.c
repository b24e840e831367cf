/* Tests for the project's frame map: saved and loaded (and a plain offset
 * written exactly as before), bad members named, undo, and pairs refused or
 * failed where the map gives no clean Reference frame. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sr-project-sequence.h"
#include "sr-project.h"

static char *
save_to(SrProject *p, const char *dir, const char *name)
{
  char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GFile) f = g_file_new_for_path(path);
  GError *error = NULL;
  g_assert_true(sr_project_save(p, f, &error));
  g_assert_no_error(error);
  return path;
}

static void
test_round_trip(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-fm-XXXXXX", NULL);
  g_autoptr(SrProject) p = sr_project_new();
  sr_project_set_reference_offset(p, 4);
  g_autofree char *plain = save_to(p, dir, "plain.srproj");
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(plain, &text, NULL, NULL));
  g_assert_null(strstr(text, "cadence"));
  g_assert_null(strstr(text, "breaks"));

  sr_frame_map m;
  sr_frame_map_init(&m, 2);
  m.cadence = SR_CADENCE_32;
  m.phase = 1;
  g_assert_true(sr_frame_map_add_break(&m, 13, -1, NULL));
  GError *error = NULL;
  g_assert_true(sr_project_set_frame_map(p, &m, &error));
  g_assert_cmpint(sr_project_get_reference_offset(p), ==, 2);
  g_assert_cmpint(sr_project_reference_frame(p, 13), ==, sr_frame_map_reference(&m, 13));
  g_autofree char *path = save_to(p, dir, "map.srproj");
  g_autoptr(GFile) f = g_file_new_for_path(path);
  g_autoptr(SrProject) q = sr_project_load(f, &error);
  g_assert_no_error(error);
  g_auto(sr_frame_map) back;
  sr_project_get_frame_map(q, &back);
  g_assert_true(sr_frame_map_equal(&back, &m));
  /* The offset setter keeps cadence and breaks. */
  sr_project_set_reference_offset(q, 7);
  g_auto(sr_frame_map) moved;
  sr_project_get_frame_map(q, &moved);
  g_assert_cmpint(moved.offset, ==, 7);
  g_assert_cmpint(moved.cadence, ==, SR_CADENCE_32);
  g_assert_cmpint(moved.n_breaks, ==, 1);
  /* An invalid map is refused and changes nothing. */
  m.phase = 9;
  g_assert_false(sr_project_set_frame_map(p, &m, &error));
  g_assert_nonnull(strstr(error->message, "phase"));
  g_clear_error(&error);
  sr_frame_map_clear(&m);
  g_unlink(plain);
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_bad_members(void)
{
  const struct {
    const char *reference;
    const char *field;
  } cases[] = {
      {"\"cadence\": \"3:3\"", "reference.cadence"},
      {"\"cadence\": \"3:2\"", "reference.cadence-phase"},
      {"\"cadence\": \"3:2\", \"cadence-phase\": 4", "reference.cadence-phase"},
      {"\"breaks\": 3", "reference.breaks"},
      {"\"breaks\": [{\"source-frame\": 4}]", "reference.breaks[0].shift"},
      {"\"breaks\": [{\"source-frame\": 4, \"shift\": 0}]", "reference.breaks[0].shift"},
      {"\"breaks\": [{\"source-frame\": 9, \"shift\": 1}, {\"source-frame\": 4, \"shift\": 1}]",
       "reference.breaks[1].source-frame"},
      {"\"breaks\": [{\"source-frame\": \"x\", \"shift\": 1}]", "reference.breaks[0].source-frame"},
  };
  g_autofree char *dir = g_dir_make_tmp("sr-fm-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "bad.srproj", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *json = g_strdup_printf(
        "{\"schema\": 1, \"source\": {\"pattern\": \"s.%%04d.exr\", \"colourspace\": \"srgb\"}, "
        "\"reference\": "
        "{\"pattern\": \"r.%%04d.exr\", \"colourspace\": \"srgb\", \"offset\": 1, %s}, "
        "\"pairs\": []}",
        cases[i].reference);
    g_assert_true(g_file_set_contents(path, json, -1, NULL));
    g_autoptr(GFile) f = g_file_new_for_path(path);
    GError *error = NULL;
    g_autoptr(SrProject) p = sr_project_load(f, &error);
    g_assert_null(p);
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, cases[i].field));
    g_assert_nonnull(strstr(error->message, "bad.srproj"));
    g_clear_error(&error);
  }
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_pairs_need_clean_reference(void)
{
  g_autoptr(SrProject) p = sr_project_new();
  int frames[] = {0, 1, 2, 3};
  g_assert_cmpuint(sr_project_add_pairs(p, frames, 4), ==, 4);
  sr_frame_map m;
  sr_frame_map_init(&m, 0);
  m.cadence = SR_CADENCE_32; /* film frame 2 (C) is only in mixed frames */
  g_assert_true(sr_project_set_frame_map(p, &m, NULL));
  GError *error = NULL;
  g_assert_false(sr_project_add_pair(p, 6, &error));
  g_assert_nonnull(strstr(error->message, "Source frame 6"));
  g_clear_error(&error);
  g_assert_true(sr_project_add_pair(p, 5, &error));
  /* Pairs chosen before the map are failed by the checks, by name. */
  sr_check_report report;
  sr_check_report_init(&report);
  sr_project_check(p, &report);
  gboolean found = FALSE;
  for (int i = 0; i < report.n; i++)
    if (g_str_equal(report.items[i].id, "reference-frame") &&
        g_str_equal(report.items[i].subject, "pair 2")) {
      found = TRUE;
      g_assert_cmpint(report.items[i].status, ==, SR_CHECK_FAIL);
      g_assert_nonnull(strstr(report.items[i].detail, "field-mixed"));
    }
  g_assert_true(found);
  sr_check_report_clear(&report);
  sr_frame_map_clear(&m);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/frame-map/project-round-trip", test_round_trip);
  g_test_add_func("/frame-map/project-bad-members", test_bad_members);
  g_test_add_func("/frame-map/pairs-need-clean-reference", test_pairs_need_clean_reference);
  return g_test_run();
}
