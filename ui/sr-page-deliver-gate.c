/* sr-page-deliver-gate.c — the Deliver page's sign-off: what stands between
 * the render and its delivery (a render still running, QA skipped,
 * unticked acceptance items, flagged frames) listed above the Deliver
 * button, and the override dialog that asks who decides and why, records
 * the override in the project and then delivers. The rule itself is the
 * pipeline's (sr_delivery_gate_blockers): the page only shows it. */
#include "sr-config.h"

#include "sr-page-deliver-private.h"

#include <glib/gi18n.h>

#include "sr-delivery.h"
#include "sr-ui-util.h"
#include "sr-window.h"

static gboolean
render_running(SrPageDeliver *self)
{
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  GtkWidget *render = SR_IS_WINDOW(root) ? sr_window_get_page(SR_WINDOW(root), "render") : NULL;
  return render && sr_stage_page_get_busy(SR_STAGE_PAGE(render));
}

GPtrArray *
sr_page_deliver_dup_blockers(SrPageDeliver *self)
{
  SrProject *p = sr_page_deliver_project_of(self);
  if (!p)
    return g_ptr_array_new_with_free_func(g_free);
  /* QA's own flags are known once the note measures the frames; a refusal
   * that named them is kept in gate_refusal. */
  SrGateInput in = {
      .qa_run = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->note_check)),
      .render_running = render_running(self),
  };
  return sr_delivery_gate_blockers(p, &in);
}

static char *
bullets(GPtrArray *blockers)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < blockers->len; i++)
    g_string_append_printf(s, "%s• %s", i ? "\n" : "", (char *)g_ptr_array_index(blockers, i));
  return g_string_free(s, FALSE);
}

void
sr_page_deliver_gate_build(SrPageDeliver *self)
{
  self->gate_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_add_css_class(self->gate_box, "deliver-gate");
  GtkWidget *heading = gtk_label_new(_("Not signed off"));
  gtk_label_set_xalign(GTK_LABEL(heading), 0);
  gtk_widget_add_css_class(heading, "heading");
  self->gate_label = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(self->gate_label), 0);
  gtk_label_set_wrap(GTK_LABEL(self->gate_label), TRUE);
  gtk_label_set_wrap_mode(GTK_LABEL(self->gate_label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class(self->gate_label, "field-warning");
  GtkWidget *hint = gtk_label_new(_("Tick the acceptance items and clear the flags on the Review "
                                    "page, or deliver anyway with an override that records who "
                                    "decided and why."));
  gtk_label_set_xalign(GTK_LABEL(hint), 0);
  gtk_label_set_wrap(GTK_LABEL(hint), TRUE);
  gtk_widget_add_css_class(hint, "dim-label");
  gtk_box_append(GTK_BOX(self->gate_box), heading);
  gtk_box_append(GTK_BOX(self->gate_box), self->gate_label);
  gtk_box_append(GTK_BOX(self->gate_box), hint);
  gtk_widget_set_visible(self->gate_box, FALSE);
  gtk_box_insert_child_after(GTK_BOX(self->work_area), self->gate_box, self->warning_label);
}

void
sr_page_deliver_gate_update(SrPageDeliver *self)
{
  if (!self->gate_box)
    return;
  g_autoptr(GPtrArray) blockers = sr_page_deliver_dup_blockers(self);
  g_autofree char *text = bullets(blockers);
  gtk_label_set_text(GTK_LABEL(self->gate_label), text);
  gtk_widget_set_visible(self->gate_box, blockers->len > 0 && self->can_deliver);
  gtk_button_set_label(GTK_BUTTON(self->deliver_button),
                       blockers->len > 0 || self->gate_refusal ? _("Deliver…") : _("Deliver"));
}

void
sr_page_deliver_gate_job_failed(SrPageDeliver *self, const GError *error)
{
  g_clear_pointer(&self->gate_refusal, g_free);
  if (g_error_matches(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_GATE))
    self->gate_refusal = g_strdup(error->message);
  sr_page_deliver_gate_update(self);
}

gboolean
sr_page_deliver_override_and_start(SrPageDeliver *self, const char *who, const char *reason,
                                   GError **error)
{
  SrProject *p = sr_page_deliver_project_of(self);
  if (!p) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING, _("No project is open."));
    return FALSE;
  }
  g_autoptr(GPtrArray) blockers = sr_page_deliver_dup_blockers(self);
  if (self->gate_refusal)
    g_ptr_array_add(blockers, g_strdup(self->gate_refusal));
  g_ptr_array_add(blockers, NULL);
  if (!sr_project_add_override(p, who, reason, (const char *const *)blockers->pdata, error))
    return FALSE;
  g_clear_pointer(&self->gate_refusal, g_free);
  self->use_override = TRUE;
  gboolean ok = sr_page_deliver_start(self, NULL, error);
  self->use_override = FALSE;
  return ok;
}

/* ---- the dialog ------------------------------------------------------------------- */

static void
close_dialog(SrPageDeliver *self)
{
  if (self->override_dialog)
    gtk_window_destroy(GTK_WINDOW(self->override_dialog));
}

static void
on_dialog_destroy(GtkWidget *dialog, SrPageDeliver *self)
{
  if (self->override_dialog == dialog)
    self->override_dialog = NULL;
}

static const char *
entry_text(SrPageDeliver *self, const char *key)
{
  GtkWidget *e = g_object_get_data(G_OBJECT(self->override_dialog), key);
  return gtk_editable_get_text(GTK_EDITABLE(e));
}

static void
on_entries_changed(SrPageDeliver *self)
{
  GtkWidget *go = g_object_get_data(G_OBJECT(self->override_dialog), "go");
  gtk_widget_set_sensitive(go, sr_override_text_ok(entry_text(self, "who")) &&
                                   sr_override_text_ok(entry_text(self, "why")));
}

static void
on_dialog_go(GtkButton *button, SrPageDeliver *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *who = g_strdup(entry_text(self, "who"));
  g_autofree char *why = g_strdup(entry_text(self, "why"));
  close_dialog(self);
  if (!sr_page_deliver_override_and_start(self, who, why, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static GtkWidget *
field(GtkWidget *grid, int row, const char *label, GtkWidget *entry)
{
  GtkWidget *l = gtk_label_new_with_mnemonic(label);
  gtk_label_set_xalign(GTK_LABEL(l), 1);
  gtk_label_set_mnemonic_widget(GTK_LABEL(l), entry);
  gtk_widget_set_hexpand(entry, TRUE);
  gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), entry, 1, row, 1, 1);
  return entry;
}

static const char *
default_who(void)
{
  const char *real = g_get_real_name();
  return real && *real && g_strcmp0(real, "Unknown") != 0 ? real : g_get_user_name();
}

static GtkWidget *
wrapped_label(const char *text, const char *css_class)
{
  GtkWidget *l = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars(GTK_LABEL(l), 70);
  if (css_class)
    gtk_widget_add_css_class(l, css_class);
  return l;
}

GtkWidget *
sr_page_deliver_show_override_dialog(SrPageDeliver *self)
{
  close_dialog(self);
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  GtkWidget *d = gtk_window_new();
  self->override_dialog = d;
  g_signal_connect(d, "destroy", G_CALLBACK(on_dialog_destroy), self);
  gtk_window_set_title(GTK_WINDOW(d), _("Deliver Without Sign-off"));
  gtk_window_set_modal(GTK_WINDOW(d), TRUE);
  gtk_window_set_default_size(GTK_WINDOW(d), 560, -1);
  if (GTK_IS_WINDOW(root))
    gtk_window_set_transient_for(GTK_WINDOW(d), GTK_WINDOW(root));
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start(box, 18);
  gtk_widget_set_margin_end(box, 18);
  gtk_widget_set_margin_top(box, 18);
  gtk_widget_set_margin_bottom(box, 18);
  gtk_box_append(GTK_BOX(box), wrapped_label(_("This delivery is not signed off:"), "heading"));
  g_autoptr(GPtrArray) blockers = sr_page_deliver_dup_blockers(self);
  if (self->gate_refusal)
    g_ptr_array_add(blockers, g_strdup(self->gate_refusal));
  g_autofree char *list = bullets(blockers);
  gtk_box_append(GTK_BOX(box), wrapped_label(list, "field-warning"));
  gtk_box_append(GTK_BOX(box),
                 wrapped_label(_("An override is recorded with your name, the time and your "
                                 "reason in the project, the validation note and the delivery's "
                                 "sidecars."),
                               "dim-label"));
  GtkWidget *grid = gtk_grid_new();
  gtk_grid_set_row_spacing(GTK_GRID(grid), 8);
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  GtkWidget *who = field(grid, 0, _("_Who decides"), gtk_entry_new());
  gtk_editable_set_text(GTK_EDITABLE(who), default_who());
  GtkWidget *why = field(grid, 1, _("_Why"), gtk_entry_new());
  gtk_entry_set_placeholder_text(GTK_ENTRY(why), _("e.g. the curator accepted the flagged frames"));
  gtk_box_append(GTK_BOX(box), grid);
  GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_halign(buttons, GTK_ALIGN_END);
  GtkWidget *cancel = gtk_button_new_with_mnemonic(_("_Cancel"));
  GtkWidget *go = gtk_button_new_with_mnemonic(_("_Deliver Anyway"));
  gtk_widget_add_css_class(go, "destructive-action");
  gtk_box_append(GTK_BOX(buttons), cancel);
  gtk_box_append(GTK_BOX(buttons), go);
  gtk_box_append(GTK_BOX(box), buttons);
  gtk_window_set_child(GTK_WINDOW(d), box);
  g_object_set_data(G_OBJECT(d), "who", who);
  g_object_set_data(G_OBJECT(d), "why", why);
  g_object_set_data(G_OBJECT(d), "go", go);
  g_signal_connect_swapped(who, "changed", G_CALLBACK(on_entries_changed), self);
  g_signal_connect_swapped(why, "changed", G_CALLBACK(on_entries_changed), self);
  g_signal_connect_swapped(cancel, "clicked", G_CALLBACK(close_dialog), self);
  g_signal_connect(go, "clicked", G_CALLBACK(on_dialog_go), self);
  on_entries_changed(self);
  gtk_window_present(GTK_WINDOW(d));
  gtk_widget_grab_focus(why);
  return d;
}

void
sr_page_deliver_request(SrPageDeliver *self)
{
  g_autoptr(GPtrArray) blockers = sr_page_deliver_dup_blockers(self);
  if (blockers->len > 0 || self->gate_refusal) {
    sr_page_deliver_show_override_dialog(self);
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!sr_page_deliver_start(self, NULL, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

void
sr_page_deliver_gate_dispose(SrPageDeliver *self)
{
  close_dialog(self);
  g_clear_pointer(&self->gate_refusal, g_free);
}

GtkWidget *
sr_page_deliver_get_override_dialog(SrPageDeliver *self)
{
  return self->override_dialog;
}
