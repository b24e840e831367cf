/* The Review page's Grain toggle under Xvfb (demo project): off and
 * insensitive without a grain plan; with the render's plan beside the
 * frames, Grain on shows the plan's grain added to the ungrained render —
 * the frame a render with grain writes, up to half-float rounding, chroma
 * untouched — and Grain off shows the frame as rendered again. The Render
 * page's "Add grain matching the Reference" renders with that plan. */
#include "sr-config.h"

#include <math.h>
#include <string.h>

#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-grain-plan.h"
#include "sr-page-render-private.h"
#include "sr-page-review-private.h"
#include "sr-rendering.h"
#include "sr-ui-test.h"

static void
wait_settled(SrPageReview *page)
{
  SrViewer *v = sr_page_review_get_viewer(page);
  SR_UI_WAIT_FOR(sr_page_review_get_settled(page) && !sr_viewer_is_preparing(v), 60);
  sr_ui_test_pump(100);
}

/* Largest |Δ| of Y and of Cb/Cr between two frames in the training domain,
 * and the share of pixels whose Y differs by more than 4e-3. */
static double
compare(const sr_image *a, const sr_image *b, const sr_prep_settings *prep, double *dy_max,
        double *dc_max)
{
  sr_error err = {0};
  sr_image *ia = sr_prep_source(a, prep, &err), *ib = sr_prep_source(b, prep, &err);
  g_assert_nonnull(ia);
  g_assert_nonnull(ib);
  sr_ycbcr_coeffs c = sr_ycbcr_coefficients(prep->matrix);
  *dy_max = *dc_max = 0;
  size_t n = (size_t)ia->width * ia->height, over = 0;
  for (size_t i = 0; i < n; i++) {
    const float *pa = ia->pixels + 3 * i, *pb = ib->pixels + 3 * i;
    double ya = sr_luma(c, pa[0], pa[1], pa[2]), yb = sr_luma(c, pb[0], pb[1], pb[2]);
    *dy_max = fmax(*dy_max, fabs(yb - ya));
    over += fabs(yb - ya) > 4e-3;
    for (int k = 0; k < 3; k++)
      *dc_max = fmax(*dc_max, fabs((pb[k] - yb) - (pa[k] - ya)));
  }
  sr_image_free(ia);
  sr_image_free(ib);
  return (double)over / (double)n;
}

static void
test_grain_toggle(void)
{
  g_autoptr(SrApplication) app = NULL;
  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  SrPageReview *page = SR_PAGE_REVIEW(sr_window_get_page(window, "review"));
  sr_ui_test_train_tiny(window, 12);
  int first = sr_ui_test_render_first(window, 2);

  /* Without a plan the toggle is off and cannot be turned on. */
  sr_window_set_stage(window, "review");
  SR_UI_WAIT_FOR(sr_page_review_get_has_render(page, NULL, NULL), 30);
  wait_settled(page);
  GtkCheckButton *grain = sr_page_review_get_grain_check(page);
  g_assert_false(sr_page_review_get_grain_plan_loaded(page));
  g_assert_false(gtk_widget_get_sensitive(GTK_WIDGET(grain)));
  g_assert_false(gtk_check_button_get_active(grain));

  /* The render's plan, as render --regrain measures and keeps it. */
  g_autofree char *pattern = sr_delivery_default_render_pattern(project);
  g_autofree char *plan_path = sr_grain_plan_path(pattern);
  g_autofree char *ck = sr_checkpoint_facts_path(project, NULL);
  sr_error err = {0};
  sr_model *model = sr_model_open(ck, "cpu", &err);
  g_assert_nonnull(model);
  SrGrainPlan plan;
  g_autoptr(GError) error = NULL;
  if (!sr_grain_plan_measure(project, model, 11, NULL, &plan, &error) ||
      !sr_grain_plan_save(plan_path, &plan, &error))
    g_error("grain plan: %s", error->message);
  sr_model_close(model);
  /* A render with grain of the same frames, for comparison: the same plan
   * beside it. */
  g_autofree char *dir = g_path_get_dirname(pattern);
  g_autofree char *grained = g_build_filename(dir, "grained", "g.%04d.exr", NULL);
  g_autofree char *grained_dir = g_path_get_dirname(grained);
  g_assert_cmpint(g_mkdir_with_parents(grained_dir, 0755), ==, 0);
  g_autofree char *grained_plan = sr_grain_plan_path(grained);
  g_autofree char *plan_text = NULL;
  gsize plan_len = 0;
  g_assert_true(g_file_get_contents(plan_path, &plan_text, &plan_len, NULL));
  g_assert_true(g_file_set_contents(grained_plan, plan_text, (gssize)plan_len, NULL));
  SrRenderingOptions ro;
  sr_rendering_options_init(&ro);
  ro.output_pattern = grained;
  ro.first = first;
  ro.count = 1;
  ro.backend = "cpu";
  ro.regrain = TRUE;
  g_auto(SrRenderingResult) rr = {0};
  if (!sr_rendering_run(project, &ro, &rr, &error))
    g_error("grained render: %s", error->message);

  /* The Review page reads the plan when it looks at the render again. */
  sr_window_set_stage(window, "render");
  sr_ui_test_pump(200);
  sr_window_set_stage(window, "review");
  SR_UI_WAIT_FOR(sr_page_review_get_grain_plan_loaded(page), 30);
  sr_page_review_set_frame(page, first);
  wait_settled(page);
  g_assert_true(gtk_widget_get_sensitive(GTK_WIDGET(grain)));
  g_assert_false(gtk_check_button_get_active(grain));
  SrViewer *v = sr_page_review_get_viewer(page);
  SrFrame *as_rendered = sr_frame_ref(sr_viewer_get_frame_b(v));

  /* Grain on: the preview is the grained render's frame. */
  gtk_check_button_set_active(grain, TRUE);
  sr_ui_test_pump(50);
  wait_settled(page);
  SrFrame *preview = sr_viewer_get_frame_b(v);
  g_assert_true(preview != as_rendered);
  g_assert_cmpint(sr_frame_get_number(preview), ==, first);
  sr_prep_settings prep;
  sr_project_get_prep_settings(project, &prep);
  double dy, dc;
  compare(sr_frame_get_image(as_rendered), sr_frame_get_image(preview), &prep, &dy, &dc);
  g_test_message("preview vs ungrained: max |ΔY| %.4g, max |ΔCbCr| %.4g", dy, dc);
  g_assert_cmpfloat(dy, >, 1e-3); /* grain was added */
  g_assert_cmpfloat(dc, <, 2e-3); /* on luma only */
  g_autofree char *gpath = sr_pattern_format(grained, first);
  sr_image *gimg = sr_image_read(gpath, &err);
  g_assert_nonnull(gimg);
  /* The same grain as the render's, but for the pixels where the render's
   * step was shortened at black or white (the preview shortens the model's
   * step and the grain's one after the other, the render both at once). */
  double share = compare(gimg, sr_frame_get_image(preview), &prep, &dy, &dc);
  g_test_message("preview vs grained render: max |ΔY| %.4g, max |ΔCbCr| %.4g, %.3f %% of "
                 "pixels beyond 4e-3",
                 dy, dc, 100 * share);
  g_assert_cmpfloat(share, <, 0.01);
  sr_image_free(gimg);
  g_assert_nonnull(strstr(gtk_widget_get_tooltip_text(GTK_WIDGET(grain)), "preview"));
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "28c-review-grain-on");

  /* Grain off: the frame as rendered again. */
  gtk_check_button_set_active(grain, FALSE);
  sr_ui_test_pump(50);
  wait_settled(page);
  g_assert_true(sr_viewer_get_frame_b(v) == as_rendered);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "28d-review-grain-off");

  /* A crop edited after rendering does not move the preview's grain: it is
   * made with the preparation of the model the render used. */
  sr_rect crop = sr_project_get_crop(project);
  const sr_image *whole = sr_frame_get_image(as_rendered);
  sr_project_set_crop(project, (sr_rect){0, 0, whole->width / 2, whole->height / 2});
  sr_ui_test_pump(100);
  gtk_check_button_set_active(grain, TRUE);
  sr_ui_test_pump(50);
  wait_settled(page);
  gimg = sr_image_read(gpath, &err);
  g_assert_nonnull(gimg);
  share = compare(gimg, sr_frame_get_image(sr_viewer_get_frame_b(v)), &prep, &dy, &dc);
  g_test_message("after a crop edit, preview vs grained render: %.3f %% of pixels beyond 4e-3",
                 100 * share);
  g_assert_cmpfloat(share, <, 0.01);
  sr_image_free(gimg);
  gtk_check_button_set_active(grain, FALSE);
  sr_ui_test_pump(50);
  wait_settled(page);
  sr_project_set_crop(project, crop);
  sr_frame_unref(as_rendered);

  /* The Render page with "Add grain matching the Reference": the frame is
   * rendered again with the plan beside the render, the same pixels as the
   * grained render above, and records the plan. */
  SrPageRender *rp = SR_PAGE_RENDER(sr_window_get_page(window, "render"));
  GtkCheckButton *regrain = sr_page_render_get_regrain_check(rp);
  g_assert_false(gtk_check_button_get_active(regrain));
  gtk_check_button_set_active(regrain, TRUE);
  sr_ui_test_render_first(window, 1);
  g_autofree char *fpath = sr_pattern_format(pattern, first);
  sr_image *page_frame = sr_image_read(fpath, &err), *ref_frame = sr_image_read(gpath, &err);
  g_assert_nonnull(page_frame);
  g_assert_nonnull(ref_frame);
  const char *rec = sr_image_get_attribute(page_frame, SR_RENDER_GRAIN_ATTR);
  g_assert_nonnull(rec);
  g_assert_nonnull(strstr(rec, "\"seed\":\"11\""));
  g_assert_cmpstr(rec, ==, sr_image_get_attribute(ref_frame, SR_RENDER_GRAIN_ATTR));
  size_t nval = (size_t)page_frame->width * page_frame->height * page_frame->channels;
  g_assert_cmpint(memcmp(page_frame->pixels, ref_frame->pixels, nval * sizeof(float)), ==, 0);
  sr_image_free(page_frame);
  sr_image_free(ref_frame);
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "review-grain");
  g_test_add_func("/ui/review-grain", test_grain_toggle);
  return sr_ui_test_finish(g_test_run());
}
