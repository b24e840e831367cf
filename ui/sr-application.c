/* sr-application.c — see sr-application.h. */
#include "sr-config.h"

#include "sr-application.h"

#include "sr-page-train.h"

#include <glib/gi18n.h>

#include "sr-window.h"

#define RECENT_MAX      10
#define SR_PROJECT_MIME "application/x-spatial-recovery-project"

struct _SrApplication {
  GtkApplication parent_instance;
  GSettings *settings;
  GtkCssProvider *css;
};

G_DEFINE_FINAL_TYPE(SrApplication, sr_application, GTK_TYPE_APPLICATION)

/* Installed schemas first, then the build folder, so an uninstalled build
 * remembers its settings too. */
static GSettings *
load_settings(void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default();
  GSettingsSchema *schema = NULL;
  GSettings *settings = NULL;

  if (source)
    schema = g_settings_schema_source_lookup(source, SR_APP_ID, TRUE);
  if (!schema) {
    g_autofree char *dir = g_build_filename(SR_BUILD_ROOT, "data", NULL);
    GSettingsSchemaSource *local =
        g_settings_schema_source_new_from_directory(dir, source, FALSE, NULL);
    if (local) {
      schema = g_settings_schema_source_lookup(local, SR_APP_ID, FALSE);
      g_settings_schema_source_unref(local);
    }
  }
  if (schema) {
    settings = g_settings_new_full(schema, NULL, NULL);
    g_settings_schema_unref(schema);
  }
  return settings;
}

static void
action_quit(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION(user_data);
  GList *windows = gtk_application_get_windows(app);

  /* Each window asks about unsaved changes in its close-request handler. */
  for (GList *l = windows; l; l = l->next)
    gtk_window_close(GTK_WINDOW(l->data));
}

static void
action_about(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION(user_data);
  const char *authors[] = {"The Spatial Recovery developers", NULL};

  gtk_show_about_dialog(gtk_application_get_active_window(app), "program-name", "Spatial Recovery",
                        "logo-icon-name", SR_APP_ID, "version", SR_VERSION, "comments",
                        _("Recover film detail from a better reference scan "
                          "while keeping the original colour."),
                        "license-type", GTK_LICENSE_GPL_3_0, "authors", authors,
                        /* Translators: your names, one per line. */
                        "translator-credits", _("translator-credits"), "modal", TRUE, NULL);
}

static const GActionEntry app_actions[] = {
    {"quit", action_quit, NULL, NULL, NULL, {0}},
    {"about", action_about, NULL, NULL, NULL, {0}},
};

static void
set_accels(GtkApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
      {"app.quit", {"<Control>q", NULL}},
      {"win.new", {"<Control>n", NULL}},
      {"win.open", {"<Control>o", NULL}},
      {"win.save", {"<Control>s", NULL}},
      {"win.save-as", {"<Control><Shift>s", NULL}},
      {"win.undo", {"<Control>z", NULL}},
      {"win.redo", {"<Control><Shift>z", "<Control>y", NULL}},
      {"win.close", {"<Control>w", NULL}},
      {"win.stage::project", {"<Alt>1", NULL}},
      {"win.stage::pairs", {"<Alt>2", NULL}},
      {"win.stage::crop", {"<Alt>3", NULL}},
      {"win.stage::train", {"<Alt>4", NULL}},
      {"win.stage::render", {"<Alt>5", NULL}},
      {"win.stage::review", {"<Alt>6", NULL}},
      {"win.stage::deliver", {"<Alt>7", NULL}},
      {"win.show-help-overlay", {"<Control>question", NULL}},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(accels); i++)
    gtk_application_set_accels_for_action(app, accels[i].action, accels[i].accels);
}

static void
sr_application_startup(GApplication *app)
{
  SrApplication *self = SR_APPLICATION(app);

  G_APPLICATION_CLASS(sr_application_parent_class)->startup(app);

  g_object_set(gtk_settings_get_default(), "gtk-application-prefer-dark-theme", TRUE, NULL);
  self->css = gtk_css_provider_new();
  gtk_css_provider_load_from_resource(self->css,
                                      "/io/github/spatialrecovery/SpatialRecovery/style.css");
  gtk_style_context_add_provider_for_display(gdk_display_get_default(),
                                             GTK_STYLE_PROVIDER(self->css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_window_set_default_icon_name(SR_APP_ID);

  g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions), app);
  set_accels(GTK_APPLICATION(app));
}

static SrWindow *
ensure_window(SrApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(self));

  if (!window)
    window = GTK_WINDOW(sr_window_new(self));
  return SR_WINDOW(window);
}

static void
sr_application_shutdown(GApplication *app)
{
  sr_page_train_stop_estimates();
  G_APPLICATION_CLASS(sr_application_parent_class)->shutdown(app);
}

static void
sr_application_activate(GApplication *app)
{
  SrApplication *self = SR_APPLICATION(app);
  gboolean fresh = gtk_application_get_active_window(GTK_APPLICATION(app)) == NULL;
  SrWindow *window = ensure_window(self);

  gtk_window_present(GTK_WINDOW(window));
  if (fresh && self->settings && g_settings_get_boolean(self->settings, "reopen-last-project")) {
    g_autofree char *last = g_settings_get_string(self->settings, "last-project");
    if (last[0] && g_file_test(last, G_FILE_TEST_IS_REGULAR)) {
      g_autoptr(GFile) file = g_file_new_for_path(last);
      sr_window_open_file(window, file);
    }
  }
}

static void
sr_application_open(GApplication *app, GFile **files, int n_files, const char *hint)
{
  SrWindow *window = ensure_window(SR_APPLICATION(app));

  gtk_window_present(GTK_WINDOW(window));
  /* One project per window: the last file named wins. */
  if (n_files > 0)
    sr_window_open_file(window, files[n_files - 1]);
}

static void
sr_application_dispose(GObject *object)
{
  SrApplication *self = SR_APPLICATION(object);

  g_clear_object(&self->settings);
  g_clear_object(&self->css);
  G_OBJECT_CLASS(sr_application_parent_class)->dispose(object);
}

static void
sr_application_class_init(SrApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS(klass);

  object_class->dispose = sr_application_dispose;
  app_class->startup = sr_application_startup;
  app_class->activate = sr_application_activate;
  app_class->shutdown = sr_application_shutdown;
  app_class->open = sr_application_open;
}

static void
sr_application_init(SrApplication *self)
{
  self->settings = load_settings();
}

SrApplication *
sr_application_new(GApplicationFlags extra_flags)
{
  return g_object_new(SR_TYPE_APPLICATION, "application-id", SR_APP_ID, "resource-base-path",
                      "/io/github/spatialrecovery/SpatialRecovery", "flags",
                      G_APPLICATION_HANDLES_OPEN | extra_flags, NULL);
}

GSettings *
sr_application_get_settings(SrApplication *self)
{
  g_return_val_if_fail(SR_IS_APPLICATION(self), NULL);
  return self->settings;
}

void
sr_application_add_recent(SrApplication *self, const char *path)
{
  g_return_if_fail(SR_IS_APPLICATION(self));
  if (!path)
    return;
  g_autofree char *uri = g_filename_to_uri(path, NULL, NULL);
  GtkRecentData data = {
      .mime_type = (char *)SR_PROJECT_MIME,
      .app_name = (char *)g_get_application_name(),
      .app_exec = (char *)"spatial-recovery %u",
  };
  if (uri)
    gtk_recent_manager_add_full(gtk_recent_manager_get_default(), uri, &data);
  if (!self->settings)
    return;

  g_auto(GStrv) old = g_settings_get_strv(self->settings, "recent-projects");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
  guint n = 1;

  g_strv_builder_add(builder, path);
  for (guint i = 0; old[i] && n < RECENT_MAX; i++) {
    if (g_strcmp0(old[i], path) == 0)
      continue;
    g_strv_builder_add(builder, old[i]);
    n++;
  }
  g_auto(GStrv) list = g_strv_builder_end(builder);
  g_settings_set_strv(self->settings, "recent-projects", (const char *const *)list);
  g_settings_set_string(self->settings, "last-project", path);
}

static gint
newest_first(gconstpointer a, gconstpointer b)
{
  GDateTime *ta = gtk_recent_info_get_modified(*(GtkRecentInfo *const *)a);
  GDateTime *tb = gtk_recent_info_get_modified(*(GtkRecentInfo *const *)b);
  return ta && tb ? g_date_time_compare(tb, ta) : 0;
}

static gboolean
is_project_info(GtkRecentInfo *info)
{
  const char *mime = gtk_recent_info_get_mime_type(info);
  return gtk_recent_info_is_local(info) &&
         (g_strcmp0(mime, SR_PROJECT_MIME) == 0 ||
          g_str_has_suffix(gtk_recent_info_get_uri(info), ".srproj"));
}

char **
sr_application_get_recent(SrApplication *self)
{
  g_return_val_if_fail(SR_IS_APPLICATION(self), NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  guint n = 0;

  g_auto(GStrv) listed =
      self->settings ? g_settings_get_strv(self->settings, "recent-projects") : g_new0(char *, 1);
  for (guint i = 0; listed[i] && n < RECENT_MAX; i++) {
    if (!g_file_test(listed[i], G_FILE_TEST_IS_REGULAR) || g_hash_table_contains(seen, listed[i]))
      continue;
    g_hash_table_add(seen, g_strdup(listed[i]));
    g_strv_builder_add(builder, listed[i]);
    n++;
  }
  GList *items = gtk_recent_manager_get_items(gtk_recent_manager_get_default());
  g_autoptr(GPtrArray) infos = g_ptr_array_new();
  for (GList *l = items; l; l = l->next)
    if (is_project_info(l->data))
      g_ptr_array_add(infos, l->data);
  g_ptr_array_sort(infos, newest_first);
  for (guint i = 0; i < infos->len && n < RECENT_MAX; i++) {
    char *path = g_filename_from_uri(gtk_recent_info_get_uri(infos->pdata[i]), NULL, NULL);
    if (path && g_file_test(path, G_FILE_TEST_IS_REGULAR) && !g_hash_table_contains(seen, path)) {
      g_strv_builder_add(builder, path);
      g_hash_table_add(seen, path);
      n++;
    } else {
      g_free(path);
    }
  }
  g_list_free_full(items, (GDestroyNotify)gtk_recent_info_unref);
  return g_strv_builder_end(builder);
}

char *
sr_application_get_demo_dir(void)
{
  return g_build_filename(g_get_user_cache_dir(), "spatial-recovery", "demo", NULL);
}
