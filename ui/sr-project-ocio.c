/* sr-project-ocio.c — the Project stage's OpenColorIO controls.
 *
 * A config row (the file in use, Choose…, Clear) and, under each sequence's
 * colour space, a picker listing the config's spaces as the config spells
 * them, with family and aliases. The config is read on a worker thread;
 * choosing a space stores its name in the project, where it replaces the
 * project's own space for that sequence. */
#include "sr-project-ocio.h"

#include <glib/gi18n.h>

#include "sr-colour.h"
#include "sr-ui-util.h"

struct _SrProjectOcio {
  GtkWidget *page;
  GtkWidget *config_label, *choose, *clear, *status;
  GtkWidget *space[2]; /* Source, Reference */
  GtkStringList *model;
  GPtrArray *names; /* parallel to model after the first "(none)" row */
  SrProject *project;
  char *loaded_path; /* the config the pickers list, or NULL */
  guint generation;
  gboolean busy, syncing;
};

/* ---- Reading the config (worker thread) ------------------------------------ */

typedef struct {
  SrProjectOcio *ocio;
  guint generation;
  char *path;
  GPtrArray *rows, *names; /* results */
  char *error;
} Load;

static void
load_free(gpointer data)
{
  Load *l = data;
  g_object_unref(l->ocio->page);
  g_free(l->path);
  g_clear_pointer(&l->rows, g_ptr_array_unref);
  g_clear_pointer(&l->names, g_ptr_array_unref);
  g_free(l->error);
  g_free(l);
}

static gboolean
load_thread(SrJob *job, gpointer data, GError **error)
{
  Load *l = data;
  sr_error err = {0};
  sr_ocio_config *cfg = sr_ocio_config_open(l->path, &err);
  if (!cfg) {
    l->error = g_strdup(err.message);
    return TRUE;
  }
  l->rows = g_ptr_array_new_with_free_func(g_free);
  l->names = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; i < sr_ocio_config_space_count(cfg); i++) {
    const char *name = sr_ocio_space_name(cfg, i);
    const char *family = sr_ocio_space_family(cfg, i);
    const char *aliases = sr_ocio_space_aliases(cfg, i);
    GString *row = g_string_new(name);
    if (*family)
      g_string_append_printf(row, " — %s", family);
    if (*aliases)
      g_string_append_printf(row, _(" (also %s)"), aliases);
    g_ptr_array_add(l->rows, g_string_free(row, FALSE));
    g_ptr_array_add(l->names, g_strdup(name));
  }
  g_ptr_array_add(l->rows, NULL); /* gtk_string_list_splice() wants it ended */
  sr_ocio_config_free(cfg);
  return TRUE;
}

static void
select_current(SrProjectOcio *o)
{
  o->syncing = TRUE;
  for (int k = 0; k < 2; k++) {
    const char *want = o->project ? sr_project_get_ocio_space(o->project, k == 0) : "";
    guint pos = 0;
    for (guint i = 0; o->names && i < o->names->len; i++)
      if (g_strcmp0(g_ptr_array_index(o->names, i), want) == 0)
        pos = i + 1;
    gtk_drop_down_set_selected(GTK_DROP_DOWN(o->space[k]), pos);
  }
  o->syncing = FALSE;
}

static void
show_status(SrProjectOcio *o, const char *text, gboolean is_error)
{
  gtk_label_set_text(GTK_LABEL(o->status), text ? text : "");
  gtk_widget_set_visible(o->status, text && *text);
  sr_ui_set_class(o->status, "field-error", is_error);
  sr_ui_set_class(o->status, "dim-label", !is_error);
}

static void
on_load_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  Load *l = sr_job_get_data(SR_JOB(source));
  SrProjectOcio *o = l->ocio;
  if (l->generation != o->generation)
    return;
  o->busy = FALSE;
  g_clear_pointer(&o->names, g_ptr_array_unref);
  guint old = g_list_model_get_n_items(G_LIST_MODEL(o->model));
  const char *none[] = {_("None: use the colour space above"), NULL};
  gtk_string_list_splice(o->model, 0, old, none);
  if (l->error) {
    show_status(o, l->error, TRUE);
  } else {
    gtk_string_list_splice(o->model, 1, 0, (const char *const *)l->rows->pdata);
    o->names = g_steal_pointer(&l->names);
    g_autofree char *text = g_strdup_printf(
        ngettext("%u colour space", "%u colour spaces", o->names->len), o->names->len);
    show_status(o, text, FALSE);
  }
  for (int k = 0; k < 2; k++)
    gtk_widget_set_visible(o->space[k], o->names != NULL);
  select_current(o);
}

/* Reloads the pickers when the config in use changed. */
void
sr_project_ocio_sync(SrProjectOcio *o)
{
  g_autofree char *path = o->project ? sr_project_get_ocio_config_path(o->project) : NULL;
  const char *stored = o->project ? sr_project_get_ocio_config(o->project) : "";
  g_autofree char *shown =
      path ? (*stored ? g_strdup(path) : g_strdup_printf(_("%s (from $OCIO)"), path))
           : g_strdup(_("None: the project's own colour spaces"));
  gtk_label_set_text(GTK_LABEL(o->config_label), shown);
  gtk_widget_set_sensitive(o->clear, *stored != '\0');
  if (g_strcmp0(path, o->loaded_path) == 0) {
    select_current(o);
    return;
  }
  g_free(o->loaded_path);
  o->loaded_path = g_strdup(path);
  o->generation++;
  if (!path) {
    g_clear_pointer(&o->names, g_ptr_array_unref);
    for (int k = 0; k < 2; k++)
      gtk_widget_set_visible(o->space[k], FALSE);
    show_status(o, NULL, FALSE);
    o->busy = FALSE;
    return;
  }
  Load *l = g_new0(Load, 1);
  l->ocio = o;
  g_object_ref(o->page); /* o lives as long as the page */
  l->generation = o->generation;
  l->path = g_strdup(path);
  o->busy = TRUE;
  show_status(o, _("Reading the config…"), FALSE);
  g_autoptr(SrJob) job = sr_job_new(_("Reading an OpenColorIO config"), load_thread, l, load_free);
  sr_ui_run_job(o->page, job, FALSE, on_load_done, NULL);
}

/* ---- User actions ----------------------------------------------------------- */

static void
on_space_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrProjectOcio *o)
{
  guint i = gtk_drop_down_get_selected(dropdown);
  if (o->syncing || !o->project || !o->names || i == GTK_INVALID_LIST_POSITION)
    return;
  const char *name = i == 0 ? "" : g_ptr_array_index(o->names, i - 1);
  sr_project_set_ocio_space(o->project, GTK_WIDGET(dropdown) == o->space[0], name);
}

static void
on_choose_response(GtkNativeDialog *dialog, int response, SrProjectOcio *o)
{
  if (response == GTK_RESPONSE_ACCEPT && o->project) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path)
      sr_project_set_ocio_config(o->project, path);
  }
  g_object_unref(dialog);
}

static void
on_choose_clicked(GtkButton *button, SrProjectOcio *o)
{
  GtkRoot *root = gtk_widget_get_root(o->page);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
      _("Choose an OpenColorIO Config"), GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
      GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, _("OpenColorIO configs (.ocio)"));
  gtk_file_filter_add_pattern(filter, "*.ocio");
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), filter);
  g_object_unref(filter);
  g_signal_connect(dialog, "response", G_CALLBACK(on_choose_response), o);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
on_clear_clicked(GtkButton *button, SrProjectOcio *o)
{
  if (!o->project)
    return;
  sr_project_set_ocio_space(o->project, TRUE, "");
  sr_project_set_ocio_space(o->project, FALSE, "");
  sr_project_set_ocio_config(o->project, "");
}

/* ---- Construction ----------------------------------------------------------- */

SrProjectOcio *
sr_project_ocio_new(GtkWidget *page, GtkBox *config_box, GtkBox *source_box, GtkBox *reference_box)
{
  SrProjectOcio *o = g_new0(SrProjectOcio, 1);
  o->page = page;
  o->model = gtk_string_list_new(NULL);

  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *title = gtk_label_new(_("OpenColorIO config"));
  gtk_widget_add_css_class(title, "field-label");
  o->config_label = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(o->config_label), 0);
  gtk_label_set_ellipsize(GTK_LABEL(o->config_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_selectable(GTK_LABEL(o->config_label), TRUE);
  gtk_widget_set_hexpand(o->config_label, TRUE);
  o->choose = gtk_button_new_with_label(_("Choose…"));
  gtk_widget_set_tooltip_text(o->choose,
                              _("An OpenColorIO config whose colour spaces the Source, Reference "
                                "and delivery may use; without one, $OCIO is used when set"));
  o->clear = gtk_button_new_with_label(_("Clear"));
  gtk_box_append(GTK_BOX(row), title);
  gtk_box_append(GTK_BOX(row), o->config_label);
  gtk_box_append(GTK_BOX(row), o->choose);
  gtk_box_append(GTK_BOX(row), o->clear);
  gtk_box_append(config_box, row);
  o->status = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(o->status), 0);
  gtk_label_set_wrap(GTK_LABEL(o->status), TRUE);
  gtk_label_set_selectable(GTK_LABEL(o->status), TRUE);
  gtk_widget_add_css_class(o->status, "caption");
  gtk_widget_set_visible(o->status, FALSE);
  gtk_box_append(config_box, o->status);
  g_signal_connect(o->choose, "clicked", G_CALLBACK(on_choose_clicked), o);
  g_signal_connect(o->clear, "clicked", G_CALLBACK(on_clear_clicked), o);

  GtkBox *boxes[2] = {source_box, reference_box};
  for (int k = 0; k < 2; k++) {
    o->space[k] = gtk_drop_down_new(G_LIST_MODEL(g_object_ref(o->model)), NULL);
    gtk_widget_set_halign(o->space[k], GTK_ALIGN_START);
    gtk_widget_set_tooltip_text(o->space[k],
                                _("A colour space of the OpenColorIO config; when chosen it "
                                  "replaces the colour space above"));
    gtk_widget_set_visible(o->space[k], FALSE);
    g_signal_connect(o->space[k], "notify::selected", G_CALLBACK(on_space_selected), o);
    gtk_box_append(boxes[k], o->space[k]);
  }
  return o;
}

void
sr_project_ocio_set_project(SrProjectOcio *o, SrProject *project)
{
  o->project = project;
  sr_project_ocio_sync(o);
}

void
sr_project_ocio_free(SrProjectOcio *o)
{
  if (!o)
    return;
  o->generation++; /* a load still running finds nothing to fill */
  g_clear_pointer(&o->names, g_ptr_array_unref);
  g_clear_object(&o->model);
  g_free(o->loaded_path);
  g_free(o);
}

gboolean
sr_project_ocio_get_busy(SrProjectOcio *o)
{
  return o->busy;
}

guint
sr_project_ocio_get_space_count(SrProjectOcio *o)
{
  return o->names ? o->names->len : 0;
}

const char *
sr_project_ocio_get_row(SrProjectOcio *o, guint i)
{
  return gtk_string_list_get_string(o->model, i + 1);
}

gboolean
sr_project_ocio_choose(SrProjectOcio *o, gboolean source, guint i)
{
  if (!o->names || i >= o->names->len)
    return FALSE;
  gtk_drop_down_set_selected(GTK_DROP_DOWN(o->space[source ? 0 : 1]), i + 1);
  return TRUE;
}

const char *
sr_project_ocio_get_status(SrProjectOcio *o)
{
  return gtk_widget_get_visible(o->status) ? gtk_label_get_text(GTK_LABEL(o->status)) : NULL;
}
