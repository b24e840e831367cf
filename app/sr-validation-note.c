/* sr-validation-note.c — per-frame QA over a render, tables, stills and the
 * validation note (see sr-validation-note.h). */
#include "sr-config.h"

#include "sr-validation-private.h"

#include "sr-delivery-record.h"
#include "sr-json-builder.h"
#include "sr-render.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "sr-fs.h"
#include "sr-time.h"
#include "sr-io.h"
#include "sr-scopes.h"
#include "sr-stills.h"

G_DEFINE_QUARK(sr - validation - error - quark, sr_validation_error)

#define NOTE_STILL_WIDTH 1200
#define MAX_STILL_BYTES  (64u << 20)

/* ---- the per-frame table ------------------------------------------------------ */

typedef struct {
  const char *name;
  size_t offset;
} double_field;

#define F(n)                     \
  {                              \
#n, offsetof(sr_qa_frame, n) \
  }
static const double_field double_fields[] = {
    F(chroma_max),
    F(dcb_max),
    F(dcr_max),
    F(dcb_mean),
    F(dcr_mean),
    F(range_fraction),
    F(source_range_fraction),
    F(sharpness_gain),
    F(sharpness_gain_db),
    F(hf_vs_reference_db),
    F(source_hf_vs_reference_db),
    F(grain_out),
    F(grain_src),
    F(grain_ref),
    F(grain_vs_source_db),
    F(grain_vs_reference_db),
    F(halo_score),
    F(reference_halo_score),
    F(mean_y_out),
    F(mean_y_src),
    F(flicker_luma),
    F(flicker_detail_db),
    F(psnr),
    F(ssim),
    F(psnr_source),
    F(ssim_source),
};
#undef F

static double
field(const sr_qa_frame *f, const double_field *d)
{
  return *(const double *)((const char *)f + d->offset);
}

static void
csv_number(GString *s, double v)
{
  if (isnan(v))
    return;
  if (isinf(v))
    g_string_append(s, v > 0 ? "inf" : "-inf");
  else
    g_string_append_printf(s, "%.6g", v);
}

static void
csv_quoted(GString *s, const char *text)
{
  g_string_append_c(s, '"');
  for (const char *c = text; *c; c++) {
    if (*c == '"')
      g_string_append_c(s, '"');
    g_string_append_c(s, *c);
  }
  g_string_append_c(s, '"');
}

char *
sr_validation_frames_csv(const sr_qa_frame *frames, int n)
{
  GString *s = g_string_new("frame,held_out,has_reference,nonfinite,edge_pixels,flat_pixels");
  for (size_t i = 0; i < G_N_ELEMENTS(double_fields); i++)
    g_string_append_printf(s, ",%s", double_fields[i].name);
  g_string_append(s, ",flags,reasons\n");
  for (int k = 0; k < n; k++) {
    const sr_qa_frame *f = &frames[k];
    g_string_append_printf(s, "%d,%d,%d,%zu,%zu,%zu", f->frame, f->held_out, f->has_reference,
                           f->nonfinite, f->edge_pixels, f->flat_pixels);
    for (size_t i = 0; i < G_N_ELEMENTS(double_fields); i++) {
      g_string_append_c(s, ',');
      csv_number(s, field(f, &double_fields[i]));
    }
    GString *ids = g_string_new(NULL), *why = g_string_new(NULL);
    for (int j = 0; j < f->n_flags; j++) {
      g_string_append_printf(ids, "%s%s", j ? ";" : "", f->flags[j].id);
      g_string_append_printf(why, "%s%s", j ? "; " : "", f->flags[j].reason);
    }
    g_string_append_c(s, ',');
    csv_quoted(s, ids->str);
    g_string_append_c(s, ',');
    csv_quoted(s, why->str);
    g_string_append_c(s, '\n');
    g_string_free(ids, TRUE);
    g_string_free(why, TRUE);
  }
  return g_string_free(s, FALSE);
}

static void
json_number(JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name(b, name);
  if (isnan(v))
    json_builder_add_null_value(b);
  else if (isinf(v))
    json_builder_add_double_value(b, v > 0 ? 1e308 : -1e308);
  else
    json_builder_add_double_value(b, v);
}

static void
json_int(JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

char *
sr_validation_frames_json(const sr_qa_frame *frames, int n, const sr_qa_summary *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  if (s) {
    json_builder_set_member_name(b, "summary");
    json_builder_begin_object(b);
    json_int(b, "frames", s->n_frames);
    json_int(b, "flagged", s->n_flagged);
    json_number(b, "chroma_max", s->chroma_max);
    json_number(b, "range_fraction_max", s->range_fraction_max);
    json_int(b, "nonfinite_total", (gint64)s->nonfinite_total);
    json_number(b, "sharpness_gain_db_mean", s->sharpness_gain_db_mean);
    json_number(b, "hf_vs_reference_db_mean", s->hf_vs_reference_db_mean);
    json_number(b, "halo_score_max", s->halo_score_max);
    json_number(b, "flicker_index", s->flicker_index);
    json_number(b, "flicker_detail_index", s->flicker_detail_index);
    json_int(b, "held_out", s->n_held_out);
    json_number(b, "psnr_mean", s->psnr_mean);
    json_number(b, "ssim_mean", s->ssim_mean);
    json_number(b, "psnr_source_mean", s->psnr_source_mean);
    json_number(b, "ssim_source_mean", s->ssim_source_mean);
    json_builder_end_object(b);
  }
  json_builder_set_member_name(b, "frames");
  json_builder_begin_array(b);
  for (int k = 0; k < n; k++) {
    const sr_qa_frame *f = &frames[k];
    json_builder_begin_object(b);
    json_int(b, "frame", f->frame);
    json_builder_set_member_name(b, "held_out");
    json_builder_add_boolean_value(b, f->held_out);
    json_builder_set_member_name(b, "has_reference");
    json_builder_add_boolean_value(b, f->has_reference);
    json_int(b, "nonfinite", (gint64)f->nonfinite);
    json_int(b, "edge_pixels", (gint64)f->edge_pixels);
    json_int(b, "flat_pixels", (gint64)f->flat_pixels);
    for (size_t i = 0; i < G_N_ELEMENTS(double_fields); i++)
      json_number(b, double_fields[i].name, field(f, &double_fields[i]));
    json_builder_set_member_name(b, "flags");
    json_builder_begin_array(b);
    for (int j = 0; j < f->n_flags; j++) {
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "id");
      json_builder_add_string_value(b, f->flags[j].id);
      json_builder_set_member_name(b, "reason");
      json_builder_add_string_value(b, f->flags[j].reason);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return sr_json_text(root, TRUE, NULL);
}

/* ---- the note ---------------------------------------------------------------------- */

static const char note_css[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#1c1c1c;margin:2em auto;"
    "max-width:60em;line-height:1.4;padding:0 1em}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:1px solid #999;"
    "margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".verdict{padding:.6em 1em;border-left:.4em solid #2a7}"
    ".verdict.warn{border-color:#c80}.flag{color:#a40}"
    "figure{margin:1em 0;page-break-inside:avoid}figure img{max-width:100%;"
    "border:1px solid #888}figcaption{font-size:.85em;color:#444}"
    "svg{display:block;margin:.5em 0}.meta{color:#555;font-size:.85em}"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:.9em;word-break:break-all}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}h2{page-break-after:avoid}"
    "table,figure,svg{page-break-inside:avoid}a{color:inherit;text-decoration:none}}";

static void
esc(GString *s, const char *text)
{
  g_autofree char *e = g_markup_escape_text(text ? text : "", -1);
  g_string_append(s, e);
}

static void
row(GString *s, const char *key, const char *value)
{
  g_string_append(s, "<tr><th>");
  esc(s, key);
  g_string_append(s, "</th><td>");
  esc(s, value && *value ? value : "unspecified");
  g_string_append(s, "</td></tr>\n");
}

static char *
fmt_num(double v, int decimals, const char *unit, gboolean sign)
{
  if (isnan(v))
    return g_strdup("n/a");
  if (isinf(v))
    return g_strdup(v > 0 ? "identical" : "-inf");
  return g_strdup_printf(sign ? "%+.*f%s" : "%.*f%s", decimals, v, unit);
}

static char *
frames_list(const GArray *a)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; a && i < a->len; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(a, int, i));
  if (!s->len)
    g_string_append(s, "none");
  return g_string_free(s, FALSE);
}

/* A line plot of one metric over the frames; NaN breaks the line. */
static void
svg_plot(GString *s, const char *title, const sr_qa_frame *frames, int n, size_t offset,
         double limit, gboolean has_limit)
{
  const int W = 680, H = 170, L = 60, R = 10, T = 22, B = 26;
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; i++) {
    double v = *(const double *)((const char *)&frames[i] + offset);
    if (isfinite(v)) {
      lo = MIN(lo, v);
      hi = MAX(hi, v);
    }
  }
  if (has_limit && isfinite(lo)) {
    lo = MIN(lo, limit);
    hi = MAX(hi, limit);
  }
  g_string_append_printf(s,
                         "<svg width=\"%d\" "
                         "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
                         W, H, W, H);
  g_string_append(s, "<text x=\"4\" y=\"14\" font-size=\"12\" font-weight=\"bold\">");
  esc(s, title);
  g_string_append(s, "</text>");
  g_string_append_printf(s,
                         "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                         "stroke=\"#999\"/>",
                         L, T, W - L - R, H - T - B);
  if (!isfinite(lo) || n < 1) {
    g_string_append_printf(s, "<text x=\"%d\" y=\"%d\" font-size=\"11\">not measured</text>", L + 8,
                           T + 20);
    g_string_append(s, "</svg>\n");
    return;
  }
  if (hi - lo < 1e-12) {
    hi += 0.5 * (fabs(hi) > 0 ? fabs(hi) * 0.1 : 1e-3);
    lo -= 0.5 * (fabs(lo) > 0 ? fabs(lo) * 0.1 : 1e-3);
  }
  int f0 = frames[0].frame, f1 = frames[n - 1].frame;
  double span = f1 > f0 ? (double)(f1 - f0) : 1.0;
#define PX(fr) (L + ((double)(fr)-f0) / span * (W - L - R))
#define PY(v)  (T + (1.0 - ((v)-lo) / (hi - lo)) * (H - T - B))
  if (has_limit)
    g_string_append_printf(s,
                           "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                           "stroke=\"#c33\" stroke-dasharray=\"4 3\"/>",
                           L, W - R, PY(limit), PY(limit));
  gboolean open = FALSE;
  for (int i = 0; i < n; i++) {
    double v = *(const double *)((const char *)&frames[i] + offset);
    gboolean gap = i > 0 && frames[i].frame != frames[i - 1].frame + 1;
    if (!isfinite(v) || gap) {
      if (open)
        g_string_append(s, "\"/>");
      open = FALSE;
      if (!isfinite(v))
        continue;
    }
    if (!open) {
      g_string_append(s, "<polyline fill=\"none\" stroke=\"#236\" stroke-width=\"1.5\" "
                         "points=\"");
      open = TRUE;
    }
    g_string_append_printf(s, "%.1f,%.1f ", PX(frames[i].frame), PY(v));
  }
  if (open)
    g_string_append(s, "\"/>");
  for (int i = 0; i < n; i++) {
    double v = *(const double *)((const char *)&frames[i] + offset);
    if (isfinite(v) && frames[i].n_flags)
      g_string_append_printf(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#c60\"/>",
                             PX(frames[i].frame), PY(v));
  }
  g_string_append_printf(s,
                         "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">"
                         "%.4g</text>",
                         L - 4, T + 8, hi);
  g_string_append_printf(s,
                         "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">"
                         "%.4g</text>",
                         L - 4, H - B, lo);
  g_string_append_printf(s, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%d</text>", L, H - 8, f0);
  g_string_append_printf(s,
                         "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%d"
                         "</text>",
                         W - R, H - 8, f1);
#undef PX
#undef PY
  g_string_append(s, "</svg>\n");
}

static gboolean
append_still(GString *s, const SrNoteStill *st, GError **error)
{
  sr_error err = {0};
  size_t len = 0;
  void *data = sr_read_file(st->path, MAX_STILL_BYTES, &len, &err);
  if (!data) {
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_IO, _("still %s: %s"), st->path,
                err.message);
    return FALSE;
  }
  g_autofree char *b64 = g_base64_encode(data, len);
  free(data);
  g_string_append(s, "<figure><img alt=\"");
  esc(s, st->caption);
  g_string_append(s, "\" src=\"data:image/png;base64,");
  g_string_append(s, b64);
  g_string_append(s, "\"><figcaption>");
  esc(s, st->caption);
  g_string_append(s, "</figcaption></figure>\n");
  return TRUE;
}

char *
sr_validation_note_render(const SrValidationNote *note, GError **error)
{
  SrProject *p = note->project;
  const SrProvenance *prov = sr_project_get_provenance(p);
  const sr_qa_summary *sum = note->summary;
  sr_qa_thresholds defaults;
  const sr_qa_thresholds *t = note->thresholds;
  if (!t) {
    sr_qa_thresholds_init(&defaults);
    t = &defaults;
  }
  char now[32];
  if (!note->date_iso)
    sr_time_now_iso(now);
  const char *date = note->date_iso ? note->date_iso : now;
  g_autofree char *shot = sr_delivery_shot_name(p);

  GString *s =
      g_string_new("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  g_string_append(s, "<title>Validation note — ");
  esc(s, shot);
  g_string_append(s, "</title>\n<style>");
  g_string_append(s, note_css);
  g_string_append(s, "</style>\n</head>\n<body>\n");
  g_string_append(s, "<h1>Validation note: ");
  esc(s, prov && prov->film_title && *prov->film_title ? prov->film_title : sr_project_get_name(p));
  g_string_append(s, " — shot ");
  esc(s, shot);
  g_string_append(s, "</h1>\n<p class=\"meta\">Spatial recovery (reference-based), written by "
                     "Spatial Recovery " SR_VERSION " on ");
  esc(s, date);
  g_string_append(s, ".</p>\n");

  /* Summary verdict. */
  int flagged = sum ? sum->n_flagged : 0;
  g_string_append_printf(s, "<section id=\"summary\"><h2>Summary</h2>\n<p class=\"verdict%s\">",
                         flagged ? " warn" : "");
  if (!sum || sum->n_frames == 0)
    g_string_append(s, "No frames were measured.");
  else if (flagged)
    g_string_append_printf(s, "%d of %d frames were flagged for review (see Flagged frames).",
                           flagged, sum->n_frames);
  else
    g_string_append_printf(s, "All %d measured frames passed every check.", sum->n_frames);
  g_string_append(s, "</p></section>\n");

  /* Sources. */
  g_string_append(s, "<section id=\"sources\"><h2>Sources</h2>\n<table>\n");
  row(s, "Source element", prov ? prov->source_element : NULL);
  row(s, "Reference source", prov ? prov->reference_source : NULL);
  row(s, "Source sequence", sr_project_get_source_pattern(p));
  g_autofree char *src_space = sr_project_describe_space(p, TRUE);
  g_autofree char *ref_space = sr_project_describe_space(p, FALSE);
  row(s, "Source colour space", src_space);
  row(s, "Reference sequence", sr_project_get_reference_pattern(p));
  row(s, "Reference colour space", ref_space);
  g_autofree char *off = g_strdup_printf("%d", sr_project_get_reference_offset(p));
  row(s, "Reference frame offset", off);
  row(s, "Rendered frames", note->render_pattern);
  row(s, "Restorationist", prov ? prov->restorationist : NULL);
  row(s, "Institution", prov ? prov->institution : NULL);
  g_string_append(s, "</table></section>\n");

  /* Model. */
  g_string_append(s, "<section id=\"model\"><h2>Model and checkpoint</h2>\n");
  if (note->facts) {
    const SrCheckpointFacts *f = note->facts;
    g_string_append(s, "<table>\n");
    row(s, "Model id", f->model_id_short);
    g_string_append(s, "<tr><th>Full model id</th><td><code>");
    esc(s, f->model_id);
    g_string_append(s, "</code></td></tr>\n");
    row(s, "Checkpoint", f->checkpoint_path);
    row(s, "Architecture", f->architecture);
    row(s, "Model size", f->model_size);
    g_autofree char *steps = g_strdup_printf("%" G_GINT64_FORMAT, f->steps);
    row(s, "Training steps", steps);
    row(s, "Training date", f->training_date);
    g_autofree char *tf = frames_list(f->training_frames);
    g_autofree char *hf = frames_list(f->held_out_frames);
    row(s, "Training frames (pairs)", tf);
    row(s, "Held-out frames", hf);
    /* Regrain: what was added, so the grain metric below reads right. */
    row(s, "Grain added (regrain)",
        note->grain ? note->grain : "none: the frames are the model's result as it is");
    g_string_append(s, "</table>\n");
  } else {
    g_string_append(s, "<p class=\"flag\">The checkpoint could not be read: ");
    esc(s, note->facts_error ? note->facts_error : "no checkpoint given");
    g_string_append(s, "</p>\n");
  }
  g_string_append(s, "</section>\n");

  /* Training settings. */
  SrTrainingSettings ts;
  sr_project_get_training(p, &ts);
  static const char *const sizes[] = {"S", "M", "L"};
  g_string_append(s, "<section id=\"training\"><h2>Training settings and pairs</h2>\n<table>\n");
  row(s, "Model size (project)", sizes[CLAMP((int)ts.model_size, 0, 2)]);
  g_autofree char *t1 = g_strdup_printf("%d px, batch %d", ts.patch, ts.batch);
  row(s, "Patch and batch", t1);
  g_autofree char *t2 = g_strdup_printf("%d (checkpoint every %d)", ts.steps, ts.checkpoint_every);
  row(s, "Steps", t2);
  g_autofree char *t3 = g_strdup_printf("%g, warm-up %d steps%s", ts.learning_rate, ts.warmup_steps,
                                        ts.cosine_decay ? ", cosine decay" : "");
  row(s, "Learning rate", t3);
  g_autofree char *t4 =
      g_strdup_printf("flip %s, translate up to %g px, exposure jitter %s, "
                      "scale jitter %s",
                      ts.flip ? "on" : "off", ts.translate_px, ts.exposure_jitter ? "on" : "off",
                      ts.scale_jitter ? "on" : "off");
  row(s, "Augmentations", t4);
  sr_rect crop = sr_project_get_crop(p);
  g_autofree char *t5 = crop.w > 0
                            ? g_strdup_printf("%dx%d at (%d, %d)", crop.w, crop.h, crop.x, crop.y)
                            : g_strdup("whole frame");
  row(s, "Crop (live picture area)", t5);
  row(s, "Source pre-filter", sr_prefilter_id(sr_project_get_prefilter(p)));
  g_autofree char *pairs = frames_list(sr_project_get_pairs(p));
  g_autofree char *held = frames_list(sr_project_get_held_out(p));
  row(s, "Pair frames (project)", pairs);
  row(s, "Held-out frames (project)", held);
  int pv = sr_project_get_preview_frame(p);
  g_autofree char *pvs = pv >= 0 ? g_strdup_printf("%d", pv) : g_strdup("none");
  row(s, "Preview frame", pvs);
  g_string_append(s, "</table></section>\n");

  /* Held-out scores. */
  g_string_append(s, "<section id=\"held-out\"><h2>Held-out scores</h2>\n");
  int n_scored = 0;
  for (int i = 0; i < note->n_frames; i++)
    n_scored += note->frames[i].held_out && !isnan(note->frames[i].psnr);
  g_autofree char *trained = sr_delivery_held_out_text(note->facts);
  g_string_append(s, "<p>At training: ");
  esc(s, trained);
  g_string_append(s, ".</p>\n");
  if (!n_scored) {
    g_string_append(s, "<p>No held-out frame with a Reference lies in the validated range, so "
                       "this render's fidelity to the Reference was not measured here.</p>\n");
  } else {
    g_string_append(s, "<p>Luma (Y) of each frame against the Reference, in the training "
                       "domain inside the crop. The Source row shows where the element "
                       "started.</p>\n<table><tr><th>Frame</th><th>PSNR recovered</th>"
                       "<th>PSNR Source</th><th>SSIM recovered</th><th>SSIM Source</th></tr>\n");
    for (int i = 0; i < note->n_frames; i++) {
      const sr_qa_frame *f = &note->frames[i];
      if (!f->held_out || isnan(f->psnr))
        continue;
      g_autofree char *a = fmt_num(f->psnr, 2, " dB", FALSE);
      g_autofree char *b = fmt_num(f->psnr_source, 2, " dB", FALSE);
      g_autofree char *c = fmt_num(f->ssim, 4, "", FALSE);
      g_autofree char *d = fmt_num(f->ssim_source, 4, "", FALSE);
      g_string_append_printf(s,
                             "<tr><td>%d</td><td class=\"num\">%s</td><td class=\"num\">%s"
                             "</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
                             f->frame, a, b, c, d);
    }
    g_string_append(s, "</table>\n");
  }
  g_string_append(s, "</section>\n");

  /* Metrics. */
  g_string_append(s, "<section id=\"metrics\"><h2>Per-frame metrics</h2>\n");
  if (sum) {
    g_autofree char *a = fmt_num(sum->chroma_max, 5, "", FALSE);
    g_autofree char *b = fmt_num(100.0 * sum->range_fraction_max, 4, " %", FALSE);
    g_autofree char *c = fmt_num(sum->sharpness_gain_db_mean, 2, " dB", TRUE);
    g_autofree char *d = fmt_num(sum->hf_vs_reference_db_mean, 2, " dB", TRUE);
    g_autofree char *e = fmt_num(100.0 * sum->halo_score_max, 2, " %", FALSE);
    g_autofree char *f = fmt_num(sum->flicker_index, 5, "", FALSE);
    g_autofree char *g = fmt_num(sum->flicker_detail_index, 3, " dB", FALSE);
    g_autofree char *h = fmt_num(sum->psnr_mean, 2, " dB", FALSE);
    g_autofree char *k = fmt_num(sum->ssim_mean, 4, "", FALSE);
    g_string_append(s, "<table>\n");
    g_string_append_printf(s, "<tr><th>Frames measured</th><td class=\"num\">%d</td></tr>\n",
                           sum->n_frames);
    g_string_append_printf(s,
                           "<tr><th>Chroma identity, worst max |&#916;Cb|,|&#916;Cr|</th>"
                           "<td class=\"num\">%s</td></tr>\n",
                           a);
    g_string_append_printf(s,
                           "<tr><th>Values outside 0–1, worst frame</th><td class=\"num\">"
                           "%s</td></tr>\n",
                           b);
    g_string_append_printf(s, "<tr><th>NaN/Inf values</th><td class=\"num\">%zu</td></tr>\n",
                           sum->nonfinite_total);
    g_string_append_printf(s,
                           "<tr><th>Sharpness gain vs Source, mean</th><td class=\"num\">%s"
                           "</td></tr>\n",
                           c);
    g_string_append_printf(s,
                           "<tr><th>Fine detail vs Reference, mean</th><td class=\"num\">%s"
                           "</td></tr>\n",
                           d);
    g_string_append_printf(s, "<tr><th>Halo score, worst</th><td class=\"num\">%s</td></tr>\n", e);
    g_string_append_printf(s, "<tr><th>Flicker index (luma)</th><td class=\"num\">%s</td></tr>\n",
                           f);
    g_string_append_printf(s,
                           "<tr><th>Flicker index (detail)</th><td class=\"num\">%s</td>"
                           "</tr>\n",
                           g);
    g_string_append_printf(s,
                           "<tr><th>Held-out PSNR / SSIM, mean</th><td class=\"num\">%s / %s"
                           "</td></tr>\n",
                           h, k);
    g_string_append(s, "</table>\n");
  }
  if (note->n_frames > 0) {
    svg_plot(s, "Sharpness gain vs Source (dB)", note->frames, note->n_frames,
             offsetof(sr_qa_frame, sharpness_gain_db), t->sharpness_min_db, TRUE);
    svg_plot(s, "Fine detail vs Reference (dB)", note->frames, note->n_frames,
             offsetof(sr_qa_frame, hf_vs_reference_db), t->hf_over_ref_db, TRUE);
    svg_plot(s, "Grain vs Reference in flat areas (dB)", note->frames, note->n_frames,
             offsetof(sr_qa_frame, grain_vs_reference_db), 0, FALSE);
    svg_plot(s, "Chroma identity: max |dCb|, |dCr|", note->frames, note->n_frames,
             offsetof(sr_qa_frame, chroma_max), t->chroma_max, TRUE);
    svg_plot(s, "Halo score (overshoot / edge contrast)", note->frames, note->n_frames,
             offsetof(sr_qa_frame, halo_score), 0, FALSE);
    svg_plot(s, "Flicker: luma change vs Source's, frame to frame", note->frames, note->n_frames,
             offsetof(sr_qa_frame, flicker_luma), t->flicker_luma, TRUE);
  }
  g_string_append(s, "</section>\n");

  /* Flags. */
  g_string_append(s, "<section id=\"flagged\"><h2>Flagged frames</h2>\n");
  if (!flagged) {
    g_string_append(s, "<p>None.</p>\n");
  } else {
    g_string_append(s, "<table><tr><th>Frame</th><th>Reasons</th></tr>\n");
    for (int i = 0; i < note->n_frames; i++) {
      const sr_qa_frame *f = &note->frames[i];
      if (!f->n_flags)
        continue;
      g_string_append_printf(s, "<tr><td>%d</td><td>", f->frame);
      for (int j = 0; j < f->n_flags; j++) {
        g_string_append(s, j ? "<br>" : "");
        g_string_append(s, "<span class=\"flag\">");
        esc(s, f->flags[j].id);
        g_string_append(s, "</span>: ");
        esc(s, f->flags[j].reason);
      }
      g_string_append(s, "</td></tr>\n");
    }
    g_string_append(s, "</table>\n");
  }
  const GArray *pf = sr_project_get_flags(p);
  if (pf && pf->len) {
    g_string_append(s, "<p>Frames flagged by the restorationist during review:</p>\n<ul>\n");
    for (guint i = 0; i < pf->len; i++) {
      const SrFlag *fl = &g_array_index(pf, SrFlag, i);
      g_string_append_printf(s, "<li>%d: ", fl->frame);
      esc(s, fl->reason);
      g_string_append(s, "</li>\n");
    }
    g_string_append(s, "</ul>\n");
  }
  g_string_append(s, "</section>\n");

  /* Sign-off, reel and fixity. */
  g_autoptr(GArray) qa_flagged = g_array_new(FALSE, FALSE, sizeof(int));
  for (int i = 0; i < note->n_frames; i++)
    if (note->frames[i].n_flags)
      g_array_append_val(qa_flagged, note->frames[i].frame);
  SrGateInput gate = {.qa_run = TRUE, .qa_flagged = qa_flagged};
  sr_signoff_note_html(s, p, &gate);
  if (note->n_frames > 0)
    sr_delivery_note_html(s, p, note->frames[0].frame, note->frames[note->n_frames - 1].frame);

  /* Stills. */
  g_string_append(s, "<section id=\"stills\"><h2>Validation stills</h2>\n");
  if (!note->stills || note->stills->len == 0)
    g_string_append(s, "<p>No stills were written.</p>\n");
  for (guint i = 0; note->stills && i < note->stills->len; i++)
    if (!append_still(s, g_ptr_array_index(note->stills, i), error)) {
      g_string_free(s, TRUE);
      return NULL;
    }
  g_string_append(s, "</section>\n");

  /* Caveats. */
  g_string_append(s, "<section id=\"caveats\"><h2>Caveats</h2>\n<ul>\n");
  g_string_append(s, "<li>Metrics are measured in the training domain (Rec.709, BT.1886 "
                     "display encoding) inside the crop; outside the crop the recovered frame "
                     "is the Source.</li>\n");
  g_string_append(s, "<li>The Reference is a different element: closeness to it measures "
                     "transferred detail, not absolute correctness. Held-out frames were never "
                     "seen in training.</li>\n");
  g_string_append(s, "<li>Chroma is preserved by construction (the model changes luma only); "
                     "residual chroma differences of about 5e-4 come from half-float storage "
                     "and clipping at 0 and 1.</li>\n");
  gboolean any_ref = FALSE;
  for (int i = 0; i < note->n_frames; i++)
    any_ref |= note->frames[i].has_reference;
  if (!any_ref)
    g_string_append(s, "<li>No Reference frames were available for the validated range: "
                       "detail, grain and fidelity against the Reference were not "
                       "measured.</li>\n");
  if (crop.w > 0)
    g_string_append(s, "<li>The recovered crop is merged over the original frame (a "
                       "composite with trained algorithmic media).</li>\n");
  if (flagged)
    g_string_append_printf(s,
                           "<li>%d flagged frame%s should be reviewed; consider adding "
                           "them as training pairs and retraining.</li>\n",
                           flagged, flagged == 1 ? "" : "s");
  for (int i = 0; note->caveats && note->caveats[i]; i++) {
    g_string_append(s, "<li>");
    esc(s, note->caveats[i]);
    g_string_append(s, "</li>\n");
  }
  if (prov && prov->notes && *prov->notes) {
    g_string_append(s, "<li>Notes: ");
    esc(s, prov->notes);
    g_string_append(s, "</li>\n");
  }
  g_string_append(s, "</ul></section>\n</body>\n</html>\n");
  return g_string_free(s, FALSE);
}

gboolean
sr_validation_note_write(const SrValidationNote *note, const char *path, GError **error)
{
  g_autofree char *html = sr_validation_note_render(note, error);
  if (!html)
    return FALSE;
  sr_error err = {0};
  if (!sr_write_file_atomic(path, html, strlen(html), &err)) {
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  return TRUE;
}

/* ---- the run ------------------------------------------------------------------------ */

void
sr_validation_options_init(SrValidationOptions *o)
{
  memset(o, 0, sizeof *o);
  o->first = 1;
  o->last = 0;
  o->write_note = TRUE;
  o->write_stills = TRUE;
  sr_qa_thresholds_init(&o->thresholds);
}

void
sr_validation_result_clear(SrValidationResult *r)
{
  g_free(r->frames);
  g_free(r->out_dir);
  g_free(r->csv_path);
  g_free(r->json_path);
  g_free(r->note_path);
  if (r->still_paths)
    g_ptr_array_unref(r->still_paths);
  sr_checkpoint_facts_clear(&r->facts);
  memset(r, 0, sizeof *r);
}

static void
note_still_free(gpointer p)
{
  SrNoteStill *st = p;
  g_free(st->path);
  g_free(st->caption);
  g_free(st);
}

gboolean
sr_validation_fail_sr(GError **error, int code, const sr_error *err)
{
  g_set_error(error, SR_VALIDATION_ERROR,
              err->code == SR_ERR_MISSING ? SR_VALIDATION_ERROR_MISSING : code, "%s", err->message);
  return FALSE;
}

static gboolean
write_png(const char *path, const sr_image *img, GPtrArray *paths, GError **error)
{
  sr_error err = {0};
  if (!sr_still_write_png(path, img, 8, &err))
    return sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
  g_ptr_array_add(paths, g_strdup(path));
  return TRUE;
}

/* The stills of one frame: <shot>_<frame>_<kind>.png, and the scopes
 * <shot>_<frame>_<side>_<scope>.png. */
static const char *const still_kinds[] = {"wipe", "side-by-side", "wipe-preview"};
static const char *const scope_sides[] = {"original", "recovered"};
static const char *const scope_kinds[] = {"waveform", "vectorscope"};

static char *
still_stem(const char *dir, const char *shot, int frame)
{
  return g_strdup_printf("%s/%s_%d", dir, shot, frame);
}

static gboolean
write_scopes(const sr_image *frame, sr_colourspace space, const char *stem, GPtrArray *paths,
             GError **error)
{
  sr_error err = {0};
  sr_image *d = sr_image_convert_channels(frame, 3, &err);
  if (!d)
    return sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
  if (space != SR_TRAINING_DOMAIN) {
    sr_colour_transform *xf = sr_colour_transform_new(space, SR_TRAINING_DOMAIN, &err);
    if (!xf) {
      sr_image_free(d);
      return sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
    }
    sr_colour_transform_image(xf, d);
    sr_colour_transform_free(xf);
  }
  gboolean ok = TRUE;
  struct {
    const char *suffix;
    int w, h;
    gboolean vs;
  } scopes[] = {{scope_kinds[0], 720, 400, FALSE}, {scope_kinds[1], 400, 400, TRUE}};
  for (size_t i = 0; i < G_N_ELEMENTS(scopes) && ok; i++) {
    sr_scope_options so;
    sr_scope_options_init(&so, scopes[i].w, scopes[i].h);
    guint8 *rgba = g_malloc((size_t)scopes[i].w * scopes[i].h * 4);
    ok = scopes[i].vs ? sr_scope_vectorscope(d, &so, rgba, &err)
                      : sr_scope_waveform(d, &so, rgba, &err);
    sr_image *img = ok ? sr_scope_to_image(rgba, scopes[i].w, scopes[i].h, &err) : NULL;
    g_free(rgba);
    if (!img) {
      ok = sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
      break;
    }
    g_autofree char *path = g_strdup_printf("%s_%s.png", stem, scopes[i].suffix);
    ok = write_png(path, img, paths, error);
    sr_image_free(img);
  }
  sr_image_free(d);
  return ok;
}

static gboolean
write_stills_for(int frame, const sr_image *src, const sr_image *rec, sr_colourspace space,
                 const char *dir, const char *shot, GPtrArray *paths, GPtrArray *note_stills,
                 GError **error)
{
  sr_error err = {0};
  sr_still_options so;
  sr_still_options_init(&so, space, frame);
  g_autofree char *stem = still_stem(dir, shot, frame);
  sr_image *wipe = sr_still_wipe(src, rec, &so, &err);
  sr_image *side = wipe ? sr_still_side_by_side(src, rec, &so, &err) : NULL;
  if (!side) {
    sr_image_free(wipe);
    sr_error_prefix(&err, _("still for frame %d: "), frame);
    return sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
  }
  g_autofree char *pw = g_strdup_printf("%s_%s.png", stem, still_kinds[0]);
  g_autofree char *ps = g_strdup_printf("%s_%s.png", stem, still_kinds[1]);
  gboolean ok = write_png(pw, wipe, paths, error) && write_png(ps, side, paths, error);
  if (ok) {
    sr_image *small = sr_still_downscale(wipe, NOTE_STILL_WIDTH, &err);
    g_autofree char *pp = g_strdup_printf("%s_%s.png", stem, still_kinds[2]);
    ok = small ? write_png(pp, small, paths, error)
               : sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
    sr_image_free(small);
    if (ok) {
      SrNoteStill *st = g_new0(SrNoteStill, 1);
      st->path = g_strdup(pp);
      st->caption = g_strdup_printf("Frame %d: Original (left) and Recovered (right), wipe at "
                                    "the middle",
                                    frame);
      g_ptr_array_add(note_stills, st);
    }
  }
  sr_image_free(wipe);
  sr_image_free(side);
  if (!ok)
    return FALSE;
  g_autofree char *so_stem = g_strdup_printf("%s_%s", stem, scope_sides[0]);
  g_autofree char *sr_stem = g_strdup_printf("%s_%s", stem, scope_sides[1]);
  guint before = paths->len;
  if (!write_scopes(src, space, so_stem, paths, error) ||
      !write_scopes(rec, space, sr_stem, paths, error))
    return FALSE;
  static const char *const names[] = {"waveform (Y)", "vectorscope (Cb/Cr)"};
  for (guint i = before; i < paths->len; i++) {
    SrNoteStill *st = g_new0(SrNoteStill, 1);
    st->path = g_strdup(g_ptr_array_index(paths, i));
    st->caption =
        g_strdup_printf("Frame %d, %s: %s", frame, i - before < 2 ? "original" : "recovered",
                        names[(i - before) % 2]);
    g_ptr_array_add(note_stills, st);
  }
  return TRUE;
}

/* Refuses, before any work, a report file or still that would replace a
 * rendered, Source or Reference frame, whatever the spelling of --out. */
static gboolean
refuse_inputs(SrProject *project, const sr_sequence *render, const char *out_dir, const char *shot,
              const GArray *still_frames, const SrValidationOptions *opts, GError **error)
{
  sr_file_set *inputs = sr_project_input_files(project);
  sr_error err = {0};
  gboolean ok = sr_file_set_add_sequence(inputs, render, &err);
  const char *const reports[] = {"qa-frames.csv", "qa-frames.json",
                                 opts->write_note ? "validation-note.html" : NULL};
  for (guint i = 0; ok && i < G_N_ELEMENTS(reports) && reports[i]; i++) {
    g_autofree char *path = g_build_filename(out_dir, reports[i], NULL);
    ok = sr_file_set_refuse(inputs, path, &err);
  }
  g_autofree char *dir = g_build_filename(out_dir, "stills", NULL);
  for (guint i = 0; ok && i < still_frames->len; i++) {
    g_autofree char *stem = still_stem(dir, shot, g_array_index(still_frames, int, i));
    for (guint k = 0; ok && k < G_N_ELEMENTS(still_kinds); k++) {
      g_autofree char *path = g_strdup_printf("%s_%s.png", stem, still_kinds[k]);
      ok = sr_file_set_refuse(inputs, path, &err);
    }
    for (guint s = 0; ok && s < G_N_ELEMENTS(scope_sides); s++)
      for (guint k = 0; ok && k < G_N_ELEMENTS(scope_kinds); k++) {
        g_autofree char *path =
            g_strdup_printf("%s_%s_%s.png", stem, scope_sides[s], scope_kinds[k]);
        ok = sr_file_set_refuse(inputs, path, &err);
      }
  }
  sr_file_set_free(inputs);
  if (!ok)
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_INVALID, "%s", err.message);
  return ok;
}

gboolean
sr_validation_run(SrProject *project, const SrValidationOptions *opts,
                  SrValidationProgress progress, gpointer user_data, GCancellable *cancellable,
                  SrValidationResult *out, GError **error)
{
  SrValidationOptions defaults;
  if (!opts) {
    sr_validation_options_init(&defaults);
    opts = &defaults;
  }
  memset(out, 0, sizeof *out);
  out->still_paths = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *pattern = opts->render_pattern ? g_strdup(opts->render_pattern)
                                                  : sr_delivery_default_render_pattern(project);
  if (!pattern) {
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_INVALID,
                _("the project has no output folder: give the rendered frames with --render"));
    return FALSE;
  }
  if (opts->out_dir) {
    out->out_dir = g_strdup(opts->out_dir);
  } else {
    const char *of = sr_project_get_output_folder(project);
    if (!of || !*of) {
      g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_INVALID,
                  _("the project has no output folder: choose where the report goes (--out)"));
      return FALSE;
    }
    g_autofree char *base = sr_project_resolve_path(project, of);
    out->out_dir = g_build_filename(base, "validation", NULL);
  }
  const char *src_pat = sr_project_get_source_pattern(project);
  if (!src_pat || !*src_pat) {
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_INVALID,
                _("the project has no Source sequence to compare the render with"));
    return FALSE;
  }
  sr_error err = {0};
  sr_sequence rseq = {0}, sseq = {0}, fseq = {0};
  gboolean have_ref = FALSE, ok = FALSE;
  sr_qa_context *ctx = NULL;
  g_auto(sr_frame_map) map; /* which Reference frame each rendered frame is measured against */
  sr_project_get_frame_map(project, &map);
  SrQaCache *cache = NULL;
  g_autofree char *context = NULL;
  g_autoptr(GError) cerr = NULL;
  GPtrArray *note_stills = g_ptr_array_new_with_free_func(note_still_free);
  g_autofree char *src_path = sr_project_resolve_path(project, src_pat);
  GString *caveats_text = g_string_new(NULL);
  g_autofree char *facts_error = NULL;
  g_autofree char *shot = sr_delivery_shot_name(project);
  g_autoptr(GError) ferr = NULL;
  g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(int));

  if (!sr_sequence_open(&rseq, pattern, &err)) {
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_MISSING,
                _("no rendered frames to validate: %s. Render the shot first"), err.message);
    goto done;
  }
  if (!sr_sequence_open(&sseq, src_path, &err)) {
    sr_validation_fail_sr(error, SR_VALIDATION_ERROR_MISSING, &err);
    goto done;
  }
  const char *ref_pat = sr_project_get_reference_pattern(project);
  if (ref_pat && *ref_pat) {
    g_autofree char *rp = sr_project_resolve_path(project, ref_pat);
    have_ref = sr_sequence_open(&fseq, rp, &err);
    if (!have_ref)
      g_string_append_printf(caveats_text, "The Reference could not be opened (%s).", err.message);
  }
  int first = opts->first <= opts->last ? opts->first : rseq.first;
  int last = opts->first <= opts->last ? opts->last : rseq.last;
  /* Every missing frame is named (up to 20), so a farm's finishing job
   * says in one line what `farm resume` has to render. */
  GString *missing = g_string_new(NULL);
  int n_missing = 0;
  for (int f = first; f <= last; f++)
    if (!sr_sequence_has_frame(&rseq, f)) {
      if (n_missing < 20)
        g_string_append_printf(missing, "%s%d", n_missing ? ", " : "", f);
      n_missing++;
    }
  if (n_missing) {
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_MISSING,
                /* TRANSLATORS: the first %s is the rendered frames' pattern, the
                   second a list of frame numbers, the third ", ..." or "". */
                ngettext("%d rendered frame is missing in %d-%d of %s: %s%s. Render it or "
                         "choose a range with --frames",
                         "%d rendered frames are missing in %d-%d of %s: %s%s. Render them or "
                         "choose a range with --frames",
                         n_missing),
                n_missing, first, last, pattern, missing->str, n_missing > 20 ? ", ..." : "");
    g_string_free(missing, TRUE);
    goto done;
  }
  g_string_free(missing, TRUE);
  if (opts->write_stills) {
    if (opts->still_frames && opts->still_frames->len) {
      g_array_append_vals(want, opts->still_frames->data, opts->still_frames->len);
    } else {
      int mid = first + (last - first) / 2;
      g_array_append_val(want, first);
      if (mid != first)
        g_array_append_val(want, mid);
      if (last != mid && last != first)
        g_array_append_val(want, last);
    }
  }
  if (!refuse_inputs(project, &rseq, out->out_dir, shot, want, opts, error))
    goto done;
  sr_prep_settings prep;
  sr_project_get_prep_settings(project, &prep);
  ctx = sr_qa_context_new(&prep, &err);
  if (!ctx) {
    sr_validation_fail_sr(error, SR_VALIDATION_ERROR_INVALID, &err);
    goto done;
  }
  out->has_facts = sr_checkpoint_facts_lookup(project, opts->checkpoint, &out->facts, &ferr);
  if (!out->has_facts)
    facts_error = g_strdup(ferr->message);
  context = sr_validation_cache_context(project, &prep, out->has_facts ? &out->facts : NULL);
  cache = sr_qa_cache_open(pattern);
  int total = last - first + 1;
  out->frames = g_new0(sr_qa_frame, total);
  measure_shared ms = {
      .ctx = ctx,
      .rseq = &rseq,
      .sseq = &sseq,
      .fseq = have_ref ? &fseq : NULL,
      .map = &map,
      .first = first,
      .total = total,
      .held_out = g_new0(gboolean, total),
      .frames = out->frames,
      .cancellable = cancellable,
      .progress = progress,
      .user_data = user_data,
      .cache = cache,
      .context = context,
  };
  g_mutex_init(&ms.lock);
  for (int i = 0; i < total; i++)
    ms.held_out[i] = sr_project_is_held_out(project, first + i);
  /* Frames are independent: measure several at once (each 2K frame needs
   * about 250 MB of planes, hence the cap). */
  int workers = CLAMP((int)g_get_num_processors(), 1, 4);
  GThreadPool *pool = workers > 1 && total > 1 ? g_thread_pool_new(sr_validation_measure_one, &ms,
                                                                   MIN(workers, total), TRUE, NULL)
                                               : NULL;
  for (int i = 0; i < total; i++) {
    if (pool)
      g_thread_pool_push(pool, GINT_TO_POINTER(i + 1), NULL);
    else
      sr_validation_measure_one(GINT_TO_POINTER(i + 1), &ms);
  }
  if (pool)
    g_thread_pool_free(pool, FALSE, TRUE);
  g_free(ms.held_out);
  g_mutex_clear(&ms.lock);
  if (ms.error) {
    g_propagate_error(error, ms.error);
    goto done;
  }
  out->n_frames = total;
  out->n_cached = ms.cached;
  /* A folder that cannot be written only costs the next run its cache. */
  if (!sr_qa_cache_save(cache, &cerr))
    g_debug("%s", cerr->message);
  sr_qa_sequence_flicker(out->frames, out->n_frames, NULL);
  for (int i = 0; i < out->n_frames; i++)
    sr_qa_flag_frame(&out->frames[i], &opts->thresholds);
  sr_qa_summarise(out->frames, out->n_frames, &out->summary);

  if (!sr_mkdir_p(out->out_dir, &err)) {
    g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_IO,
                _("cannot create the report folder %s: %s. Choose another folder with --out"),
                out->out_dir, err.message);
    goto done;
  }
  /* A killed run's temporaries; those of a run still writing here are
   * locked and stay (sr-fs.h). */
  {
    g_autofree char *stills = g_build_filename(out->out_dir, "stills", NULL);
    sr_fs_remove_stale_temps(out->out_dir, "");
    sr_fs_remove_stale_temps(stills, "");
  }
  out->csv_path = g_build_filename(out->out_dir, "qa-frames.csv", NULL);
  out->json_path = g_build_filename(out->out_dir, "qa-frames.json", NULL);
  {
    g_autofree char *csv = sr_validation_frames_csv(out->frames, out->n_frames);
    g_autofree char *json = sr_validation_frames_json(out->frames, out->n_frames, &out->summary);
    if (!sr_write_file_atomic(out->csv_path, csv, strlen(csv), &err) ||
        !sr_write_file_atomic(out->json_path, json, strlen(json), &err)) {
      sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
      goto done;
    }
  }

  if (opts->write_stills) {
    g_autofree char *dir = g_build_filename(out->out_dir, "stills", NULL);
    gboolean sok = sr_mkdir_p(dir, &err);
    if (!sok)
      sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
    sr_colourspace space = sr_project_get_source_colourspace(project);
    for (guint i = 0; sok && i < want->len; i++) {
      int f = g_array_index(want, int, i);
      if (f < first || f > last) {
        g_set_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_INVALID,
                    _("still frame %d is outside the validated range %d-%d"), f, first, last);
        sok = FALSE;
        break;
      }
      sr_image *rec = sr_sequence_read(&rseq, f, &err);
      sr_image *src = rec ? sr_sequence_read(&sseq, f, &err) : NULL;
      if (!src)
        sok = sr_validation_fail_sr(error, SR_VALIDATION_ERROR_IO, &err);
      else
        sok = write_stills_for(f, src, rec, space, dir, shot, out->still_paths, note_stills, error);
      sr_image_free(rec);
      sr_image_free(src);
    }
    if (!sok)
      goto done;
  }

  if (opts->write_note) {
    out->note_path = g_build_filename(out->out_dir, "validation-note.html", NULL);
    /* Whether the render added grain, and how: its first frame's record. */
    g_autofree char *first_rendered =
        out->n_frames ? sr_pattern_format(pattern, out->frames[0].frame) : NULL;
    char *grain = NULL;
    if (first_rendered)
      sr_image_read_attribute(first_rendered, SR_RENDER_GRAIN_ATTR, &grain, NULL);
    const char *cav[2] = {caveats_text->len ? caveats_text->str : NULL, NULL};
    SrValidationNote note = {
        .project = project,
        .facts = out->has_facts ? &out->facts : NULL,
        .facts_error = facts_error,
        .render_pattern = pattern,
        .frames = out->frames,
        .n_frames = out->n_frames,
        .summary = &out->summary,
        .thresholds = &opts->thresholds,
        .stills = note_stills,
        .caveats = cav,
        .grain = grain,
    };
    gboolean written = sr_validation_note_write(&note, out->note_path, error);
    free(grain);
    if (!written)
      goto done;
  }
  ok = TRUE;
done:
  sr_qa_cache_free(cache);
  sr_qa_context_free(ctx);
  sr_sequence_clear(&rseq);
  sr_sequence_clear(&sseq);
  if (have_ref)
    sr_sequence_clear(&fseq);
  g_ptr_array_unref(note_stills);
  g_string_free(caveats_text, TRUE);
  return ok;
}
