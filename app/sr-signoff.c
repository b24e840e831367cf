/* sr-signoff.c — acceptance checklist, review gate and recorded overrides
 * (see sr-signoff.h). */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-time.h"

const SrAcceptanceItem sr_acceptance_items[SR_ACCEPTANCE_N_ITEMS] = {
    {"sharper-edges", N_("Sharper edges, more detail"),
     N_("Look at the waveform: finer vertical detail in Recovered; the sharpness gain stays "
        "above its lower line."),
     N_("Sharpness gain")},
    {"grain", N_("Grain consistent with the Reference"),
     N_("Flat areas in Difference show fine, even grain; the grain plot stays between its "
        "lines."),
     N_("Grain vs Reference")},
    {"no-flicker", N_("No flicker over time"),
     N_("Scrub with the arrow keys in Toggle: brightness and detail hold steady frame to frame."),
     N_("Flicker")},
    {"no-colour-shift", N_("No colour shift"),
     N_("Both vectorscopes match: same shape, same angles; the chroma plot stays under its line."),
     N_("Colour shift")},
    {"no-halos", N_("No over-sharpening or halos"),
     N_("Wipe across strong edges: no bright or dark rims in Recovered."), N_("Halos")},
};

/* ---- overrides in the project --------------------------------------------------- */

void
sr_override_free(gpointer p)
{
  SrOverride *ov = p;
  if (!ov)
    return;
  g_free(ov->who);
  g_free(ov->when);
  g_free(ov->reason);
  g_strfreev(ov->blockers);
  g_free(ov);
}

gboolean
sr_override_text_ok(const char *text)
{
  if (!text || !g_utf8_validate(text, -1, NULL))
    return FALSE;
  g_autofree char *stripped = g_strstrip(g_strdup(text));
  return *stripped && g_utf8_strlen(text, -1) <= SR_OVERRIDE_MAX_TEXT;
}

const GPtrArray *
sr_project_get_overrides(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->overrides;
}

const SrOverride *
sr_project_add_override(SrProject *self, const char *who, const char *reason,
                        const char *const *blockers, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  if (!sr_override_text_ok(who)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("an override needs the name of who decides it (at most %d characters)"),
                SR_OVERRIDE_MAX_TEXT);
    return NULL;
  }
  if (!sr_override_text_ok(reason)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("an override needs a reason (at most %d characters)"), SR_OVERRIDE_MAX_TEXT);
    return NULL;
  }
  SrOverride *ov = g_new0(SrOverride, 1);
  ov->who = g_strstrip(g_strdup(who));
  ov->reason = g_strstrip(g_strdup(reason));
  char when[32];
  sr_time_now_iso(when);
  ov->when = g_strdup(when);
  ov->blockers = blockers ? g_strdupv((char **)blockers) : g_new0(char *, 1);
  g_ptr_array_add(self->overrides, ov);
  g_autofree char *what = g_strdup_printf(_("Override review (%s)"), ov->who);
  sr_project_edited(self, what);
  return ov;
}

const SrOverride *
sr_project_find_last_override(SrProject *self, const char *who, const char *reason)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  if (self->overrides->len == 0 || !who || !reason)
    return NULL;
  const SrOverride *last = g_ptr_array_index(self->overrides, self->overrides->len - 1);
  g_autofree char *w = g_strstrip(g_strdup(who));
  g_autofree char *r = g_strstrip(g_strdup(reason));
  return strcmp(last->who, w) == 0 && strcmp(last->reason, r) == 0 ? last : NULL;
}

int
sr_project_count_accepted(SrProject *self)
{
  int n = 0;
  for (int i = 0; i < SR_ACCEPTANCE_N_ITEMS; i++)
    n += sr_project_get_accepted(self, sr_acceptance_items[i].id);
  return n;
}

/* ---- the gate ------------------------------------------------------------------- */

static char *
frame_list(const GArray *frames, guint max)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; frames && i < frames->len && i < max; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(frames, int, i));
  if (frames && frames->len > max)
    g_string_append(s, ", …");
  return g_string_free(s, FALSE);
}

GPtrArray *
sr_delivery_gate_blockers(SrProject *project, const SrGateInput *in)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  if (in && in->render_running)
    g_ptr_array_add(out, g_strdup(_("A render is still running: its frames are not final")));
  if (!in || !in->qa_run)
    g_ptr_array_add(out, g_strdup(_("Unreviewed: QA has not measured the delivered frames "
                                    "(the validation note was skipped)")));
  for (int i = 0; i < SR_ACCEPTANCE_N_ITEMS; i++)
    if (!sr_project_get_accepted(project, sr_acceptance_items[i].id))
      g_ptr_array_add(out,
                      g_strdup_printf(_("Not accepted: “%s”"), _(sr_acceptance_items[i].label)));
  const GArray *flags = sr_project_get_flags(project);
  for (guint i = 0; flags && i < flags->len; i++) {
    const SrFlag *f = &g_array_index(flags, SrFlag, i);
    g_ptr_array_add(
        out, f->reason && *f->reason
                 ? g_strdup_printf(_("Frame %d flagged by the archivist: %s"), f->frame, f->reason)
                 : g_strdup_printf(_("Frame %d flagged by the archivist"), f->frame));
  }
  if (in && in->qa_flagged && in->qa_flagged->len) {
    g_autofree char *list = frame_list(in->qa_flagged, 20);
    g_ptr_array_add(out,
                    g_strdup_printf(ngettext("%u frame flagged by QA: %s",
                                             "%u frames flagged by QA: %s", in->qa_flagged->len),
                                    in->qa_flagged->len, list));
  }
  return out;
}

/* ---- reports -------------------------------------------------------------------- */

void
sr_signoff_json(JsonBuilder *b, SrProject *project, const SrGateInput *in)
{
  json_builder_set_member_name(b, "sign_off");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "acceptance");
  json_builder_begin_object(b);
  for (int i = 0; i < SR_ACCEPTANCE_N_ITEMS; i++) {
    json_builder_set_member_name(b, sr_acceptance_items[i].id);
    json_builder_add_boolean_value(b, sr_project_get_accepted(project, sr_acceptance_items[i].id));
  }
  json_builder_end_object(b);
  json_builder_set_member_name(b, "archivist_flags");
  json_builder_begin_array(b);
  const GArray *flags = sr_project_get_flags(project);
  for (guint i = 0; flags && i < flags->len; i++) {
    const SrFlag *f = &g_array_index(flags, SrFlag, i);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "frame");
    json_builder_add_int_value(b, f->frame);
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, f->reason ? f->reason : "");
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "qa_run");
  json_builder_add_boolean_value(b, in && in->qa_run);
  json_builder_set_member_name(b, "qa_flagged_frames");
  json_builder_begin_array(b);
  for (guint i = 0; in && in->qa_flagged && i < in->qa_flagged->len; i++)
    json_builder_add_int_value(b, g_array_index(in->qa_flagged, int, i));
  json_builder_end_array(b);
  g_autoptr(GPtrArray) blockers = sr_delivery_gate_blockers(project, in);
  json_builder_set_member_name(b, "blockers");
  json_builder_begin_array(b);
  for (guint i = 0; i < blockers->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(blockers, i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "overrides");
  json_builder_begin_array(b);
  const GPtrArray *ovs = sr_project_get_overrides(project);
  for (guint i = 0; i < ovs->len; i++) {
    const SrOverride *ov = g_ptr_array_index(ovs, i);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "who");
    json_builder_add_string_value(b, ov->who);
    json_builder_set_member_name(b, "when");
    json_builder_add_string_value(b, ov->when);
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, ov->reason);
    json_builder_set_member_name(b, "blockers");
    json_builder_begin_array(b);
    for (int k = 0; ov->blockers && ov->blockers[k]; k++)
      json_builder_add_string_value(b, ov->blockers[k]);
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
}

char **
sr_signoff_text_lines(SrProject *project, const SrGateInput *in)
{
  GPtrArray *kv = g_ptr_array_new();
  for (int i = 0; i < SR_ACCEPTANCE_N_ITEMS; i++) {
    g_ptr_array_add(kv, g_strdup_printf("accepted %s", sr_acceptance_items[i].id));
    g_ptr_array_add(
        kv, g_strdup(sr_project_get_accepted(project, sr_acceptance_items[i].id) ? "yes" : "no"));
  }
  g_autoptr(GPtrArray) blockers = sr_delivery_gate_blockers(project, in);
  for (guint i = 0; i < blockers->len; i++) {
    g_ptr_array_add(kv, g_strdup("blocker"));
    g_ptr_array_add(kv, g_strdup(g_ptr_array_index(blockers, i)));
  }
  const GPtrArray *ovs = sr_project_get_overrides(project);
  for (guint i = 0; i < ovs->len; i++) {
    const SrOverride *ov = g_ptr_array_index(ovs, i);
    g_autofree char *what = ov->blockers ? g_strjoinv("; ", ov->blockers) : g_strdup("");
    g_ptr_array_add(kv, g_strdup("override"));
    g_ptr_array_add(kv, g_strdup_printf("by %s at %s: %s (overrode: %s)", ov->who, ov->when,
                                        ov->reason, *what ? what : "nothing"));
  }
  g_ptr_array_add(kv, NULL);
  return (char **)g_ptr_array_free(kv, FALSE);
}

static void
html_text(GString *s, const char *text)
{
  g_autofree char *e = g_markup_escape_text(text ? text : "", -1);
  g_string_append(s, e);
}

void
sr_signoff_note_html(GString *s, SrProject *project, const SrGateInput *in)
{
  g_string_append(s, "<section id=\"sign-off\"><h2>Sign-off</h2>\n<table>\n");
  for (int i = 0; i < SR_ACCEPTANCE_N_ITEMS; i++) {
    gboolean ok = sr_project_get_accepted(project, sr_acceptance_items[i].id);
    g_string_append(s, "<tr><th>");
    html_text(s, sr_acceptance_items[i].label);
    g_string_append_printf(s, "</th><td%s>%s</td></tr>\n", ok ? "" : " class=\"flag\"",
                           ok ? "accepted" : "not accepted");
  }
  g_string_append(s, "</table>\n");
  g_autoptr(GPtrArray) blockers = sr_delivery_gate_blockers(project, in);
  if (blockers->len == 0) {
    g_string_append(s, "<p>Nothing blocks delivery: every item is accepted and no frame is "
                       "flagged.</p>\n");
  } else {
    g_string_append(s, "<p class=\"flag\">Open at the time of this note:</p>\n<ul>\n");
    for (guint i = 0; i < blockers->len; i++) {
      g_string_append(s, "<li>");
      html_text(s, g_ptr_array_index(blockers, i));
      g_string_append(s, "</li>\n");
    }
    g_string_append(s, "</ul>\n");
  }
  const GPtrArray *ovs = sr_project_get_overrides(project);
  if (ovs->len == 0)
    g_string_append(s, "<p>No review override has been recorded.</p>\n");
  for (guint i = 0; i < ovs->len; i++) {
    const SrOverride *ov = g_ptr_array_index(ovs, i);
    g_string_append(s, "<p class=\"override\">Override by <b>");
    html_text(s, ov->who);
    g_string_append(s, "</b> at ");
    html_text(s, ov->when);
    g_string_append(s, ": ");
    html_text(s, ov->reason);
    g_string_append(s, "</p>\n");
    if (ov->blockers && ov->blockers[0]) {
      g_string_append(s, "<ul>\n");
      for (int k = 0; ov->blockers[k]; k++) {
        g_string_append(s, "<li>");
        html_text(s, ov->blockers[k]);
        g_string_append(s, "</li>\n");
      }
      g_string_append(s, "</ul>\n");
    }
  }
  g_string_append(s, "</section>\n");
}
