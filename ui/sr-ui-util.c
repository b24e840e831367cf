/* sr-ui-util.c — see sr-ui-util.h. */
#include "sr-ui-util.h"

#include <glib/gi18n.h>

#include "sr-colour.h"
#include "sr-window-private.h"

void
sr_ui_run_job(GtkWidget *widget, SrJob *job, gboolean visible, GAsyncReadyCallback callback,
              gpointer user_data)
{
  GtkWidget *window = gtk_widget_get_ancestor(widget, SR_TYPE_WINDOW);

  if (window)
    sr_window_run_job(SR_WINDOW(window), job, visible, callback, user_data);
  else
    sr_job_start(job, NULL, callback, user_data);
}

void
sr_ui_show_error(GtkWidget *widget, const char *message)
{
  GtkWidget *window = gtk_widget_get_ancestor(widget, SR_TYPE_WINDOW);

  if (window) {
    sr_window_show_error(SR_WINDOW(window), message);
    sr_window_note_error_page(SR_WINDOW(window), widget);
  } else {
    g_message("%s", message);
  }
}

gboolean
sr_ui_show_problem(GtkWidget *widget, const char *message, gboolean (*still)(GtkWidget *widget))
{
  GtkWidget *window = gtk_widget_get_ancestor(widget, SR_TYPE_WINDOW);

  if (!window) {
    g_message("%s", message);
    return FALSE;
  }
  sr_window_show_problem(SR_WINDOW(window), widget, message, still);
  return TRUE;
}

gboolean
sr_ui_save_first(GtkWidget *widget, void (*then)(GtkWidget *widget, gpointer data), gpointer data,
                 GDestroyNotify destroy)
{
  GtkWidget *window = gtk_widget_get_ancestor(widget, SR_TYPE_WINDOW);

  if (!window) {
    if (destroy)
      destroy(data);
    return TRUE;
  }
  return sr_window_save_first(SR_WINDOW(window), widget, then, data, destroy);
}

void
sr_ui_editable_sync(GtkEditable *editable, const char *text)
{
  if (g_strcmp0(gtk_editable_get_text(editable), text ? text : "") != 0)
    gtk_editable_set_text(editable, text ? text : "");
}

GtkStringList *
sr_ui_colourspace_model(void)
{
  GtkStringList *list = gtk_string_list_new(NULL);

  for (int i = 0; i < SR_CS_COUNT; i++)
    gtk_string_list_append(list, sr_colourspace_label((sr_colourspace)i));
  return list;
}

char *
sr_ui_describe_range(int first, int last, int n_missing, const char *missing)
{
  int n = last - first + 1;

  if (n_missing > 0)
    return g_strdup_printf(_("%d–%d (%d present, %d missing: %s)"), first, last, n - n_missing,
                           n_missing, missing);
  return g_strdup_printf(ngettext("%d–%d (%d frame)", "%d–%d (%d frames)", n), first, last, n);
}

void
sr_ui_set_class(GtkWidget *widget, const char *css_class, gboolean on)
{
  if (on)
    gtk_widget_add_css_class(widget, css_class);
  else
    gtk_widget_remove_css_class(widget, css_class);
}

void
sr_ui_fill_facts(GtkWidget *grid, ...)
{
  GtkWidget *child;
  va_list ap;
  const char *key;
  int row = 0;

  while ((child = gtk_widget_get_first_child(grid)))
    gtk_grid_remove(GTK_GRID(grid), child);
  va_start(ap, grid);
  while ((key = va_arg(ap, const char *))) {
    const char *value = va_arg(ap, const char *);
    GtkWidget *k = gtk_label_new(key);
    GtkWidget *v = gtk_label_new(value && value[0] ? value : "—");
    gtk_label_set_xalign(GTK_LABEL(k), 1);
    gtk_label_set_yalign(GTK_LABEL(k), 0);
    gtk_widget_add_css_class(k, "field-label");
    gtk_label_set_xalign(GTK_LABEL(v), 0);
    gtk_label_set_wrap(GTK_LABEL(v), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(v), PANGO_WRAP_WORD_CHAR);
    /* Long values wrap instead of widening the card past its column. */
    gtk_label_set_max_width_chars(GTK_LABEL(v), 40);
    gtk_label_set_selectable(GTK_LABEL(v), FALSE);
    gtk_widget_set_hexpand(v, TRUE);
    gtk_grid_attach(GTK_GRID(grid), k, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), v, 1, row, 1, 1);
    row++;
  }
  va_end(ap);
}

static gboolean
on_page_key(GtkWidget *widget, GVariant *args, gpointer user_data)
{
  GtkRoot *root = gtk_widget_get_root(widget);
  GtkWidget *focus = root ? gtk_root_get_focus(root) : NULL;

  if (focus && (GTK_IS_EDITABLE(focus) || GTK_IS_TEXT_VIEW(focus) ||
                gtk_widget_get_ancestor(focus, GTK_TYPE_POPOVER)))
    return FALSE;
  if (!gtk_widget_get_mapped(widget))
    return FALSE;
  return gtk_widget_activate_action_variant(widget, user_data, args);
}

GtkShortcutController *
sr_ui_page_keys_new(GtkWidget *page, const char *name)
{
  GtkEventController *keys = gtk_shortcut_controller_new();
  gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name(keys, name);
  gtk_widget_add_controller(page, keys);
  return GTK_SHORTCUT_CONTROLLER(keys);
}

void
sr_ui_page_key(GtkShortcutController *keys, guint keyval, const char *action, GVariant *args)
{
  GtkShortcut *s = gtk_shortcut_new(gtk_keyval_trigger_new(keyval, 0),
                                    gtk_callback_action_new(on_page_key, (gpointer)action, NULL));
  if (args)
    gtk_shortcut_set_arguments(s, args);
  gtk_shortcut_controller_add_shortcut(keys, s);
}

void
sr_ui_page_jump_keys(GtkShortcutController *keys, const char *step_action)
{
  sr_ui_page_key(keys, GDK_KEY_Page_Up, step_action, g_variant_new_int32(-10));
  sr_ui_page_key(keys, GDK_KEY_Page_Down, step_action, g_variant_new_int32(10));
  sr_ui_page_key(keys, GDK_KEY_Home, step_action, g_variant_new_int32(G_MININT32));
  sr_ui_page_key(keys, GDK_KEY_End, step_action, g_variant_new_int32(G_MAXINT32));
}
