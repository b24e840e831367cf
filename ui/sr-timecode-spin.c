/* sr-timecode-spin.c — timecode display and entry for frame spin buttons
 * (see sr-timecode-spin.h). */
#include "sr-config.h"

#include "sr-timecode-spin.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-delivery-reel.h"
#include "sr-io.h"

typedef struct {
  GtkSpinButton *spin; /* not owned */
  SrReelFacts facts;
  gboolean have_facts;
  char *source; /* the Source pattern the facts are for */
  GCancellable *cancellable;
  GActionGroup *group; /* the window's actions while mapped */
  gulong state_handler;
  int width_chars;
} TcSpin;

static void
tc_spin_free(gpointer p)
{
  TcSpin *t = p;
  if (t->cancellable)
    g_cancellable_cancel(t->cancellable);
  g_clear_object(&t->cancellable);
  if (t->group && t->state_handler)
    g_signal_handler_disconnect(t->group, t->state_handler);
  sr_reel_facts_clear(&t->facts);
  g_free(t->source);
  g_free(t);
}

static TcSpin *
tc_of(GtkSpinButton *spin)
{
  return g_object_get_data(G_OBJECT(spin), "sr-timecode-spin");
}

static gboolean
preference_on(TcSpin *t)
{
  if (!t->group)
    return FALSE;
  g_autoptr(GVariant) state = g_action_group_get_action_state(t->group, SR_TIMECODE_ACTION);
  return state && g_variant_is_of_type(state, G_VARIANT_TYPE_BOOLEAN) &&
         g_variant_get_boolean(state);
}

gboolean
sr_timecode_spin_showing(GtkSpinButton *spin)
{
  TcSpin *t = tc_of(spin);
  return t && t->have_facts && t->facts.has_timecode && preference_on(t);
}

static void
redisplay(TcSpin *t)
{
  gboolean tc = sr_timecode_spin_showing(t->spin);
  gtk_editable_set_width_chars(GTK_EDITABLE(t->spin), tc ? 11 : t->width_chars);
  gtk_widget_set_tooltip_text(GTK_WIDGET(t->spin),
                              tc ? _("Source timecode; type a timecode or a frame number") : NULL);
  /* Setting the same value asks for the text again. */
  gtk_spin_button_set_value(t->spin, gtk_spin_button_get_value(t->spin));
}

static gboolean
on_output(GtkSpinButton *spin, TcSpin *t)
{
  char tc[SR_TIMECODE_TEXT_SIZE];
  int frame = (int)gtk_spin_button_get_value(spin);
  if (!sr_timecode_spin_showing(spin) || !sr_reel_facts_timecode(&t->facts, frame, tc))
    return FALSE;
  /* Through the text itself: GTK 4.8 drops text set on the spin button
   * while it asks for its output. */
  GtkEditable *text = gtk_editable_get_delegate(GTK_EDITABLE(spin));
  if (g_strcmp0(gtk_editable_get_text(text), tc) != 0)
    gtk_editable_set_text(text, tc);
  return TRUE;
}

/* A typed timecode back to a frame: its distance from the Source's first
 * timecode at the Source's rate (past midnight, it wraps). A plain number
 * stays a frame number. */
static int
on_input(GtkSpinButton *spin, double *value, TcSpin *t)
{
  const char *text = gtk_editable_get_text(GTK_EDITABLE(spin));
  sr_timecode typed;
  if (!sr_timecode_spin_showing(spin) || !sr_timecode_parse(text, &typed, NULL))
    return FALSE;
  typed.drop_frame = t->facts.first.drop_frame;
  long at, first, per_day;
  if (!sr_timecode_to_count(&typed, t->facts.fps, &at, &per_day, NULL) ||
      !sr_timecode_to_count(&t->facts.first, t->facts.fps, &first, &per_day, NULL))
    return GTK_INPUT_ERROR;
  *value = t->facts.first_frame + (double)((at - first + per_day) % per_day);
  return TRUE;
}

static void
on_state_changed(GActionGroup *group, const char *name, GVariant *state, TcSpin *t)
{
  redisplay(t);
}

static void
on_map(GtkWidget *widget, TcSpin *t)
{
  GtkRoot *root = gtk_widget_get_root(widget);
  if (t->group || !G_IS_ACTION_GROUP(root))
    return;
  t->group = G_ACTION_GROUP(root);
  t->state_handler = g_signal_connect(t->group, "action-state-changed::" SR_TIMECODE_ACTION,
                                      G_CALLBACK(on_state_changed), t);
  redisplay(t);
}

static void
on_unmap(GtkWidget *widget, TcSpin *t)
{
  if (t->group && t->state_handler)
    g_signal_handler_disconnect(t->group, t->state_handler);
  t->group = NULL;
  t->state_handler = 0;
}

void
sr_timecode_spin_attach(GtkSpinButton *spin)
{
  TcSpin *t = g_new0(TcSpin, 1);
  t->spin = spin;
  t->width_chars = gtk_editable_get_width_chars(GTK_EDITABLE(spin));
  g_object_set_data_full(G_OBJECT(spin), "sr-timecode-spin", t, tc_spin_free);
  g_signal_connect(spin, "output", G_CALLBACK(on_output), t);
  g_signal_connect(spin, "input", G_CALLBACK(on_input), t);
  g_signal_connect(spin, "map", G_CALLBACK(on_map), t);
  g_signal_connect(spin, "unmap", G_CALLBACK(on_unmap), t);
}

/* ---- the Source's timecode, off the main thread ------------------------------------ */

static void
facts_free(gpointer p)
{
  sr_reel_facts_clear(p);
  g_free(p);
}

static void
lookup_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SrProject *copy = data;
  SrReelFacts *facts = g_new0(SrReelFacts, 1);
  g_autofree char *pattern = sr_project_resolve_path(copy, sr_project_get_source_pattern(copy));
  sr_sequence seq = {0};
  if (pattern && sr_sequence_open(&seq, pattern, NULL))
    sr_reel_facts_lookup(copy, seq.first, facts);
  sr_sequence_clear(&seq);
  g_task_return_pointer(task, facts, facts_free);
}

static void
lookup_done(GObject *source, GAsyncResult *res, gpointer data)
{
  GtkSpinButton *spin = GTK_SPIN_BUTTON(source);
  SrReelFacts *facts = g_task_propagate_pointer(G_TASK(res), NULL);
  TcSpin *t = tc_of(spin);
  if (facts && t) {
    sr_reel_facts_clear(&t->facts);
    t->facts = *facts; /* the note moves over */
    t->have_facts = TRUE;
    g_free(facts);
    redisplay(t);
  } else if (facts) {
    facts_free(facts);
  }
}

void
sr_timecode_spin_set_project(GtkSpinButton *spin, SrProject *project)
{
  TcSpin *t = tc_of(spin);
  if (!t)
    return;
  const char *pattern = project ? sr_project_get_source_pattern(project) : NULL;
  if (t->have_facts && g_strcmp0(pattern, t->source) == 0)
    return;
  g_free(t->source);
  t->source = g_strdup(pattern);
  if (t->cancellable)
    g_cancellable_cancel(t->cancellable);
  g_clear_object(&t->cancellable);
  sr_reel_facts_clear(&t->facts);
  t->have_facts = FALSE;
  SrProject *copy = project ? sr_project_copy_for_thread(project, NULL) : NULL;
  if (!copy)
    return;
  t->cancellable = g_cancellable_new();
  GTask *task = g_task_new(spin, t->cancellable, lookup_done, NULL);
  g_task_set_task_data(task, copy, g_object_unref);
  g_task_set_return_on_cancel(task, TRUE);
  g_task_run_in_thread(task, lookup_thread);
  g_object_unref(task);
}
