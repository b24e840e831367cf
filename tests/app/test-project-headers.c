/* test-project-headers.c — the project checks that read the sequences'
 * first headers: a declared colour space contradicting the files, a
 * Reference of another frame size, a range that meets no Source frame; and
 * `spatial-recovery-cli check` reporting them. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sr-colour-detect.h"
#include "sr-io.h"
#include "sr-project.h"
#include "sr-test-util.h"

static void
write_frames(const char *dir, const char *prefix, int first, int last, int w, int h,
             sr_colourspace cs)
{
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  sr_image *img = sr_image_new(w, h, 3, NULL);
  for (size_t i = 0; i < (size_t)w * h * 3; i++)
    img->pixels[i] = 0.18f;
  img->has_chromaticities = true;
  sr_colourspace_chromaticities(cs, img->chromaticities);
  for (int f = first; f <= last; f++) {
    g_autofree char *path = g_strdup_printf("%s/%s.%04d.exr", dir, prefix, f);
    sr_error err = {0};
    g_assert_true(sr_image_write(path, img, NULL, &err));
  }
  sr_image_free(img);
}

static const sr_check *
find_check(const sr_check_report *r, const char *id)
{
  for (int i = 0; i < r->n; i++)
    if (g_str_equal(r->items[i].id, id))
      return &r->items[i];
  return NULL;
}

typedef struct {
  char *dir, *file;
  SrProject *p;
} Fixture;

/* AP0 Source frames 1-5 at 64×48; the Reference as asked; saved. */
static void
fixture_init(Fixture *fx, int ref_w, int ref_h, int ref_first)
{
  fx->dir = g_dir_make_tmp("sr-headers-XXXXXX", NULL);
  g_autofree char *src = g_build_filename(fx->dir, "src", NULL);
  g_autofree char *ref = g_build_filename(fx->dir, "ref", NULL);
  write_frames(src, "a", 1, 5, 64, 48, SR_CS_ACES2065_1);
  write_frames(ref, "b", ref_first, ref_first + 4, ref_w, ref_h, SR_CS_ACES2065_1);
  fx->p = sr_project_new();
  sr_project_set_source_pattern(fx->p, "src/a.%04d.exr");
  sr_project_set_reference_pattern(fx->p, "ref/b.%04d.exr");
  sr_project_set_source_colourspace(fx->p, SR_CS_ACES2065_1);
  sr_project_set_reference_colourspace(fx->p, SR_CS_ACES2065_1);
  fx->file = g_build_filename(fx->dir, "p.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(fx->file);
  g_assert_true(sr_project_save(fx->p, file, NULL));
}

static void
fixture_clear(Fixture *fx)
{
  g_object_unref(fx->p);
  sr_test_remove_tree(fx->dir);
  g_free(fx->dir);
  g_free(fx->file);
}

static void
check(SrProject *p, sr_check_report *report)
{
  sr_check_report_init(report);
  sr_project_check(p, report);
  for (int i = 0; i < report->n; i++)
    g_test_message("%s %s %s", sr_check_status_name(report->items[i].status), report->items[i].id,
                   report->items[i].detail);
}

static void
test_colour_contradiction(void)
{
  Fixture fx;
  fixture_init(&fx, 64, 48, 1);
  sr_check_report report;

  /* Declared as the files say: a PASS naming the field. */
  check(fx.p, &report);
  const sr_check *c = find_check(&report, "source-colour");
  g_assert_nonnull(c);
  g_assert_cmpint(c->status, ==, SR_CHECK_PASS);
  g_assert_nonnull(strstr(c->detail, "EXR chromaticities"));
  sr_check_report_clear(&report);

  /* Rec.709 declared over AP0 frames: a warning naming both. */
  sr_project_set_source_colourspace(fx.p, SR_CS_REC709);
  check(fx.p, &report);
  c = find_check(&report, "source-colour");
  g_assert_nonnull(c);
  g_assert_cmpint(c->status, ==, SR_CHECK_WARN);
  g_assert_nonnull(strstr(c->detail, "ACES2065-1"));
  g_assert_nonnull(strstr(c->detail, "Rec.709"));
  g_assert_nonnull(strstr(c->detail, "EXR chromaticities"));
  g_assert_cmpint(find_check(&report, "reference-colour")->status, ==, SR_CHECK_PASS);
  sr_check_report_clear(&report);

  /* The detection the Project stage shows, and its wording. */
  SrColourDetection d;
  g_autofree char *pattern = g_build_filename(fx.dir, "src", "a.%04d.exr", NULL);
  g_assert_true(sr_colour_detect_sequence(pattern, &d, NULL));
  g_assert_true(d.suggested);
  g_assert_cmpint(d.space, ==, SR_CS_ACES2065_1);
  g_assert_nonnull(strstr(d.summary, "AP0"));
  g_autofree char *contra = sr_colour_detection_contradiction(&d, "Source", SR_CS_REC709);
  g_assert_nonnull(contra);
  g_assert_null(sr_colour_detection_contradiction(&d, "Source", SR_CS_ACES2065_1));
  sr_colour_detection_clear(&d);

  /* The command line reports it too (warnings do not fail the check). */
  g_autoptr(GFile) file = g_file_new_for_path(fx.file);
  g_assert_true(sr_project_save(fx.p, file, NULL));
  const char *cli = g_getenv("SR_CLI");
  if (cli) {
    g_autofree char *out = NULL;
    int status = 0;
    const char *argv[] = {cli, "check", fx.file, NULL};
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, NULL));
    g_test_message("%s", out);
    g_assert_nonnull(strstr(out, "source-colour"));
    g_assert_nonnull(strstr(out, "ACES2065-1"));
  }
  fixture_clear(&fx);
}

static void
test_size_mismatch(void)
{
  Fixture fx;
  fixture_init(&fx, 80, 48, 1);
  sr_check_report report;
  check(fx.p, &report);
  const sr_check *c = find_check(&report, "reference-size");
  g_assert_nonnull(c);
  g_assert_cmpint(c->status, ==, SR_CHECK_FAIL);
  g_assert_nonnull(strstr(c->detail, "80×48"));
  g_assert_nonnull(strstr(c->detail, "64×48"));
  g_assert_cmpint(sr_check_report_status(&report), ==, SR_CHECK_FAIL);
  sr_check_report_clear(&report);
  fixture_clear(&fx);

  /* Same size: a PASS naming it. */
  fixture_init(&fx, 64, 48, 1);
  check(fx.p, &report);
  c = find_check(&report, "reference-size");
  g_assert_cmpint(c->status, ==, SR_CHECK_PASS);
  sr_check_report_clear(&report);
  fixture_clear(&fx);
}

static void
test_range_apart(void)
{
  Fixture fx;
  fixture_init(&fx, 64, 48, 101);
  sr_check_report report;
  check(fx.p, &report);
  const sr_check *c = find_check(&report, "reference-range");
  g_assert_nonnull(c);
  g_assert_cmpint(c->status, ==, SR_CHECK_FAIL);
  g_assert_nonnull(strstr(c->detail, "101-105"));
  sr_check_report_clear(&report);
  /* The offset brings them together. */
  sr_project_set_reference_offset(fx.p, 100);
  check(fx.p, &report);
  g_assert_null(find_check(&report, "reference-range"));
  sr_check_report_clear(&report);
  fixture_clear(&fx);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/project-headers/colour-contradiction", test_colour_contradiction);
  g_test_add_func("/project-headers/size-mismatch", test_size_mismatch);
  g_test_add_func("/project-headers/range-apart", test_range_apart);
  return g_test_run();
}
