/* sr-page-review-playback.c — real-time playback on the Review page, so
 * flicker can be judged as the audience sees it: Original, Recovered or the
 * wipe at the film's rate (the project's), looped over a range, with J/K/L as in editing
 * suites (J reverse, K pause, L forward; J or L again doubles the speed, up
 * to 8×), Space to play or pause, I and O to set the loop's ends.
 *
 * The frame clock drives it (a tick callback): each tick works out which
 * frame is due from the time played, shows it when both its pictures are
 * already in the frame caches, and otherwise counts it dropped and asks the
 * caches for it; the caches prefetch ahead in the direction of travel on
 * their worker threads, so nothing here waits for a decode. Frames skipped
 * because a tick came late count as dropped too: shown + dropped = due, and
 * the line under the scrubber says so. Scopes are left alone while playing
 * and drawn for the frame paused on. */
#include "sr-page-review-private.h"

#include <math.h>

#include <glib/gi18n.h>

#include "sr-movie.h"

#define MAX_SPEED         8
#define PLAY_PREFETCH     12
#define SCRUB_PREFETCH    2
#define LABEL_INTERVAL_US (250 * 1000)

/* The rates offered besides the project's own. */
static const double usual_rates[] = {23.976, 24, 25, 29.97, 30, 48, 50, 60};
G_STATIC_ASSERT(G_N_ELEMENTS(usual_rates) < SR_REVIEW_MAX_RATES);

static gboolean
same_rate(double a, double b)
{
  return fabs(a - b) < 0.0005;
}

/* The dropdown's rates: the usual ones, with `extra` in its place among
 * them when it is none of them. */
static void
offer_rates(SrPageReview *self, double extra)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new(NULL);
  gboolean placed = FALSE;

  self->n_rates = 0;
  for (guint i = 0; i <= G_N_ELEMENTS(usual_rates); i++) {
    double next = i < G_N_ELEMENTS(usual_rates) ? usual_rates[i] : G_MAXDOUBLE;
    if (!placed && extra <= next) {
      if (!same_rate(extra, next))
        self->rates[self->n_rates++] = extra;
      placed = TRUE;
    }
    if (i < G_N_ELEMENTS(usual_rates))
      self->rates[self->n_rates++] = next;
  }
  for (guint i = 0; i < self->n_rates; i++) {
    g_autofree char *fps = sr_frame_rate_to_string(self->rates[i]);
    g_autofree char *name = g_strdup_printf(_("%s fps"), fps);
    gtk_string_list_append(names, name);
  }
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->rate_drop), G_LIST_MODEL(names));
}

double
sr_page_review_get_fps(SrPageReview *self)
{
  guint i = self->rate_drop ? gtk_drop_down_get_selected(GTK_DROP_DOWN(self->rate_drop)) : 0;
  return i < self->n_rates ? self->rates[i] : SR_FRAME_RATE_DEFAULT;
}

void
sr_page_review_set_fps(SrPageReview *self, double fps)
{
  for (guint pass = 0; pass < 2; pass++) {
    for (guint i = 0; i < self->n_rates; i++)
      if (same_rate(fps, self->rates[i])) {
        gtk_drop_down_set_selected(GTK_DROP_DOWN(self->rate_drop), i);
        return;
      }
    offer_rates(self, fps);
  }
}

void
sr_page_review_playback_follow_project(SrPageReview *self, gboolean always)
{
  SrProject *p = sr_page_review_project_of(self);
  double fps = p ? sr_project_get_frame_rate(p) : SR_FRAME_RATE_DEFAULT;
  if (!always && same_rate(fps, self->project_rate))
    return;
  self->project_rate = fps;
  sr_page_review_set_fps(self, fps);
}

int
sr_page_review_get_speed(SrPageReview *self)
{
  return self->speed;
}

void
sr_page_review_get_playback_stats(SrPageReview *self, guint64 *due, guint64 *shown,
                                  guint64 *dropped)
{
  if (due)
    *due = self->due;
  if (shown)
    *shown = self->shown;
  if (dropped)
    *dropped = self->dropped;
}

void
sr_page_review_get_loop(SrPageReview *self, int *in, int *out)
{
  if (in)
    *in = self->loop_in;
  if (out)
    *out = self->loop_out;
}

static void
update_label(SrPageReview *self)
{
  g_autofree char *loop = g_strdup_printf(_("Loop %d–%d"), self->loop_in, self->loop_out);
  g_autofree char *text = NULL;

  if (self->speed != 0 && self->play_start_us > 0) {
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self));
    double played = clock ? (gdk_frame_clock_get_frame_time(clock) - self->play_start_us) / 1e6 : 0;
    double shown_fps = played > 0 ? self->shown / played : 0;
    text = g_strdup_printf(_("%s · %+d× · %.1f fps shown · %llu/%llu dropped"), loop, self->speed,
                           shown_fps, (unsigned long long)self->dropped,
                           (unsigned long long)self->due);
  } else if (self->due > 0) {
    text = g_strdup_printf(_("%s · paused · %llu/%llu dropped"), loop,
                           (unsigned long long)self->dropped, (unsigned long long)self->due);
  } else {
    text = g_strdup_printf(_("%s · Space plays, J K L shuttle"), loop);
  }
  gtk_label_set_text(GTK_LABEL(self->play_label), text);
  gtk_widget_set_tooltip_text(self->play_label, text);
}

/* The frame k periods after the start, wrapped into the loop. */
static int
frame_at(SrPageReview *self, gint64 k)
{
  gint64 len = (gint64)self->loop_out - self->loop_in + 1;
  gint64 rel = (gint64)(self->play_start_frame - self->loop_in) + (self->speed > 0 ? k : -k);
  return self->loop_in + (int)(((rel % len) + len) % len);
}

static gboolean
cached(SrFrameCache *cache, int frame)
{
  SrFrame *f = sr_frame_cache_lookup(cache, frame);
  if (f)
    sr_frame_unref(f);
  return f != NULL;
}

static gboolean
on_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  SrPageReview *self = data;
  gint64 now = gdk_frame_clock_get_frame_time(clock);

  if (self->speed == 0 || !self->has_render)
    return G_SOURCE_CONTINUE;
  if (self->play_start_us == 0) {
    self->play_start_us = now;
    return G_SOURCE_CONTINUE;
  }
  double per_second = sr_page_review_get_fps(self) * abs(self->speed);
  gint64 k = (gint64)floor((double)(now - self->play_start_us) * per_second / 1e6);
  gint64 n = k - self->play_steps;
  if (n > 0) {
    self->play_steps = k;
    self->due += (guint64)n;
    int target = frame_at(self, k);
    if (cached(self->source_frames, target) && cached(self->render_frames, target)) {
      sr_page_review_set_frame(self, target);
      self->shown++;
      self->dropped += (guint64)(n - 1);
    } else {
      /* Not decoded in time: dropped; read it (and what follows) now. */
      self->dropped += (guint64)n;
      sr_frame_cache_show(self->source_frames, target);
      sr_frame_cache_show(self->render_frames, target);
    }
  }
  if (now - self->label_us >= LABEL_INTERVAL_US) {
    self->label_us = now;
    update_label(self);
  }
  return G_SOURCE_CONTINUE;
}

static void
sync_play_button(SrPageReview *self)
{
  gtk_button_set_icon_name(GTK_BUTTON(self->play_button), self->speed
                                                              ? "media-playback-pause-symbolic"
                                                              : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text(self->play_button,
                              self->speed ? _("Pause (Space or K)") : _("Play (Space or L)"));
}

void
sr_page_review_play(SrPageReview *self, int speed)
{
  g_return_if_fail(SR_IS_PAGE_REVIEW(self));
  speed = CLAMP(speed, -MAX_SPEED, MAX_SPEED);
  if (!self->has_render)
    speed = 0;
  if (speed != 0 && self->speed == 0) {
    self->due = self->shown = self->dropped = 0;
    if (self->frame < self->loop_in || self->frame > self->loop_out)
      sr_page_review_set_frame(self, self->loop_in);
  }
  self->speed = speed;
  /* Each speed counts its periods from where it starts. */
  self->play_start_us = 0;
  self->play_steps = 0;
  self->play_start_frame = self->frame;
  if (speed != 0 && !self->tick_id) {
    self->tick_id = gtk_widget_add_tick_callback(GTK_WIDGET(self), on_tick, self, NULL);
    sr_frame_cache_set_prefetch(self->source_frames, PLAY_PREFETCH);
    sr_frame_cache_set_prefetch(self->render_frames, PLAY_PREFETCH);
  } else if (speed == 0 && self->tick_id) {
    gtk_widget_remove_tick_callback(GTK_WIDGET(self), self->tick_id);
    self->tick_id = 0;
    sr_frame_cache_set_prefetch(self->source_frames, SCRUB_PREFETCH);
    sr_frame_cache_set_prefetch(self->render_frames, SCRUB_PREFETCH);
    /* The frame paused on: its pictures (and so its scopes) in full. */
    int frame = self->frame;
    self->frame = G_MININT;
    sr_page_review_set_frame(self, frame);
  }
  sync_play_button(self);
  update_label(self);
}

void
sr_page_review_playback_stop(SrPageReview *self)
{
  if (self->speed != 0)
    sr_page_review_play(self, 0);
}

void
sr_page_review_set_loop(SrPageReview *self, int in, int out)
{
  g_return_if_fail(SR_IS_PAGE_REVIEW(self));
  if (!self->has_render)
    return;
  in = CLAMP(in, self->first, self->last);
  out = CLAMP(out, self->first, self->last);
  self->loop_in = MIN(in, out);
  self->loop_out = MAX(in, out);
  if (self->speed != 0)
    sr_page_review_play(self, self->speed);
  update_label(self);
}

void
sr_page_review_playback_range_changed(SrPageReview *self, const sr_sequence *source)
{
  /* A new render plays at the film's rate (the project's, which a movie
   * Source presets with its own) until another is chosen. */
  sr_page_review_playback_follow_project(self, TRUE);
  sr_page_review_playback_stop(self);
  self->loop_in = self->first;
  self->loop_out = self->last;
  self->due = self->shown = self->dropped = 0;
  if (self->play_label)
    update_label(self);
}

/* ---- Keys and buttons ------------------------------------------------------------- */

/* J and L: start that way at 1×, or double the speed already going that way. */
static void
action_shuttle(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  int dir = g_variant_get_int32(param);

  if (dir == 0)
    sr_page_review_play(self, 0);
  else if (self->speed * dir > 0)
    sr_page_review_play(self, self->speed * 2);
  else
    sr_page_review_play(self, dir);
}

static void
action_play(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  sr_page_review_play(self, self->speed ? 0 : 1);
}

static void
action_loop(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  int end = g_variant_get_int32(param);

  if (end < 0)
    sr_page_review_set_loop(self, self->first, self->last);
  else if (end == 0)
    sr_page_review_set_loop(self, self->frame, MAX(self->frame, self->loop_out));
  else
    sr_page_review_set_loop(self, MIN(self->loop_in, self->frame), self->frame);
}

static void
on_rate_changed(GtkDropDown *drop, GParamSpec *pspec, SrPageReview *self)
{
  if (self->speed != 0)
    sr_page_review_play(self, self->speed);
}

void
sr_page_review_playback_class_init(GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action(widget_class, "review.shuttle", "i", action_shuttle);
  gtk_widget_class_install_action(widget_class, "review.play", NULL, action_play);
  gtk_widget_class_install_action(widget_class, "review.loop", "i", action_loop);
  /* Space only where the focus does not take it (a focused button or
   * check box keeps Space); J/K/L and I/O are the page's keys, answered
   * wherever the focus is (sr_page_review_init). */
  gtk_widget_class_add_binding_action(widget_class, GDK_KEY_space, 0, "review.play", NULL);
}

static GtkWidget *
flat_button(const char *label, const char *icon, const char *action, GVariant *target,
            const char *tip)
{
  GtkWidget *b = label ? gtk_button_new_with_label(label) : gtk_button_new_from_icon_name(icon);
  gtk_actionable_set_action_name(GTK_ACTIONABLE(b), action);
  if (target)
    gtk_actionable_set_action_target_value(GTK_ACTIONABLE(b), target);
  gtk_widget_set_tooltip_text(b, tip);
  gtk_widget_add_css_class(b, "flat");
  return b;
}

/* Leaving the page pauses: nobody would see the frames. */
static void
on_unmap(GtkWidget *widget, SrPageReview *self)
{
  sr_page_review_playback_stop(self);
}

/* A row under the scrubber: play, the loop's ends, the rate, the counter. */
void
sr_page_review_playback_init(SrPageReview *self)
{
  GtkWidget *scrub_row = gtk_widget_get_parent(self->timeline);
  GtkWidget *column = gtk_widget_get_parent(scrub_row);
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);

  self->play_button = flat_button(NULL, "media-playback-start-symbolic", "review.play", NULL,
                                  _("Play (Space or L)"));
  gtk_widget_set_name(self->play_button, "review-play");
  self->loop_in_button = flat_button(_("In"), NULL, "review.loop", g_variant_new_int32(0),
                                     _("Start the loop at this frame (I)"));
  self->loop_out_button = flat_button(_("Out"), NULL, "review.loop", g_variant_new_int32(1),
                                      _("End the loop at this frame (O)"));
  GtkWidget *whole = flat_button(_("Whole Render"), NULL, "review.loop", g_variant_new_int32(-1),
                                 _("Loop over every rendered frame"));
  self->rate_drop = gtk_drop_down_new(NULL, NULL);
  gtk_widget_set_tooltip_text(
      self->rate_drop,
      _("Playback rate: the film's frame rate, as set on the Project page; another rate chosen "
        "here holds until the project's changes"));
  self->project_rate = SR_FRAME_RATE_DEFAULT;
  offer_rates(self, SR_FRAME_RATE_DEFAULT);
  sr_page_review_set_fps(self, SR_FRAME_RATE_DEFAULT);
  g_signal_connect(self->rate_drop, "notify::selected", G_CALLBACK(on_rate_changed), self);
  self->play_label = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(self->play_label), 0);
  gtk_label_set_ellipsize(GTK_LABEL(self->play_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand(self->play_label, TRUE);
  gtk_widget_add_css_class(self->play_label, "dim-label");
  gtk_widget_add_css_class(self->play_label, "caption");
  gtk_widget_add_css_class(self->play_label, "numeric");
  GtkWidget *parts[] = {self->play_button, self->loop_in_button, self->loop_out_button, whole,
                        self->rate_drop,   self->play_label};
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++)
    gtk_box_append(GTK_BOX(row), parts[i]);
  gtk_box_insert_child_after(GTK_BOX(column), row, scrub_row);
  self->loop_in = self->loop_out = 0;
  g_signal_connect(self, "unmap", G_CALLBACK(on_unmap), self);
  sync_play_button(self);
}
