/* The Deliver page under Xvfb (demo project): the empty states before a
 * model and before a render, the summary computed off the main thread,
 * colour space and compression choices (DWAA only where the OpenEXR library
 * has it), provenance edits that reach the project and undo, a delivery
 * with the validation note into a chosen folder (masters read back with
 * the engine's EXR reader) through the sign-off gate and its override
 * dialog, and the sidebar's stage states after it. */
#include "sr-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sr-colour.h"
#include "sr-delivery.h"
#include "sr-image.h"
#include "sr-io.h"
#include "sr-page-deliver-private.h"
#include "sr-signoff.h"
#include "sr-timecode-spin.h"
#include "sr-ui-test.h"

static gboolean
is_shown_button(GtkWidget *widget, gconstpointer label)
{
  return GTK_IS_BUTTON(widget) && g_strcmp0(gtk_button_get_label(GTK_BUTTON(widget)), label) == 0 &&
         gtk_widget_is_visible(widget);
}

/* A button under `root` whose label is `label` and which is shown. */
static GtkWidget *
find_button(GtkWidget *root, const char *label)
{
  return sr_ui_test_find(root, is_shown_button, label);
}

static gboolean
is_label_reading(GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL(widget) && g_strcmp0(gtk_label_get_text(GTK_LABEL(widget)), text) == 0;
}

/* A label under `root` whose text is `text` (shown or not). */
static GtkWidget *
find_label(GtkWidget *root, const char *text)
{
  return sr_ui_test_find(root, is_label_reading, text);
}

static void
wait_summary(SrPageDeliver *page)
{
  sr_ui_test_pump(50);
  SR_UI_WAIT_FOR(!sr_page_deliver_get_checking(page), 30);
}

static void
wait_stages(SrWindow *window)
{
  sr_ui_test_pump(50);
  SR_UI_WAIT_FOR(!sr_window_get_checking(window), 60);
}

static void
assert_stage(SrWindow *window, const char *stage, SrStageState want)
{
  const char *reason = NULL;
  SrStageState state = sr_window_get_stage_state(window, stage, &reason);
  g_test_message("stage %s: %d (%s)", stage, state, reason);
  g_assert_nonnull(reason);
  g_assert_cmpint(state, ==, want);
}

/* Once the page and the sidebar have settled, so the picture shows them. */
static void
screenshot(SrWindow *window, SrPageDeliver *page, const char *name)
{
  wait_summary(page);
  wait_stages(window);
  sr_ui_test_screenshot(GTK_WIDGET(window), name);
}

static char *
read_text(const char *path)
{
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

/* Copies of the Source's frames first..first+2 carrying the timecodes
 * 10:00:00:00 on at 24 fps, as a telecine writes them; returns their
 * pattern. */
static char *
write_timecoded_source(SrProject *project, int first)
{
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  g_autofree char *dir = g_build_filename(sr_ui_test_tmp_dir(), "timecoded", NULL);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
  /* The demo's padding, so the render the page finds keeps its names. */
  char *pattern = g_build_filename(dir, "src.%04d.exr", NULL);
  sr_write_options wo;
  sr_write_options_init(&wo);
  for (int f = first; f <= first + 2; f++) {
    g_autofree char *in = sr_pattern_format(src, f);
    g_autofree char *out = sr_pattern_format(pattern, f);
    sr_error err = {0};
    sr_image *img = sr_image_read(in, &err);
    g_assert_nonnull(img);
    g_autofree char *tc = g_strdup_printf("10:00:00:%02d", f - first);
    g_assert_true(sr_image_set_attribute(img, "timeCode", tc, &err));
    g_assert_true(sr_image_set_attribute(img, "framesPerSecond", "24", &err));
    g_assert_true(sr_image_write(out, img, &wo, &err));
    sr_image_free(img);
  }
  return pattern;
}

/* The range spin buttons show and take the Source's timecode while the
 * preference is on; frame numbers otherwise. */
static void
check_timecode_labels(SrWindow *window, SrPageDeliver *page, int first)
{
  SrProject *project = sr_window_get_project(window);
  g_autofree char *pattern = write_timecoded_source(project, first);
  sr_project_set_source_pattern(project, pattern);
  GtkSpinButton *from = GTK_SPIN_BUTTON(page->first_spin);
  GtkSpinButton *to = GTK_SPIN_BUTTON(page->last_spin);
  g_action_group_activate_action(G_ACTION_GROUP(window), "frames-as-timecode", NULL);
  SR_UI_WAIT_FOR(sr_timecode_spin_showing(from), 30);
  sr_page_deliver_set_range(page, first + 1, first + 2);
  wait_summary(page);
  g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(from)), ==, "10:00:00:01");
  g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(to)), ==, "10:00:00:02");
  /* The summary names the timecode the masters will carry. */
  g_assert_nonnull(find_label(GTK_WIDGET(page), "10:00:00:01–10:00:00:02 at 24 fps"));
  /* A typed timecode is the frame it names. */
  gtk_editable_set_text(GTK_EDITABLE(from), "10:00:00:00");
  gtk_spin_button_update(from);
  g_assert_cmpint(gtk_spin_button_get_value_as_int(from), ==, first);
  wait_summary(page);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "30b-deliver-timecode");
  /* Off again: frame numbers. */
  g_action_group_activate_action(G_ACTION_GROUP(window), "frames-as-timecode", NULL);
  g_autofree char *number = g_strdup_printf("%d", first);
  g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(from)), ==, number);
  g_assert_false(sr_timecode_spin_showing(from));
}

static void
test_page(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  SrPageDeliver *page = SR_PAGE_DELIVER(sr_window_get_page(window, "deliver"));

  /* No model yet: nothing to summarise, and the page points at Train. */
  sr_window_set_stage(window, "deliver");
  wait_summary(page);
  g_assert_null(sr_page_deliver_get_summary(page));
  g_assert_nonnull(find_button(GTK_WIDGET(page), "Go to Train"));
  wait_stages(window);
  assert_stage(window, "train", SR_STAGE_NOT_STARTED);
  assert_stage(window, "deliver", SR_STAGE_NOT_STARTED);

  /* A model but no render: the page says so and goes to Render. */
  sr_ui_test_train_tiny(window, 12);
  sr_window_set_stage(window, "deliver");
  wait_summary(page);
  g_assert_null(sr_page_deliver_get_summary(page));
  g_assert_cmpint(sr_page_deliver_get_n_rendered(page), ==, 0);
  GtkWidget *go = find_button(GTK_WIDGET(page), "Go to Render");
  g_assert_nonnull(go);
  screenshot(window, page, "28c-deliver-nothing-rendered");
  g_signal_emit_by_name(go, "clicked");
  g_assert_cmpstr(sr_window_get_stage(window), ==, "render");
  wait_stages(window);
  assert_stage(window, "train", SR_STAGE_DONE);
  assert_stage(window, "render", SR_STAGE_NOT_STARTED);

  /* Three rendered frames: the summary names count, space, compression. */
  int first = sr_ui_test_render_first(window, 3);
  sr_window_set_stage(window, "deliver");
  SrUiStall stall;
  sr_ui_stall_start(&stall);
  wait_summary(page);
  double summary_stall = sr_ui_stall_stop(&stall);
  const char *summary = sr_page_deliver_get_summary(page);
  g_assert_nonnull(summary);
  g_test_message("summary: %s", summary);
  g_assert_nonnull(strstr(summary, "3 EXR masters"));
  g_assert_nonnull(strstr(summary, "ACES2065-1"));
  g_assert_nonnull(strstr(summary, "ZIP"));
  g_assert_nonnull(strstr(summary, "about "));
  g_assert_cmpint(sr_page_deliver_get_n_rendered(page), ==, 3);
  int f0 = 0, f1 = 0;
  sr_page_deliver_get_range(page, &f0, &f1);
  g_assert_cmpint(f0, ==, first);
  g_assert_cmpint(f1, ==, first + 2);
  g_assert_cmpint(sr_page_deliver_get_colourspace(page), ==, SR_CS_ACES2065_1);
  g_assert_cmpint(sr_page_deliver_get_compression(page), ==, SR_EXR_ZIP);
  wait_stages(window);
  assert_stage(window, "render", SR_STAGE_READY);
  /* Three frames of the demo's reel: not Ready while the render is partial. */
  assert_stage(window, "deliver", SR_STAGE_ATTENTION);

  /* DWAA is offered exactly when this OpenEXR can write it. */
  gboolean dwaa = sr_exr_compression_available(SR_EXR_DWAA);
  g_assert_cmpint(sr_page_deliver_offers_compression(page, SR_EXR_DWAA), ==, dwaa);
  g_assert_cmpint(sr_page_deliver_set_compression(page, SR_EXR_DWAA), ==, dwaa);
  sr_exr_compression want_comp = dwaa ? SR_EXR_DWAA : SR_EXR_ZIP;
  g_assert_cmpint(sr_page_deliver_get_compression(page), ==, want_comp);

  /* Another colour space. */
  sr_page_deliver_set_colourspace(page, SR_CS_REC709);
  /* Summarised later, on a worker thread: nothing changed yet. */
  g_assert_true(sr_page_deliver_get_checking(page));
  g_assert_nonnull(strstr(sr_page_deliver_get_summary(page), "ACES2065-1"));
  wait_summary(page);
  summary = sr_page_deliver_get_summary(page);
  g_assert_nonnull(strstr(summary, sr_colourspace_label(SR_CS_REC709)));
  g_assert_nonnull(strstr(summary, want_comp == SR_EXR_DWAA ? "DWAA" : "ZIP"));
  g_assert_null(strstr(summary, "ACES2065-1"));

  /* A range beyond the render is brought back inside it. */
  sr_page_deliver_set_range(page, first - 4, first + 5);
  wait_summary(page);
  sr_page_deliver_get_range(page, &f0, &f1);
  g_assert_cmpint(f0, ==, first);
  g_assert_cmpint(f1, ==, first + 2);
  g_assert_nonnull(strstr(sr_page_deliver_get_summary(page), "3 EXR masters"));

  /* A gap in the render is reported before anything starts; asked anyway,
   * the delivery refuses and names it. */
  {
    g_autofree char *out = sr_project_resolve_path(project, sr_project_get_output_folder(project));
    g_autofree char *dir = g_build_filename(out, "render", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    g_autofree char *needle =
        g_strdup_printf(".%0*d.exr", sr_delivery_frame_digits(project), first + 1);
    g_autofree char *gap = NULL;
    while (d && (name = g_dir_read_name(d)))
      if (g_str_has_suffix(name, needle))
        gap = g_build_filename(dir, name, NULL);
    if (d)
      g_dir_close(d);
    g_assert_nonnull(gap);
    g_autofree char *aside = g_strconcat(gap, ".aside", NULL);
    g_assert_cmpint(g_rename(gap, aside), ==, 0);
    sr_page_deliver_set_range(page, 1, 0);
    wait_summary(page);
    g_assert_false(gtk_widget_get_sensitive(page->deliver_button));
    g_assert_true(sr_page_deliver_start(page, NULL, &error));
    g_assert_no_error(error);
    SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 60);
    g_assert_nonnull(sr_window_get_error(window));
    g_test_message("with a gap: %s", sr_window_get_error(window));
    g_assert_nonnull(strstr(sr_window_get_error(window), "missing"));
    g_assert_cmpint(sr_page_deliver_get_n_written(page), ==, -1);
    sr_window_dismiss_error(window);
    g_assert_cmpint(g_rename(aside, gap), ==, 0);
  }
  sr_page_deliver_set_range(page, 1, 0);
  wait_summary(page);
  g_assert_true(gtk_widget_get_sensitive(page->deliver_button));

  /* A provenance edit reaches the project and undoes. */
  SrHistory *history = sr_window_get_history(window);
  GtkEditable *restorationist = sr_page_deliver_get_provenance_entry(page, "restorationist");
  g_assert_nonnull(restorationist);
  const char *before = sr_project_get_provenance(project)->restorationist;
  g_autofree char *was = g_strdup(before ? before : "");
  gtk_editable_set_text(restorationist, "A. Archivist");
  g_assert_cmpstr(sr_project_get_provenance(project)->restorationist, ==, "A. Archivist");
  g_assert_true(sr_history_undo(history, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_provenance(project)->restorationist, ==, was);
  g_assert_cmpstr(gtk_editable_get_text(restorationist), ==, was);
  g_assert_true(sr_history_redo(history, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(gtk_editable_get_text(restorationist), ==, "A. Archivist");
  wait_summary(page);
  g_assert_nonnull(strstr(sr_page_deliver_get_summary(page), "A. Archivist"));

  /* Deliver into a chosen folder with the validation note. */
  g_autofree char *dest = g_build_filename(sr_ui_test_tmp_dir(), "masters-here", NULL);
  sr_page_deliver_set_destination(page, dest);
  g_assert_true(sr_page_deliver_get_write_note(page));
  wait_summary(page);
  g_assert_nonnull(strstr(sr_page_deliver_get_summary(page), dest));
  screenshot(window, page, "29-deliver-settings");

  /* Not signed off: the page lists what is open; Deliver asks for an
   * override (who, pre-filled with the user's name, and why). */
  g_autoptr(GPtrArray) blockers = sr_page_deliver_dup_blockers(page);
  g_assert_cmpuint(blockers->len, ==, 5);
  GtkWidget *deliver = find_button(GTK_WIDGET(page), "Deliver…");
  g_assert_nonnull(deliver);
  screenshot(window, page, "29b-deliver-not-signed-off");
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "29b-deliver-not-signed-off");
  g_signal_emit_by_name(deliver, "clicked");
  GtkWidget *dialog = sr_page_deliver_get_override_dialog(page);
  g_assert_nonnull(dialog);
  g_assert_false(sr_stage_page_get_busy(SR_STAGE_PAGE(page)));
  GtkWidget *who = g_object_get_data(G_OBJECT(dialog), "who");
  GtkWidget *why = g_object_get_data(G_OBJECT(dialog), "why");
  GtkWidget *anyway = g_object_get_data(G_OBJECT(dialog), "go");
  g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(who)), !=, "");
  g_assert_false(gtk_widget_get_sensitive(anyway)); /* no reason yet */
  gtk_editable_set_text(GTK_EDITABLE(who), "Ada Archivist");
  gtk_editable_set_text(GTK_EDITABLE(why), "Festival screening; the curator accepts as is");
  g_assert_true(gtk_widget_get_sensitive(anyway));
  sr_ui_test_pump(300);
  sr_ui_test_screenshot(dialog, "29c-deliver-override-dialog");
  sr_ui_stall_start(&stall);
  g_signal_emit_by_name(anyway, "clicked");
  g_assert_null(sr_page_deliver_get_override_dialog(page));
  g_assert_true(sr_stage_page_get_busy(SR_STAGE_PAGE(page)));
  /* Recorded in the project at once (one undo step). */
  const GPtrArray *ovs = sr_project_get_overrides(project);
  g_assert_cmpuint(ovs->len, ==, 1);
  const SrOverride *ov = g_ptr_array_index(ovs, 0);
  g_assert_cmpstr(ov->who, ==, "Ada Archivist");
  g_assert_cmpuint(g_strv_length(ov->blockers), ==, 5);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 120);
  double deliver_stall = sr_ui_stall_stop(&stall);
  g_assert_null(sr_window_get_error(window));
  g_assert_cmpint(sr_page_deliver_get_n_written(page), ==, 3);
  g_assert_cmpstr(sr_page_deliver_get_out_dir(page), ==, dest);

  float want[8];
  sr_colourspace_chromaticities(SR_CS_REC709, want);
  for (int f = first; f <= first + 2; f++) {
    g_autofree char *path = sr_pattern_format(sr_page_deliver_get_master_pattern(page), f);
    g_assert_true(g_str_has_prefix(path, dest));
    sr_error err = {0};
    sr_image *img = sr_image_read(path, &err);
    if (!img)
      g_error("%s: %s", path, err.message);
    g_assert_true(img->has_chromaticities);
    for (int k = 0; k < 8; k++)
      g_assert_cmpfloat_with_epsilon(img->chromaticities[k], want[k], 1e-4);
    g_assert_cmpstr(sr_image_get_attribute(img, "deliveryColourSpace"), ==,
                    sr_colourspace_label(SR_CS_REC709));
    g_assert_cmpstr(sr_image_get_attribute(img, "restorationist"), ==, "A. Archivist");
    sr_image_free(img);
  }
  const char *note = sr_page_deliver_get_note_path(page);
  g_assert_nonnull(note);
  g_assert_true(g_str_has_prefix(note, dest));
  g_assert_true(g_file_test(note, G_FILE_TEST_IS_REGULAR));
  g_assert_true(g_file_test(sr_page_deliver_get_text_path(page), G_FILE_TEST_IS_REGULAR));
  g_autofree char *json = read_text(sr_page_deliver_get_json_path(page));
  g_assert_nonnull(strstr(json, note));
  g_autofree char *text = read_text(sr_page_deliver_get_text_path(page));
  g_assert_nonnull(strstr(text, "validation note"));
  /* The override reached the note and the sidecars. */
  g_assert_nonnull(strstr(text, "by Ada Archivist at "));
  g_assert_nonnull(strstr(json, "Festival screening; the curator accepts as is"));
  g_autofree char *html = read_text(note);
  g_assert_nonnull(strstr(html, "Override by <b>Ada Archivist</b>"));
  g_assert_true(gtk_widget_get_visible(find_button(GTK_WIDGET(page), "Open folder")));
  wait_summary(page);
  /* Delivering again keeps what is there. */
  g_assert_nonnull(strstr(sr_page_deliver_get_summary(page), dest));
  screenshot(window, page, "30-deliver-done");
  /* The page fits a 1280-pixel-wide screen beside the sidebar. */
  int min_width = 0;
  gtk_widget_measure(GTK_WIDGET(page), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL,
                     NULL);
  g_test_message("page minimum width: %d", min_width);
  g_assert_cmpint(min_width, <=, 1000);

  /* The sidebar: model and delivery on disk, the render partly there
   * (3 of the demo's frames). */
  wait_stages(window);
  assert_stage(window, "train", SR_STAGE_DONE);
  assert_stage(window, "render", SR_STAGE_READY);
  assert_stage(window, "deliver", SR_STAGE_DONE);
  assert_stage(window, "review", SR_STAGE_READY);
  const char *items[] = {"sharper-edges", "grain", "no-flicker", "no-colour-shift", "no-halos"};
  for (guint i = 0; i < G_N_ELEMENTS(items); i++)
    sr_project_set_accepted(project, items[i], TRUE);
  wait_stages(window);
  assert_stage(window, "review", SR_STAGE_DONE);
  /* The sidecar is looked for in the page's folder: elsewhere, not done;
   * signed off, yet the render is partial: still not Ready. */
  sr_page_deliver_set_destination(page, NULL);
  wait_stages(window);
  assert_stage(window, "deliver", SR_STAGE_ATTENTION);
  /* Signed off, the page lists nothing and delivers without asking. */
  wait_summary(page);
  g_autoptr(GPtrArray) none = sr_page_deliver_dup_blockers(page);
  g_assert_cmpuint(none->len, ==, 0);
  g_assert_nonnull(find_button(GTK_WIDGET(page), "Deliver"));

  check_timecode_labels(window, page, first);

  g_printerr("deliver: worst main-loop stall while summarising %.1f ms, while delivering %.1f ms\n",
             summary_stall, deliver_stall);
  g_test_message("stalls: summary %.1f ms, delivery %.1f ms", summary_stall, deliver_stall);
  /* The reading and writing are off the loop; what remains is GTK drawing
   * the page (software GL under Xvfb), which a loaded 2-core machine
   * stretches to a few hundred ms. Delivering on the loop would stall for
   * the whole run (seconds). */
  g_assert_cmpfloat(summary_stall, <, 1000);
  g_assert_cmpfloat(deliver_stall, <, 1000);
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "page-deliver");
  g_test_add_func("/ui/page-deliver", test_page);
  return sr_ui_test_finish(g_test_run());
}
