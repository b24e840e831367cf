/* The window's shell under Xvfb: the keyboard shortcuts window lists
 * exactly the keys the application binds; a stage page's keys answer after
 * a button or check box was clicked, but not while text is typed; recent
 * projects come back from the desktop's recent files on the welcome screen
 * and in Open ▾; the Open and Save As dialogs start in the project's or
 * Source's folder; a typed crop X past the frame says what it did; the
 * Train page offers no patch larger than the crop. */
#include "sr-config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "sr-application.h"
#include "sr-page-crop-private.h"
#include "sr-page-pairs-private.h"
#include "sr-page-train-private.h"
#include "sr-ui-test.h"
#include "sr-viewer.h"
#include "sr-window-private.h"

static gboolean
is_shown_of_type(GtkWidget *widget, gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE(widget, *(const GType *)type) && gtk_widget_get_mapped(widget);
}

/* The first widget of type on screen under root. */
static GtkWidget *
find_widget(GtkWidget *root, GType type)
{
  return sr_ui_test_find(root, is_shown_of_type, &type);
}

/* ---- the shortcuts window --------------------------------------------------------- */

typedef struct {
  guint key;
  GdkModifierType mods;
} Key;

static gboolean
has_key(GArray *keys, guint key, GdkModifierType mods)
{
  key = gdk_keyval_to_lower(key);
  for (guint i = 0; i < keys->len; i++)
    if (g_array_index(keys, Key, i).key == key && g_array_index(keys, Key, i).mods == mods)
      return TRUE;
  return FALSE;
}

static void
add_key(GArray *keys, guint key, GdkModifierType mods)
{
  Key k = {gdk_keyval_to_lower(key), mods};
  if (!has_key(keys, k.key, mods))
    g_array_append_val(keys, k);
}

static void
add_accel(GArray *keys, const char *accel)
{
  guint key;
  GdkModifierType mods;
  g_assert_true(gtk_accelerator_parse(accel, &key, &mods));
  add_key(keys, key, mods);
}

static void
add_page_keys(GArray *keys, GtkWidget *page)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers(page);
  for (guint i = 0; i < g_list_model_get_n_items(controllers); i++) {
    g_autoptr(GObject) c = g_list_model_get_item(controllers, i);
    if (!GTK_IS_SHORTCUT_CONTROLLER(c))
      continue;
    for (guint k = 0; k < g_list_model_get_n_items(G_LIST_MODEL(c)); k++) {
      g_autoptr(GtkShortcut) s = g_list_model_get_item(G_LIST_MODEL(c), k);
      GtkShortcutTrigger *t = gtk_shortcut_get_trigger(s);
      if (GTK_IS_KEYVAL_TRIGGER(t))
        add_key(keys, gtk_keyval_trigger_get_keyval(GTK_KEYVAL_TRIGGER(t)),
                gtk_keyval_trigger_get_modifiers(GTK_KEYVAL_TRIGGER(t)));
    }
  }
}

static void
check_shortcuts_window(SrApplication *app, SrWindow *window)
{
  /* What is bound: the application's accelerators, the stage pages' keys,
   * and the viewer's own (sr-viewer-input.c). */
  g_autoptr(GArray) bound = g_array_new(FALSE, FALSE, sizeof(Key));
  g_auto(GStrv) actions = gtk_application_list_action_descriptions(GTK_APPLICATION(app));
  for (guint i = 0; actions[i]; i++) {
    g_auto(GStrv) accels = gtk_application_get_accels_for_action(GTK_APPLICATION(app), actions[i]);
    for (guint a = 0; accels[a]; a++)
      add_accel(bound, accels[a]);
  }
  const char *pages[] = {"pairs", "render", "review"};
  for (guint i = 0; i < G_N_ELEMENTS(pages); i++)
    add_page_keys(bound, sr_window_get_page(window, pages[i]));
  const char *viewer[] = {"t",      "f",     "1",           "plus", "equal",
                          "KP_Add", "minus", "KP_Subtract", "space"};
  for (guint i = 0; i < G_N_ELEMENTS(viewer); i++)
    add_accel(bound, viewer[i]);
  /* Synonyms the window names once ("plus" for =, keypad +/-). */
  const char *unlisted[] = {"equal", "KP_Add", "KP_Subtract", "F"};

  /* What the window lists. */
  g_autoptr(GtkBuilder) b = gtk_builder_new_from_resource(
      "/io/github/spatialrecovery/SpatialRecovery/gtk/help-overlay.ui");
  GtkWidget *help = GTK_WIDGET(gtk_builder_get_object(b, "help_overlay"));
  g_autoptr(GArray) listed = g_array_new(FALSE, FALSE, sizeof(Key));
  gboolean fit_under_viewer = FALSE, flag_under_render = FALSE, flag_under_review = FALSE;
  GSList *objects = gtk_builder_get_objects(b);
  for (GSList *l = objects; l; l = l->next) {
    if (!GTK_IS_SHORTCUTS_SHORTCUT(l->data))
      continue;
    g_autofree char *accel = NULL, *title = NULL, *group_title = NULL;
    g_object_get(l->data, "accelerator", &accel, "title", &title, NULL);
    GtkWidget *group = gtk_widget_get_ancestor(l->data, GTK_TYPE_SHORTCUTS_GROUP);
    g_assert_nonnull(group);
    g_object_get(group, "title", &group_title, NULL);
    g_auto(GStrv) parts = g_strsplit(accel, " ", -1);
    for (guint i = 0; parts[i]; i++) {
      guint key;
      GdkModifierType mods;
      g_assert_true(gtk_accelerator_parse(parts[i], &key, &mods));
      if (!has_key(bound, key, mods))
        g_error("the shortcuts window lists %s (%s) but nothing binds it", parts[i], title);
      add_key(listed, key, mods);
      if (key == GDK_KEY_f && mods == 0) {
        if (strstr(group_title, "Viewer"))
          fit_under_viewer |= g_str_has_prefix(title, "Fit to the window");
        else if (g_str_equal(group_title, "Render and Review"))
          flag_under_render = flag_under_review = strstr(title, "Flag") != NULL;
        else
          g_error("F listed as %s under %s", title, group_title);
      }
    }
  }
  g_slist_free(objects);
  for (guint i = 0; i < bound->len; i++) {
    Key k = g_array_index(bound, Key, i);
    gboolean synonym = FALSE;
    for (guint u = 0; u < G_N_ELEMENTS(unlisted); u++)
      synonym |= k.mods == 0 && k.key == gdk_keyval_to_lower(gdk_keyval_from_name(unlisted[u]));
    g_autofree char *name = gtk_accelerator_name(k.key, k.mods);
    if (!synonym && !has_key(listed, k.key, k.mods))
      g_error("%s is bound but the shortcuts window does not list it", name);
  }
  g_assert_true(fit_under_viewer);
  g_assert_true(flag_under_render);
  g_assert_true(flag_under_review);

  gtk_window_set_transient_for(GTK_WINDOW(help), GTK_WINDOW(window));
  gtk_window_present(GTK_WINDOW(help));
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(help) && gtk_widget_get_width(help) > 0, 10);
  sr_ui_test_screenshot(help, "shell-shortcuts");
  gtk_window_destroy(GTK_WINDOW(help));
}

/* ---- keys after a click elsewhere on the page -------------------------------------- */

static void
check_page_keys(SrWindow *window)
{
  sr_window_set_stage(window, "pairs");
  SrPagePairs *pairs = SR_PAGE_PAIRS(sr_window_get_page(window, "pairs"));
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(GTK_WIDGET(pairs)), 10);
  int frame = sr_page_pairs_get_frame(pairs);

  /* A toggle button (a view mode) clicked last has the focus. */
  GtkWidget *button = find_widget(GTK_WIDGET(pairs), GTK_TYPE_TOGGLE_BUTTON);
  g_assert_nonnull(button);
  gtk_widget_grab_focus(button);
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(pairs), GDK_KEY_Right));
  g_assert_cmpint(sr_page_pairs_get_frame(pairs), ==, frame + 1);
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(pairs), GDK_KEY_Left));
  g_assert_cmpint(sr_page_pairs_get_frame(pairs), ==, frame);
  SrViewer *viewer = SR_VIEWER(sr_page_pairs_get_viewer(pairs));
  SrViewerMode before = sr_viewer_get_mode(viewer);
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(pairs), GDK_KEY_t));
  g_assert_cmpint(sr_viewer_get_mode(viewer), !=, before);
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(pairs), GDK_KEY_d));
  g_assert_cmpint(sr_viewer_get_mode(viewer), ==, SR_VIEWER_MODE_DIFFERENCE);
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(pairs), GDK_KEY_w));
  g_assert_cmpint(sr_viewer_get_mode(viewer), ==, SR_VIEWER_MODE_WIPE);

  /* While a number is typed (the frame field), the arrows are the field's. */
  GtkWidget *spin = find_widget(GTK_WIDGET(pairs), GTK_TYPE_SPIN_BUTTON);
  g_assert_nonnull(spin);
  gtk_widget_grab_focus(spin);
  g_assert_false(sr_ui_test_press_page_key(GTK_WIDGET(pairs), GDK_KEY_Right));
  g_assert_cmpint(sr_page_pairs_get_frame(pairs), ==, frame);
}

/* ---- recent projects and the dialogs' folder ---------------------------------------- */

static void
check_recent_and_folders(SrApplication *app, SrWindow *window)
{
  SrProject *project = sr_window_get_project(window);
  g_autofree char *path = g_file_get_path(sr_project_get_file(project));

  /* The settings may keep nothing (a memory backend: no dconf); the
   * desktop's recent files still offer the project just opened. */
  GSettings *settings = sr_application_get_settings(app);
  if (settings)
    g_settings_set_strv(settings, "recent-projects", NULL);
  g_auto(GStrv) recent = sr_application_get_recent(app);
  g_assert_true(g_strv_contains((const char *const *)recent, path));
  SR_UI_WAIT_FOR(g_menu_model_get_n_items(G_MENU_MODEL(window->recent_menu)) > 0, 10);
  g_assert_true(gtk_widget_get_sensitive(window->recent_button));

  /* Dialogs start in the project's folder... */
  g_autoptr(GFile) folder = sr_window_dialog_folder(window);
  g_autoptr(GFile) parent = g_file_get_parent(sr_project_get_file(project));
  g_assert_true(g_file_equal(folder, parent));
  g_autofree char *source =
      sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  g_autofree char *source_dir = g_path_get_dirname(source);

  /* ...else the Source's, else home; never the folder the program runs in. */
  g_autoptr(SrProject) fresh = sr_project_new();
  sr_project_set_source_pattern(fresh, source);
  sr_project_set_modified(project, FALSE);
  sr_window_set_project(window, fresh);
  g_autoptr(GFile) from_source = sr_window_dialog_folder(window);
  g_autofree char *from_source_path = g_file_get_path(from_source);
  g_assert_cmpstr(from_source_path, ==, source_dir);
  sr_project_set_source_pattern(fresh, "");
  g_autoptr(GFile) home = sr_window_dialog_folder(window);
  g_autofree char *home_path = g_file_get_path(home);
  g_assert_cmpstr(home_path, ==, g_get_home_dir());

  /* The welcome screen lists it. */
  sr_project_set_modified(fresh, FALSE);
  sr_window_set_project(window, NULL);
  SR_UI_WAIT_FOR(gtk_widget_get_visible(window->recent_list) &&
                     gtk_widget_get_first_child(window->recent_list) != NULL,
                 10);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "shell-welcome-recent");
}

/* ---- the crop's edges, the Train page's patches --------------------------------------- */

static void
check_crop_note(SrWindow *window)
{
  sr_window_set_stage(window, "crop");
  SrPageCrop *crop = SR_PAGE_CROP(sr_window_get_page(window, "crop"));
  SrProject *project = sr_window_get_project(window);
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(GTK_WIDGET(crop)), 10);
  sr_ui_test_pump(500);
  sr_page_crop_apply(crop, (sr_rect){0, 0, 200, 160});
  g_assert_null(sr_page_crop_get_clamp_note(crop));
  /* X typed before the width was reduced: the box stops at the edge, and
   * the page says so. */
  sr_page_crop_apply(crop, (sr_rect){100000, 0, 200, 160});
  const char *note = sr_page_crop_get_clamp_note(crop);
  g_assert_nonnull(note);
  g_assert_nonnull(strstr(note, "X 100000"));
  sr_rect got = sr_project_get_crop(project);
  g_assert_cmpint(got.w, ==, 200);
  g_assert_cmpint(got.x, >, 0);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "shell-crop-clamped");
  /* Undone, the note about it goes too. */
  g_assert_true(sr_history_undo(sr_window_get_history(window), NULL));
  g_assert_null(sr_page_crop_get_clamp_note(crop));
  sr_page_crop_apply(crop, (sr_rect){100000, 0, 200, 160});
  g_assert_nonnull(sr_page_crop_get_clamp_note(crop));
  sr_page_crop_apply(crop, (sr_rect){0, 0, 200, 160});
  g_assert_null(sr_page_crop_get_clamp_note(crop));
}

static void
check_train_patches(SrWindow *window)
{
  SrProject *project = sr_window_get_project(window);
  SrTrainingSettings t;
  sr_project_get_training(project, &t);
  t.patch = 512;
  g_assert_true(sr_project_set_training(project, &t, NULL));
  sr_project_set_crop(project, (sr_rect){0, 0, 324, 200});
  sr_window_set_stage(window, "train");
  SrPageTrain *train = SR_PAGE_TRAIN(sr_window_get_page(window, "train"));
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(GTK_WIDGET(train)), 10);
  sr_ui_test_pump(200);
  /* 512 fitted to the 200-px side: 128; nothing larger is offered. */
  guint selected = gtk_drop_down_get_selected(GTK_DROP_DOWN(train->patch));
  g_assert_cmpuint(selected, <, train->patch_values->len);
  g_assert_cmpint(g_array_index(train->patch_values, int, selected), ==, 128);
  for (guint i = 0; i < train->patch_values->len; i++)
    g_assert_cmpint(g_array_index(train->patch_values, int, i), <=, 200);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "shell-train-small-crop");
}

static void
test_shell(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  check_shortcuts_window(app, window);
  check_page_keys(window);
  check_crop_note(window);
  check_train_patches(window);
  check_recent_and_folders(app, window);
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "shell");
  g_test_add_func("/ui/shell", test_shell);
  return sr_ui_test_finish(g_test_run());
}
