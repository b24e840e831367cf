/* sr-page-render-flags.c — the Render page's review panel and flags: the
 * frame under review, flagging it as an outlier with a reason, the list of
 * flagged frames, and adding them as training pairs in one edit. */
#include "sr-page-render-private.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-filmstrip.h"
#include "sr-page-pairs.h"
#include "sr-ui-util.h"
#include "sr-window.h"

/* Reasons the guide lists for outliers; the popover offers them first. */
static const char *const common_reasons[] = {
    N_("Over-sharpening"), N_("Halos"),          N_("Grain inconsistency"),
    N_("Flicker"),         N_("Edge artefacts"),
};

/* ---- Review panel ------------------------------------------------------------- */

void
sr_page_render_on_flag_row_activated(GtkListBox *list, GtkListBoxRow *row, SrPageRender *self)
{
  sr_page_render_set_frame(self, GPOINTER_TO_INT(g_object_get_data(G_OBJECT(row), "frame")));
}

static void
rebuild_flag_list(SrPageRender *self)
{
  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(int));
  const GArray *flags = sr_project_get_flags(sr_page_render_project_of(self));
  GHashTableIter it;
  gpointer key, value;
  GtkWidget *child;

  for (guint i = 0; i < flags->len; i++)
    g_array_append_val(frames, g_array_index(flags, SrFlag, i).frame);
  g_hash_table_iter_init(&it, self->qa);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    int f = GPOINTER_TO_INT(key);
    if (*(const char *)value && !sr_page_render_find_flag(self, f))
      g_array_append_val(frames, f);
  }
  g_array_sort(frames, sr_page_render_compare_int);

  /* Rebuilt only when what it shows changed: rows are cheap, relayouts less so. */
  GString *sig = g_string_new(NULL);
  for (guint i = 0; i < frames->len; i++) {
    int f = g_array_index(frames, int, i);
    const SrFlag *flag = sr_page_render_find_flag(self, f);
    g_string_append_printf(sig, "%d|%s|%s|%d%d\n", f, flag ? flag->reason : "",
                           (const char *)g_hash_table_lookup(self->qa, GINT_TO_POINTER(f)) ?: "",
                           sr_project_is_held_out(sr_page_render_project_of(self), f),
                           sr_project_has_pair(sr_page_render_project_of(self), f));
  }
  if (self->flag_list_sig && strcmp(sig->str, self->flag_list_sig) == 0) {
    g_string_free(sig, TRUE);
    return;
  }
  g_free(self->flag_list_sig);
  self->flag_list_sig = g_string_free(sig, FALSE);

  while ((child = gtk_widget_get_first_child(self->flag_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->flag_list), child);
  for (guint i = 0; i < frames->len; i++) {
    int f = g_array_index(frames, int, i);
    const SrFlag *flag = sr_page_render_find_flag(self, f);
    const char *qa = g_hash_table_lookup(self->qa, GINT_TO_POINTER(f));
    GtkWidget *row = gtk_list_box_row_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    g_autofree char *name = g_strdup_printf(_("Frame %d"), f);
    GtkWidget *label = gtk_label_new(name);

    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_widget_set_hexpand(label, TRUE);
    gtk_widget_add_css_class(label, "numeric");
    gtk_box_append(GTK_BOX(top), label);
    if (sr_project_is_held_out(sr_page_render_project_of(self), f)) {
      GtkWidget *held = gtk_label_new(_("held out"));
      gtk_widget_add_css_class(held, "status-warn");
      gtk_widget_add_css_class(held, "caption");
      gtk_box_append(GTK_BOX(top), held);
    } else if (sr_project_has_pair(sr_page_render_project_of(self), f)) {
      GtkWidget *pair = gtk_label_new(_("pair"));
      gtk_widget_add_css_class(pair, "dim-label");
      gtk_widget_add_css_class(pair, "caption");
      gtk_box_append(GTK_BOX(top), pair);
    }
    if (qa && *qa) {
      GtkWidget *badge = gtk_label_new(_("QA"));
      gtk_widget_add_css_class(badge, "thumb-badge");
      gtk_widget_add_css_class(badge, "qa");
      gtk_box_append(GTK_BOX(top), badge);
    }
    if (flag) {
      GtkWidget *icon = gtk_image_new_from_icon_name("emoji-flags-symbolic");
      gtk_widget_add_css_class(icon, "thumb-badge");
      gtk_widget_add_css_class(icon, "flagged");
      gtk_box_append(GTK_BOX(top), icon);
    }
    gtk_box_append(GTK_BOX(box), top);
    if (flag) {
      GtkWidget *reason =
          gtk_label_new(flag->reason && *flag->reason ? flag->reason : _("no reason"));
      gtk_label_set_xalign(GTK_LABEL(reason), 0);
      gtk_label_set_wrap(GTK_LABEL(reason), TRUE);
      gtk_widget_add_css_class(reason, "caption");
      gtk_box_append(GTK_BOX(box), reason);
    }
    if (qa && *qa) {
      g_autofree char *text = g_strdup_printf(_("QA: %s"), qa);
      GtkWidget *reason = gtk_label_new(text);
      gtk_label_set_xalign(GTK_LABEL(reason), 0);
      gtk_label_set_wrap(GTK_LABEL(reason), TRUE);
      gtk_label_set_wrap_mode(GTK_LABEL(reason), PANGO_WRAP_WORD_CHAR);
      gtk_widget_add_css_class(reason, "caption");
      gtk_widget_add_css_class(reason, "dim-label");
      gtk_box_append(GTK_BOX(box), reason);
    }
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    gtk_widget_add_css_class(row, "pair-row");
    g_object_set_data(G_OBJECT(row), "frame", GINT_TO_POINTER(f));
    gtk_list_box_append(GTK_LIST_BOX(self->flag_list), row);
  }
  gtk_widget_set_visible(gtk_widget_get_parent(gtk_widget_get_parent(self->flag_list)),
                         frames->len > 0);
}

static guint
count_qa_flagged(SrPageRender *self)
{
  GHashTableIter it;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init(&it, self->qa);
  while (g_hash_table_iter_next(&it, NULL, &value))
    n += *(const char *)value != '\0';
  return n;
}

void
sr_page_render_update_review(SrPageRender *self)
{
  SrProject *p = sr_page_render_project_of(self);
  gboolean have = p && self->frame != G_MININT && sr_page_render_is_rendered(self, self->frame);
  const SrFlag *flag = have ? sr_page_render_find_flag(self, self->frame) : NULL;
  const char *qa = have ? g_hash_table_lookup(self->qa, GINT_TO_POINTER(self->frame)) : NULL;

  if (!p)
    return;
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.flag", have);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.flag-reason", have);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.unflag", flag != NULL);
  gtk_widget_set_sensitive(self->flag_button, have);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.step", have);
  const char *flag_label = flag ? _("Change Reason…") : _("Flag…");
  /* Setting the label rebuilds the button's child: only when it changes. */
  if (g_strcmp0(gtk_menu_button_get_label(GTK_MENU_BUTTON(self->flag_button)), flag_label) != 0)
    gtk_menu_button_set_label(GTK_MENU_BUTTON(self->flag_button), flag_label);
  gtk_widget_set_visible(self->unflag_button, flag != NULL);

  if (have) {
    g_autofree char *title = g_strdup_printf(_("Frame %d"), self->frame);
    SrRenderFacts facts;
    sr_page_render_get_facts(self, &facts);
    g_autofree char *frames = sr_render_facts_count(&facts);
    g_autofree char *state =
        flag ? g_strdup_printf(_("Flagged: %s"),
                               flag->reason && *flag->reason ? flag->reason : _("no reason"))
             : g_strdup(_("Not flagged. Scrub with ← and →; F flags the frame."));
    gtk_label_set_text(GTK_LABEL(self->current_title), title);
    gtk_label_set_text(GTK_LABEL(self->frame_label), frames);
    gtk_widget_set_tooltip_text(self->frame_label, frames);
    gtk_label_set_text(GTK_LABEL(self->current_state), state);
  } else {
    gtk_label_set_text(GTK_LABEL(self->current_title), _("Outlier review"));
    gtk_label_set_text(GTK_LABEL(self->frame_label), "");
    gtk_widget_set_tooltip_text(self->frame_label, NULL);
    gtk_label_set_text(GTK_LABEL(self->current_state),
                       _("Rendered frames can be flagged here once they exist."));
  }
  if (qa && *qa) {
    const char *ids = g_hash_table_lookup(self->qa_ids, GINT_TO_POINTER(self->frame));
    g_autofree char *text = g_strdup_printf(_("QA: %s"), ids ? ids : qa);
    g_autofree char *tip = g_strdup_printf(_("QA: %s"), qa);
    gtk_label_set_text(GTK_LABEL(self->qa_frame_label), text);
    gtk_widget_set_tooltip_text(self->qa_frame_label, tip);
    sr_ui_set_class(self->qa_frame_label, "status-warn", TRUE);
    sr_ui_set_class(self->qa_frame_label, "status-pass", FALSE);
  } else if (qa) {
    gtk_label_set_text(GTK_LABEL(self->qa_frame_label), _("QA: within thresholds"));
    gtk_widget_set_tooltip_text(self->qa_frame_label, _("QA: within thresholds"));
    sr_ui_set_class(self->qa_frame_label, "status-warn", FALSE);
    sr_ui_set_class(self->qa_frame_label, "status-pass", TRUE);
  } else {
    gtk_label_set_text(GTK_LABEL(self->qa_frame_label), have ? _("QA: not measured yet") : "");
    gtk_widget_set_tooltip_text(self->qa_frame_label, NULL);
    sr_ui_set_class(self->qa_frame_label, "status-warn", FALSE);
    sr_ui_set_class(self->qa_frame_label, "status-pass", FALSE);
  }

  if (!self->qa_job) {
    g_autofree char *text = NULL;
    if (self->qa_error)
      text = g_strdup_printf(_("QA measurement failed: %s"), self->qa_error);
    else if (self->qa_measured >= 0) {
      guint n = count_qa_flagged(self);
      text =
          n ? g_strdup_printf(g_dngettext(NULL, "QA measured %d frames: %u flagged.",
                                          "QA measured %d frames: %u flagged.", self->qa_measured),
                              self->qa_measured, n)
            : g_strdup_printf(g_dngettext(NULL, "QA measured %d frame: within thresholds.",
                                          "QA measured %d frames: all within thresholds.",
                                          self->qa_measured),
                              self->qa_measured);
      sr_ui_set_class(self->qa_status, "status-warn", n > 0);
    }
    gtk_label_set_text(GTK_LABEL(self->qa_status), text ? text : "");
    sr_ui_set_class(self->qa_status, "status-fail", self->qa_error != NULL);
  }
  gtk_widget_set_visible(self->qa_status, *gtk_label_get_text(GTK_LABEL(self->qa_status)) != '\0');

  gboolean any_flags = sr_project_get_flags(p)->len > 0;
  gboolean any_qa = count_qa_flagged(self) > 0;
  gtk_widget_set_visible(self->include_qa_check, any_qa);
  sr_ui_set_class(self->add_pairs_button, "suggested-action", any_flags);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.add-flagged-pairs", any_flags || any_qa);
  rebuild_flag_list(self);
  sr_filmstrip_update_marks(SR_FILMSTRIP(self->strip));
}

/* ---- Flags -------------------------------------------------------------------- */

gboolean
sr_page_render_flag_current(SrPageRender *self, const char *reason, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  if (!sr_page_render_project_of(self) || self->frame == G_MININT ||
      !sr_page_render_is_rendered(self, self->frame)) {
    g_set_error_literal(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                        _("No rendered frame is shown: render some frames first."));
    return FALSE;
  }
  g_autofree char *text = g_strstrip(g_strdup(reason ? reason : ""));
  if (!*text) {
    g_set_error_literal(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                        _("Say why the frame is an outlier: pick a reason or type one."));
    return FALSE;
  }
  gtk_popover_popdown(GTK_POPOVER(self->flag_popover));
  sr_page_render_set_review_message(self, NULL);
  sr_project_add_flag(sr_page_render_project_of(self), self->frame, text);
  return TRUE;
}

gboolean
sr_page_render_get_flag_popup_visible(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  return gtk_widget_get_visible(self->flag_popover);
}

static void
on_reason_clicked(GtkButton *button, SrPageRender *self)
{
  g_autoptr(GError) error = NULL;
  if (!sr_page_render_flag_current(self, gtk_button_get_label(button), &error))
    sr_page_render_set_review_message(self, error->message);
}

static void
on_reason_entered(GtkWidget *widget, SrPageRender *self)
{
  g_autoptr(GError) error = NULL;
  const char *text = gtk_editable_get_text(GTK_EDITABLE(self->reason_entry));
  if (sr_page_render_flag_current(self, text, &error))
    gtk_editable_set_text(GTK_EDITABLE(self->reason_entry), "");
  else
    sr_page_render_set_review_message(self, error->message);
}

static void
on_reason_changed(GtkEditable *editable, SrPageRender *self)
{
  g_autofree char *text = g_strstrip(g_strdup(gtk_editable_get_text(editable)));
  gtk_widget_set_sensitive(self->reason_button, *text != '\0');
}

static void
on_popover_show(GtkWidget *popover, SrPageRender *self)
{
  const SrFlag *flag = sr_page_render_find_flag(self, self->frame);
  g_autofree char *title = g_strdup_printf(_("Why is frame %d an outlier?"), self->frame);
  gtk_label_set_text(GTK_LABEL(self->flag_popover_title), title);
  gtk_editable_set_text(GTK_EDITABLE(self->reason_entry), flag && flag->reason ? flag->reason : "");
}

void
sr_page_render_build_flag_popover(SrPageRender *self)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);

  self->flag_popover = gtk_popover_new();
  gtk_widget_add_css_class(self->flag_popover, "flag-popover");
  self->flag_popover_title = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(self->flag_popover_title), 0);
  gtk_widget_add_css_class(self->flag_popover_title, "heading");
  gtk_widget_set_margin_bottom(self->flag_popover_title, 4);
  gtk_box_append(GTK_BOX(box), self->flag_popover_title);
  for (guint i = 0; i < G_N_ELEMENTS(common_reasons); i++) {
    GtkWidget *b = gtk_button_new_with_label(_(common_reasons[i]));
    gtk_widget_add_css_class(b, "flat");
    gtk_label_set_xalign(GTK_LABEL(gtk_button_get_child(GTK_BUTTON(b))), 0);
    g_signal_connect(b, "clicked", G_CALLBACK(on_reason_clicked), self);
    gtk_box_append(GTK_BOX(box), b);
  }
  self->reason_entry = gtk_entry_new();
  gtk_entry_set_placeholder_text(GTK_ENTRY(self->reason_entry), _("Another reason…"));
  gtk_widget_set_hexpand(self->reason_entry, TRUE);
  self->reason_button = gtk_button_new_with_label(_("Flag"));
  gtk_widget_add_css_class(self->reason_button, "suggested-action");
  gtk_widget_set_sensitive(self->reason_button, FALSE);
  g_signal_connect(self->reason_entry, "activate", G_CALLBACK(on_reason_entered), self);
  g_signal_connect(self->reason_entry, "changed", G_CALLBACK(on_reason_changed), self);
  g_signal_connect(self->reason_button, "clicked", G_CALLBACK(on_reason_entered), self);
  gtk_box_append(GTK_BOX(row), self->reason_entry);
  gtk_box_append(GTK_BOX(row), self->reason_button);
  gtk_widget_set_margin_top(row, 6);
  gtk_box_append(GTK_BOX(box), row);
  gtk_popover_set_child(GTK_POPOVER(self->flag_popover), box);
  g_signal_connect(self->flag_popover, "show", G_CALLBACK(on_popover_show), self);
  gtk_menu_button_set_popover(GTK_MENU_BUTTON(self->flag_button), self->flag_popover);
}

/* ---- Flagged frames → pairs ------------------------------------------------------ */

static void
append_frames(GString *s, GArray *frames)
{
  for (guint i = 0; i < frames->len; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(frames, int, i));
}

int
sr_page_render_add_flagged_pairs(SrPageRender *self, gboolean include_qa, char **summary)
{
  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) added = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) held = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) already = g_array_new(FALSE, FALSE, sizeof(int));
  GString *s = g_string_new(NULL);

  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), 0);
  if (summary)
    *summary = NULL;
  if (!sr_page_render_project_of(self)) {
    g_string_free(s, TRUE);
    return 0;
  }
  const GArray *flags = sr_project_get_flags(sr_page_render_project_of(self));
  for (guint i = 0; i < flags->len; i++)
    g_array_append_val(frames, g_array_index(flags, SrFlag, i).frame);
  if (include_qa) {
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, self->qa);
    while (g_hash_table_iter_next(&it, &key, &value)) {
      int f = GPOINTER_TO_INT(key);
      if (*(const char *)value && !sr_page_render_find_flag(self, f))
        g_array_append_val(frames, f);
    }
  }
  g_array_sort(frames, sr_page_render_compare_int);

  for (guint i = 0; i < frames->len; i++) {
    int f = g_array_index(frames, int, i);
    g_autoptr(GError) error = NULL;
    if (sr_project_is_held_out(sr_page_render_project_of(self), f))
      g_array_append_val(held, f);
    else if (sr_project_has_pair(sr_page_render_project_of(self), f))
      g_array_append_val(already, f);
    else if (sr_project_check_pair(sr_page_render_project_of(self), f, &error))
      g_array_append_val(added, f);
    else
      g_string_append_printf(s, "%s%s", s->len ? " " : "", error->message);
  }
  /* One edit, so one undo takes the whole batch back. */
  sr_project_add_pairs(sr_page_render_project_of(self), (const int *)added->data, added->len);
  /* Whole sentences with the frame list as %s, so every language can place
   * the list where its grammar wants it. */
  GString *text = g_string_new(NULL);
  if (added->len) {
    g_autoptr(GString) list = g_string_new(NULL);
    append_frames(list, added);
    g_string_append_printf(text,
                           g_dngettext(NULL,
                                       "Added frame %s as a training pair; retrain, then "
                                       "re-render a short range.",
                                       "Added frames %s as training pairs; retrain, then "
                                       "re-render a short range.",
                                       added->len),
                           list->str);
  } else {
    g_string_append(text, frames->len ? _("No new pair added.")
                                      : _("No flagged frame: flag outliers first."));
  }
  if (held->len) {
    g_autoptr(GString) list = g_string_new(NULL);
    append_frames(list, held);
    g_string_append_c(text, ' ');
    g_string_append_printf(
        text,
        g_dngettext(NULL, "Frame %s is held out for validation and stays held out.",
                    "Frames %s are held out for validation and stay held out.", held->len),
        list->str);
  }
  if (already->len) {
    g_autoptr(GString) list = g_string_new(NULL);
    append_frames(list, already);
    g_string_append_c(text, ' ');
    g_string_append_printf(text,
                           g_dngettext(NULL, "Frame %s was a pair already.",
                                       "Frames %s were pairs already.", already->len),
                           list->str);
  }
  if (s->len) {
    g_string_append_c(text, ' ');
    g_string_append(text, s->str);
  }
  g_string_free(s, TRUE);
  sr_page_render_set_review_message(self, text->str);
  if (summary)
    *summary = g_strdup(text->str);
  g_string_free(text, TRUE);

  if (added->len) {
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    if (SR_IS_WINDOW(root)) {
      GtkWidget *pairs = sr_window_get_page(SR_WINDOW(root), "pairs");
      sr_window_set_stage(SR_WINDOW(root), "pairs");
      /* The summary belongs where the archivist now is. */
      sr_window_show_info(SR_WINDOW(root), gtk_label_get_text(GTK_LABEL(self->review_message)));
      /* Land on the first new pair, so the Pairs stage shows what changed. */
      if (SR_IS_PAGE_PAIRS(pairs))
        sr_page_pairs_set_frame(SR_PAGE_PAIRS(pairs), g_array_index(added, int, 0));
    }
  }
  return (int)added->len;
}
