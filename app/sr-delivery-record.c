/* sr-delivery-record.c — gate, reel attributes, sidecar records and fixity
 * for a delivery (see sr-delivery-record.h). */
#include "sr-delivery-record.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "sr-fixity.h"

char *
sr_delivery_gate_message(GPtrArray *blockers)
{
  GString *s = g_string_new(NULL);
  g_string_append_printf(s,
                         ngettext("the delivery is not signed off (%u open item):",
                                  "the delivery is not signed off (%u open items):", blockers->len),
                         blockers->len);
  for (guint i = 0; i < blockers->len; i++)
    g_string_append_printf(s, "\n  • %s", (const char *)g_ptr_array_index(blockers, i));
  g_string_append(s, "\n");
  g_string_append(s, _("Review the render and tick the acceptance checklist, or record an "
                       "override saying who decides and why. Nothing was written"));
  return g_string_free(s, FALSE);
}

gboolean
sr_delivery_check_gate(SrProject *project, const SrDeliveryOptions *opts, SrDeliveryResult *out,
                       GError **error)
{
  g_autoptr(GPtrArray) blockers = sr_delivery_gate_blockers(project, &opts->gate);
  if (blockers->len == 0)
    return TRUE;
  if (!opts->override) {
    g_autofree char *msg = sr_delivery_gate_message(blockers);
    g_set_error_literal(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_GATE, msg);
    return FALSE;
  }
  g_ptr_array_add(blockers, NULL);
  out->overridden = g_strdupv((char **)blockers->pdata);
  return TRUE;
}

gboolean
sr_delivery_set_reel_attributes(const SrDeliveryResult *r, int frame, sr_image *img, sr_error *err)
{
  char tc[SR_TIMECODE_TEXT_SIZE];
  if (sr_reel_facts_timecode(&r->reel, frame, tc)) {
    char fps[16];
    g_snprintf(fps, sizeof fps, "%d", r->reel.fps);
    if (!sr_image_set_attribute(img, "timeCode", tc, err) ||
        (r->reel.fps_stated && !sr_image_set_attribute(img, "framesPerSecond", fps, err)))
      return FALSE;
  }
  return !r->reel.reel[0] || sr_image_set_attribute(img, "reelName", r->reel.reel, err);
}

char *
sr_delivery_held_out_text(const SrCheckpointFacts *facts)
{
  if (!facts || (isnan(facts->psnr_before) && isnan(facts->psnr_after)))
    return g_strdup(_("not recorded by the training"));
  GString *s = g_string_new(NULL);
  g_string_append_printf(s,
                         _("PSNR (Y) on held-out frames at training: Source %.2f dB, "
                           "recovered %.2f dB"),
                         facts->psnr_before, facts->psnr_after);
  if (!isnan(facts->psnr_before) && !isnan(facts->psnr_after))
    g_string_append_printf(s, " (%+.2f dB)", facts->psnr_after - facts->psnr_before);
  return g_string_free(s, FALSE);
}

static void
member_double(JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name(b, name);
  if (isfinite(v))
    json_builder_add_double_value(b, v);
  else
    json_builder_add_null_value(b);
}

static void
reel_json(JsonBuilder *b, const SrDeliveryResult *r)
{
  json_builder_set_member_name(b, "reel");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "name");
  if (r->reel.reel[0])
    json_builder_add_string_value(b, r->reel.reel);
  else
    json_builder_add_null_value(b);
  char first[SR_TIMECODE_TEXT_SIZE], last[SR_TIMECODE_TEXT_SIZE];
  gboolean tc = sr_reel_facts_timecode(&r->reel, r->first, first) &&
                sr_reel_facts_timecode(&r->reel, r->last, last);
  json_builder_set_member_name(b, "timecode_first");
  tc ? json_builder_add_string_value(b, first) : json_builder_add_null_value(b);
  json_builder_set_member_name(b, "timecode_last");
  tc ? json_builder_add_string_value(b, last) : json_builder_add_null_value(b);
  json_builder_set_member_name(b, "frames_per_second");
  json_builder_add_int_value(b, r->reel.fps);
  json_builder_set_member_name(b, "rate_stated_by_source");
  json_builder_add_boolean_value(b, r->reel.fps_stated);
  json_builder_set_member_name(b, "note");
  json_builder_add_string_value(b, r->reel.note ? r->reel.note : "");
  json_builder_end_object(b);
}

void
sr_delivery_record_json(JsonBuilder *b, SrProject *project, const SrDeliveryOptions *o,
                        const SrDeliveryResult *r)
{
  sr_signoff_json(b, project, &o->gate);
  json_builder_set_member_name(b, "overridden_for_this_delivery");
  json_builder_begin_array(b);
  for (int i = 0; r->overridden && r->overridden[i]; i++)
    json_builder_add_string_value(b, r->overridden[i]);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "held_out_training");
  json_builder_begin_object(b);
  member_double(b, "psnr_source_db", r->facts.psnr_before);
  member_double(b, "psnr_recovered_db", r->facts.psnr_after);
  json_builder_end_object(b);
  reel_json(b, r);
  json_builder_set_member_name(b, "fixity");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "manifests");
  json_builder_begin_array(b);
  json_builder_add_string_value(b, "manifest-sha256.txt");
  if (o->md5)
    json_builder_add_string_value(b, "manifest-md5.txt");
  json_builder_end_array(b);
  json_builder_set_member_name(b, "bagit");
  json_builder_add_boolean_value(b, o->bagit);
  json_builder_end_object(b);
}

char **
sr_delivery_record_text(SrProject *project, const SrDeliveryOptions *o, const SrDeliveryResult *r)
{
  GPtrArray *kv = g_ptr_array_new();
  g_auto(GStrv) signoff = sr_signoff_text_lines(project, &o->gate);
  for (int i = 0; signoff[i]; i++)
    g_ptr_array_add(kv, g_strdup(signoff[i]));
  for (int i = 0; r->overridden && r->overridden[i]; i++) {
    g_ptr_array_add(kv, g_strdup("overridden now"));
    g_ptr_array_add(kv, g_strdup(r->overridden[i]));
  }
  g_ptr_array_add(kv, g_strdup("held-out at training"));
  g_ptr_array_add(kv, sr_delivery_held_out_text(&r->facts));
  g_ptr_array_add(kv, g_strdup("reel"));
  g_ptr_array_add(kv, g_strdup(r->reel.reel[0] ? r->reel.reel : "none"));
  char first[SR_TIMECODE_TEXT_SIZE], last[SR_TIMECODE_TEXT_SIZE];
  g_ptr_array_add(kv, g_strdup("timecode"));
  if (sr_reel_facts_timecode(&r->reel, r->first, first) &&
      sr_reel_facts_timecode(&r->reel, r->last, last))
    g_ptr_array_add(kv, g_strdup_printf("%s-%s at %d fps", first, last, r->reel.fps));
  else
    g_ptr_array_add(kv, g_strdup("none"));
  g_ptr_array_add(kv, g_strdup("timecode note"));
  g_ptr_array_add(kv, g_strdup(r->reel.note ? r->reel.note : ""));
  g_ptr_array_add(kv, g_strdup("fixity"));
  g_ptr_array_add(
      kv, g_strdup(o->md5 ? "manifest-sha256.txt, manifest-md5.txt" : "manifest-sha256.txt"));
  g_ptr_array_add(kv, NULL);
  return (char **)g_ptr_array_free(kv, FALSE);
}

void
sr_delivery_note_html(GString *s, SrProject *project, int first, int last)
{
  SrReelFacts reel;
  sr_reel_facts_lookup(project, first, &reel);
  g_string_append(s, "<section id=\"reel\"><h2>Reel, timecode and fixity</h2>\n<table>\n");
  g_autofree char *name = g_markup_escape_text(reel.reel[0] ? reel.reel : "none recorded", -1);
  g_string_append_printf(s, "<tr><th>Reel</th><td>%s</td></tr>\n", name);
  char a[SR_TIMECODE_TEXT_SIZE], b[SR_TIMECODE_TEXT_SIZE];
  if (sr_reel_facts_timecode(&reel, first, a) && sr_reel_facts_timecode(&reel, last, b))
    g_string_append_printf(s, "<tr><th>Timecode</th><td>%s – %s (%d fps%s)</td></tr>\n", a, b,
                           reel.fps, reel.fps_stated ? "" : ", the project's rate");
  else
    g_string_append(s, "<tr><th>Timecode</th><td>none derived</td></tr>\n");
  g_autofree char *note = g_markup_escape_text(reel.note ? reel.note : "", -1);
  g_string_append_printf(s, "<tr><th>Source</th><td>%s</td></tr>\n", note);
  g_string_append(s, "<tr><th>Fixity</th><td>Each delivery writes manifest-sha256.txt (and "
                     "manifest-md5.txt when asked) over every master, sidecar and this note in "
                     "the delivery folder, computed from the files as read back from disk and "
                     "verified; <code>spatial-recovery-cli verify</code> or "
                     "<code>sha256sum -c manifest-sha256.txt</code> checks them later.</td>"
                     "</tr>\n</table></section>\n");
  sr_reel_facts_clear(&reel);
}

/* path relative to root, or NULL when it lies outside. */
static char *
relative_to(const char *root, const char *path)
{
  g_autofree char *r = g_canonicalize_filename(root, NULL);
  g_autofree char *p = g_canonicalize_filename(path, NULL);
  gsize n = strlen(r);
  if (strncmp(p, r, n) != 0 || p[n] != '/')
    return NULL;
  return g_strdup(p + n + 1);
}

gboolean
sr_delivery_write_fixity(SrProject *project, const SrDeliveryOptions *opts, SrDeliveryResult *out,
                         GError **error)
{
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  for (int f = out->first; f <= out->last; f++) {
    g_autofree char *p = sr_pattern_format(out->master_pattern, f);
    g_ptr_array_add(files, relative_to(out->out_dir, p));
  }
  g_ptr_array_add(files, relative_to(out->out_dir, out->json_path));
  g_ptr_array_add(files, relative_to(out->out_dir, out->text_path));
  /* The note travels with the delivery when it lies in its folder (in a
   * bag, only inside data/). */
  char *note = opts->note_path ? relative_to(out->out_dir, opts->note_path) : NULL;
  if (note && (!opts->bagit || g_str_has_prefix(note, "data/")))
    g_ptr_array_add(files, note);
  else
    g_free(note);
  g_ptr_array_add(files, NULL);
  const SrProvenance *p = sr_project_get_provenance(project);
  g_autofree char *masters = g_path_get_basename(out->master_pattern);
  g_autofree char *desc =
      g_strdup_printf("Spatial Recovery masters %s, frames %d-%d", masters, out->first, out->last);
  SrFixityOptions fo = {
      .algorithms = SR_FIXITY_SHA256 | (opts->md5 ? SR_FIXITY_MD5 : 0),
      .bagit = opts->bagit,
      .organisation = p ? p->institution : NULL,
      .description = desc,
  };
  g_autoptr(GError) ferr = NULL;
  gboolean ok = sr_fixity_write(out->out_dir, (const char *const *)files->pdata, &fo, &ferr);
  out->n_manifested = (int)files->len - 1;
  g_ptr_array_unref(files);
  if (!ok) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_VERIFY,
                _("checksum manifest: %s. The masters and sidecars are kept; run deliver again"),
                ferr->message);
    return FALSE;
  }
  out->manifest_path = g_build_filename(out->out_dir, "manifest-sha256.txt", NULL);
  return TRUE;
}
