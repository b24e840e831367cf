/* sr-train-gallery-monitors.c — the training monitors of the gallery: a
 * preview checkpoint's output measured against the Source on a worker
 * (chroma identity, range, bounding box) and the pills that show it. */
#include "sr-train-gallery-private.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-ui-util.h"

/* ---- Measurement (worker thread) ---------------------------------------------- */

/* Copies n pixels of a 1, 3 or 4 channel row into RGB. */
static void
row_to_rgb(const float *row, int channels, float *rgb, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const float *p = row + i * (size_t)channels;
    rgb[i * 3 + 0] = p[0];
    rgb[i * 3 + 1] = channels >= 3 ? p[1] : p[0];
    rgb[i * 3 + 2] = channels >= 3 ? p[2] : p[0];
  }
}

static gboolean
in_unit_range(const float *rgb, double tolerance)
{
  for (int c = 0; c < 3; c++)
    if (!(rgb[c] >= -tolerance && rgb[c] <= 1.0 + tolerance))
      return FALSE;
  return TRUE;
}

/* How far rounding the output pixel `file` (values as stored) to half float
 * can move each channel of it in the training domain (err) and its Cb and Cr
 * (return value). Near black the domain's 2.4 curve is steep, so for a
 * scene-linear file this reaches several 0.01 there. Each domain channel is
 * a monotone function of each stored value, so its extremes over the
 * rounding box lie at the corners picked by the signs of its slopes. */
static double
rounding_bound(const sr_domain *dom, sr_ycbcr_coeffs k, const float file[3], float err[3])
{
  float h[3], probe[4 * 3], corner[6 * 3];
  for (int c = 0; c < 3; c++)
    h[c] = MAX(fabsf(file[c]) * (float)HALF_ROUNDING, (float)HALF_ROUNDING_MIN);
  /* The slopes' signs: each stored value pushed up on its own. */
  for (int i = 0; i < 4; i++)
    memcpy(probe + i * 3, file, sizeof(float) * 3);
  for (int c = 0; c < 3; c++)
    probe[(1 + c) * 3 + c] += h[c];
  sr_domain_forward(dom, probe, 4, 3);
  for (int d = 0; d < 3; d++)     /* domain channel */
    for (int c = 0; c < 3; c++) { /* stored value */
      float sign = probe[(1 + c) * 3 + d] >= probe[d] ? 1.0f : -1.0f;
      corner[(2 * d) * 3 + c] = file[c] + sign * h[c];
      corner[(2 * d + 1) * 3 + c] = file[c] - sign * h[c];
    }
  sr_domain_forward(dom, corner, 6, 3);
  for (int d = 0; d < 3; d++)
    err[d] = MAX(fabsf(corner[(2 * d) * 3 + d] - probe[d]),
                 fabsf(corner[(2 * d + 1) * 3 + d] - probe[d]));
  /* Cb = (B - Y) / (2 (1 - kb)), Cr = (R - Y) / (2 (1 - kr)): bound each
   * by its weights' magnitudes. */
  double cb = (k.kr * err[0] + k.kg * err[1] + (1.0 - k.kb) * err[2]) / (2.0 * (1.0 - k.kb));
  double cr = ((1.0 - k.kr) * err[0] + k.kg * err[1] + k.kb * err[2]) / (2.0 * (1.0 - k.kr));
  return MAX(cb, cr);
}

/* The monitors of one preview against the Source, both as read from disk;
 * pixels are paired by display coordinates (data window offsets).
 * Chroma: both go into the training domain, where the merge adds the same ΔY
 * to R, G and B, so there the output's Cb/Cr must equal the Source's, up to
 * the rounding of the preview file (the Source is the same file the merge
 * read). A pixel with a channel at or past 0 or 1 is left out: the merge
 * stops the luma step at the bound, and a value pushed past it is the range
 * monitor's finding, so each fault shows on its own monitor.
 * Range: in the file's own encoding, where a correct output stays in 0–1
 * (the domain's 0–1 lies inside 0–1 of every supported space); a Source
 * pixel already outside is passed through by the merge and not counted. */
gboolean
sr_train_gallery_measure_monitors(const sr_image *src, const sr_image *out, sr_colourspace space,
                                  sr_ycbcr_matrix matrix, MonitorResult *r, sr_error *err)
{
  memset(r, 0, sizeof *r);
  r->src_data = src->data_window;
  r->src_display = src->display_window;
  r->out_data = out->data_window;
  r->out_display = out->display_window;
  int differing = !sr_rect_equal(src->data_window, out->data_window) +
                  !sr_rect_equal(src->display_window, out->display_window);
  r->value[SR_TRAIN_MONITOR_BBOX] = differing;
  r->pass[SR_TRAIN_MONITOR_BBOX] = differing == 0;

  sr_domain *dom = sr_domain_new(space, err);
  if (!dom)
    return FALSE;
  size_t w = (size_t)out->width;
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(matrix);
  float *o_rgb = g_new(float, w * 3);
  float *o_file = g_new(float, w * 3);
  float *s_rgb = g_new(float, w * 3);
  float *o_ycc = g_new(float, w * 3);
  float *s_ycc = g_new(float, w * 3);

  /* Columns of the output row that the Source also covers, in buffer x. */
  int ox0 = MAX(0, src->data_window.x - out->data_window.x);
  int ox1 = MIN(out->width, src->data_window.x + src->width - out->data_window.x);
  guint64 n_outside = 0, n_values = 0;
  double max_dc = 0.0;
  gboolean nonfinite = FALSE;

  for (int y = 0; y < out->height; y++) {
    int sy = y + out->data_window.y - src->data_window.y;
    gboolean have_src = sy >= 0 && sy < src->height && ox1 > ox0;
    size_t n = have_src ? (size_t)(ox1 - ox0) : 0;
    row_to_rgb(sr_image_row(out, y), out->channels, o_rgb, w);
    if (have_src) {
      int sx0 = ox0 + out->data_window.x - src->data_window.x;
      row_to_rgb(sr_image_row(src, sy) + (size_t)sx0 * (size_t)src->channels, src->channels,
                 s_rgb + (size_t)ox0 * 3, n);
    }
    for (int x = 0; x < out->width; x++) {
      const float *o = o_rgb + (size_t)x * 3;
      gboolean paired = have_src && x >= ox0 && x < ox1;
      if (paired && !in_unit_range(s_rgb + (size_t)x * 3, 0.0))
        continue;
      n_values += 3;
      for (int c = 0; c < 3; c++)
        if (!(o[c] >= -RANGE_TOLERANCE && o[c] <= 1.0 + RANGE_TOLERANCE))
          n_outside++;
    }
    if (!have_src)
      continue;
    float *o_pair = o_rgb + (size_t)ox0 * 3, *s_pair = s_rgb + (size_t)ox0 * 3;
    memcpy(o_file, o_pair, sizeof(float) * n * 3);
    sr_domain_forward(dom, o_pair, n, 3);
    sr_domain_forward(dom, s_pair, n, 3);
    sr_rgb_to_ycbcr(matrix, s_pair, s_ycc, n, 3);
    sr_rgb_to_ycbcr(matrix, o_pair, o_ycc, n, 3);
    for (size_t i = 0; i < n; i++) {
      const float *a = o_ycc + i * 3, *b = s_ycc + i * 3;
      double d = MAX(fabs((double)a[1] - b[1]), fabs((double)a[2] - b[2]));
      if (!isfinite(d)) {
        nonfinite = TRUE;
        continue;
      }
      if (d > CHROMA_PASS / 4) {
        /* The bound is only worked out where it could matter (or make the
         * shown value more truthful): a fraction of a good output's pixels. */
        float e[3];
        const float *o = o_pair + i * 3;
        double bound = rounding_bound(dom, k, o_file + i * 3, e);
        gboolean clamped = FALSE;
        for (int c = 0; c < 3; c++)
          if (o[c] <= e[c] + CLAMP_MARGIN || o[c] >= 1.0 - e[c] - CLAMP_MARGIN)
            clamped = TRUE;
        if (clamped) {
          r->n_clamped++;
          continue;
        }
        d = MAX(d - bound, 0.0);
      }
      max_dc = MAX(max_dc, d);
      r->n_compared++;
    }
  }
  g_free(o_rgb);
  g_free(o_file);
  g_free(s_rgb);
  g_free(o_ycc);
  g_free(s_ycc);
  sr_domain_free(dom);

  if (nonfinite || (r->n_compared == 0 && r->n_clamped == 0)) {
    /* NaN in the output, or no pixel of it lies over the Source. */
    r->value[SR_TRAIN_MONITOR_CHROMA] = NAN;
    r->pass[SR_TRAIN_MONITOR_CHROMA] = FALSE;
  } else {
    r->value[SR_TRAIN_MONITOR_CHROMA] = max_dc;
    r->pass[SR_TRAIN_MONITOR_CHROMA] = max_dc <= CHROMA_PASS;
  }
  r->value[SR_TRAIN_MONITOR_RANGE] = n_values ? (double)n_outside / (double)n_values : 0.0;
  r->pass[SR_TRAIN_MONITOR_RANGE] = n_outside == 0;
  return TRUE;
}

/* ---- Monitors ------------------------------------------------------------------ */

static const char *const monitor_titles[SR_TRAIN_N_MONITORS] = {
    N_("Chroma identity"),
    N_("Range"),
    N_("Bounding box"),
};

static char *
format_rect(sr_rect r)
{
  return g_strdup_printf("%d,%d %d×%d", r.x, r.y, r.w, r.h);
}

static char *
monitor_value_text(const Preview *p, int m)
{
  const MonitorResult *r = &p->result;
  double v = r->value[m];
  switch (m) {
  case SR_TRAIN_MONITOR_CHROMA:
    if (isnan(v))
      return g_strdup(_("no pixels"));
    if (v == 0.0)
      return g_strdup("0");
    return v >= 1e-3 ? g_strdup_printf("%.3f", v) : g_strdup_printf("%.1e", v);
  case SR_TRAIN_MONITOR_RANGE:
    return v == 0.0 ? g_strdup(_("all inside")) : g_strdup_printf(_("%.3g %% outside"), v * 100.0);
  default: return g_strdup(r->pass[m] ? _("matches") : _("differs"));
  }
}

static char *
monitor_tooltip(SrTrainGallery *self, const Preview *p, int m)
{
  static const char *const about[SR_TRAIN_N_MONITORS] = {
      N_("Largest |ΔCb| or |ΔCr| between the output and the Source in the training domain, "
         "beyond the rounding of the half-float preview file. The network only changes luma, "
         "so the output must keep the Source's colour: passes at 0.001 or less. Pixels the "
         "merge clamped to black or white are left out."),
      N_("Share of the output's values outside 0–1 (pixels the Source already had outside are "
         "not counted). Passes when none are."),
      N_("The output's data and display windows must equal the Source's."),
  };
  GString *s = g_string_new(_(about[m]));
  if (!self->source_path)
    g_string_append_printf(s, "\n%s", _("Needs a preview frame in the project."));
  else if (!p)
    g_string_append_printf(s, "\n%s", _("Measured on each checkpoint's preview."));
  else if (p->state == MEASURE_FAILED)
    g_string_append_printf(s, "\n%s", p->error);
  else if (p->state == MEASURE_PENDING)
    g_string_append_printf(s, "\n%s", _("Measuring…"));
  else {
    g_autofree char *step = sr_train_gallery_step_title(p->step);
    g_string_append_printf(s, "\n%s", step);
    const MonitorResult *r = &p->result;
    if (m == SR_TRAIN_MONITOR_CHROMA) {
      g_autofree char *compared = g_strdup_printf("%" G_GUINT64_FORMAT, r->n_compared);
      g_autofree char *clamped = g_strdup_printf("%" G_GUINT64_FORMAT, r->n_clamped);
      g_string_append_printf(s, ": %.3g; ", r->value[m]);
      g_string_append_printf(s, _("%s pixels compared, %s clamped to black or white left out"),
                             compared, clamped);
    } else if (m == SR_TRAIN_MONITOR_RANGE) {
      g_string_append_printf(s, ": %.4g %%", r->value[m] * 100.0);
    } else {
      g_autofree char *sd = format_rect(r->src_data), *sw = format_rect(r->src_display);
      g_autofree char *od = format_rect(r->out_data), *ow = format_rect(r->out_display);
      g_string_append_printf(s, "\n");
      g_string_append_printf(s, _("Source: data %s, display %s\nOutput: data %s, display %s"), sd,
                             sw, od, ow);
    }
  }
  return g_string_free(s, FALSE);
}

void
sr_train_gallery_sync_monitors(SrTrainGallery *self)
{
  Preview *p = sr_train_gallery_shown_preview(self);
  for (int m = 0; m < SR_TRAIN_N_MONITORS; m++) {
    GtkWidget *pill = self->monitor_pill[m];
    gboolean done = p && p->state == MEASURE_DONE;
    sr_ui_set_class(pill, "pass", done && p->result.pass[m]);
    sr_ui_set_class(pill, "fail", done && !p->result.pass[m]);
    g_autofree char *value = done ? monitor_value_text(p, m) : g_strdup("—");
    gtk_label_set_text(GTK_LABEL(self->monitor_value[m]), value);
    g_autofree char *tip = monitor_tooltip(self, p, m);
    gtk_widget_set_tooltip_text(pill, tip);
  }
}

/* The row of monitor pills under the preview. */
GtkWidget *
sr_train_gallery_build_monitors(SrTrainGallery *self)
{
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_box_set_homogeneous(GTK_BOX(row), TRUE);
  gtk_widget_add_css_class(row, "train-monitors");
  gtk_widget_set_margin_top(row, 6);
  for (int m = 0; m < SR_TRAIN_N_MONITORS; m++) {
    GtkWidget *pill = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_add_css_class(pill, "train-monitor");
    GtkWidget *dot = gtk_label_new("●");
    gtk_widget_add_css_class(dot, "monitor-dot");
    gtk_box_append(GTK_BOX(pill), dot);
    GtkWidget *title = gtk_label_new(_(monitor_titles[m]));
    gtk_label_set_ellipsize(GTK_LABEL(title), PANGO_ELLIPSIZE_END);
    gtk_box_append(GTK_BOX(pill), title);
    self->monitor_value[m] = gtk_label_new("—");
    gtk_widget_set_hexpand(self->monitor_value[m], TRUE);
    gtk_label_set_xalign(GTK_LABEL(self->monitor_value[m]), 1);
    gtk_widget_add_css_class(self->monitor_value[m], "numeric");
    gtk_widget_add_css_class(self->monitor_value[m], "monitor-value");
    gtk_box_append(GTK_BOX(pill), self->monitor_value[m]);
    self->monitor_pill[m] = pill;
    gtk_box_append(GTK_BOX(row), pill);
  }
  return row;
}
