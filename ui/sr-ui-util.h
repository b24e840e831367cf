/* sr-ui-util.h — small helpers the stage pages share. */
#pragma once

#include <gtk/gtk.h>

#include "sr-job.h"

G_BEGIN_DECLS

/* Runs a job through the window that holds `widget` (job bar, banner), or
 * directly when the widget is not in a window yet. */
void sr_ui_run_job(GtkWidget *widget, SrJob *job, gboolean visible, GAsyncReadyCallback callback,
                   gpointer user_data);
/* Shows message in the window's error banner. */
void sr_ui_show_error(GtkWidget *widget, const char *message);
/* sr_window_show_problem() for the widget's window (a message outside one). */
gboolean sr_ui_show_problem(GtkWidget *widget, const char *message,
                            gboolean (*still)(GtkWidget *widget));
/* sr_window_save_first() for the widget's window: TRUE (data destroyed)
 * when the job may start now; FALSE when the window asks where to save the
 * project first and calls then(widget, data) once it is saved. Outside a
 * window, TRUE. */
gboolean sr_ui_save_first(GtkWidget *widget, void (*then)(GtkWidget *widget, gpointer data),
                          gpointer data, GDestroyNotify destroy);
/* Sets an editable's text only when it differs (keeps the cursor where the
 * user is typing). */
void sr_ui_editable_sync(GtkEditable *editable, const char *text);
/* A drop-down listing the colour spaces by their labels, in enum order. */
GtkStringList *sr_ui_colourspace_model(void);
/* Frame range text: "1001–1096 (96 frames)", with the missing frames if any. */
char *sr_ui_describe_range(int first, int last, int n_missing, const char *missing);
/* Adds a CSS class when on is TRUE, removes it otherwise. */
void sr_ui_set_class(GtkWidget *widget, const char *css_class, gboolean on);
/* The keys of a stage page, answered wherever the focus is on the page: a
 * capture-phase shortcut controller added to `page`, so a focused button,
 * check box, thumbnail or list does not swallow the arrows or a letter,
 * and the viewer need not be clicked first. Never while text is typed or
 * a popover is open. sr_ui_page_key() adds one unmodified key running the
 * page's `action` (args may be NULL). */
GtkShortcutController *sr_ui_page_keys_new(GtkWidget *page, const char *name);
void sr_ui_page_key(GtkShortcutController *keys, guint keyval, const char *action, GVariant *args);
/* The frame-jump keys every viewer page shares: Page Up and Page Down run
 * `step_action` (a static string) with -10 and 10, Home and End with
 * G_MININT32 and G_MAXINT32 (the first and the last frame). */
void sr_ui_page_jump_keys(GtkShortcutController *keys, const char *step_action);

G_END_DECLS

G_BEGIN_DECLS
/* Replaces the rows of a two-column GtkGrid with key/value labels:
 * key, value, key, value, ..., NULL. */
void sr_ui_fill_facts(GtkWidget *grid, ...) G_GNUC_NULL_TERMINATED;
G_END_DECLS
