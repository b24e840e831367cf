/* sr-cli-common.c — progress, argument parsing and error lines shared by the
 * CLI commands. */
#include "sr-cli-common.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "sr-json-builder.h"

/* ---- Progress ------------------------------------------------------------- */

/* Redraw the bar at most this often; the last update always draws. */
#define BAR_INTERVAL_US (100 * 1000)
#define BAR_WIDTH       28

struct SrProgress {
  GMutex lock;
  SrProgressMode mode; /* resolved: BAR, JSON or QUIET */
  char *task;
  gint64 total;
  gint64 done;
  gint64 start_us;
  gint64 last_draw_us;
  gboolean bar_visible; /* a bar line is on screen and must be cleared first */
  GString *extra;       /* "loss 0.0123  lr 2e-4" of the last update */
};

gboolean
sr_cli_parse_progress_mode(const char *s, SrProgressMode *mode)
{
  static const struct {
    const char *name;
    SrProgressMode mode;
  } modes[] = {
      {"auto", SR_PROGRESS_AUTO},
      {"bar", SR_PROGRESS_BAR},
      {"json", SR_PROGRESS_JSON},
      {"quiet", SR_PROGRESS_QUIET},
  };
  if (s == NULL)
    return FALSE;
  for (size_t i = 0; i < G_N_ELEMENTS(modes); i++)
    if (g_ascii_strcasecmp(s, modes[i].name) == 0) {
      if (mode != NULL)
        *mode = modes[i].mode;
      return TRUE;
    }
  return FALSE;
}

SrProgress *
sr_progress_new(SrProgressMode mode, const char *task, gint64 total)
{
  SrProgress *p = g_new0(SrProgress, 1);
  g_mutex_init(&p->lock);
  if (mode == SR_PROGRESS_AUTO)
    mode = isatty(STDERR_FILENO) ? SR_PROGRESS_BAR : SR_PROGRESS_QUIET;
  p->mode = mode;
  p->task = g_strdup(task != NULL ? task : "");
  p->total = total > 0 ? total : 0;
  p->start_us = g_get_monotonic_time();
  p->extra = g_string_new(NULL);
  return p;
}

static void
json_append_string(GString *out, const char *s)
{
  g_string_append_c(out, '"');
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    switch (*c) {
    case '"': g_string_append(out, "\\\""); break;
    case '\\': g_string_append(out, "\\\\"); break;
    case '\n': g_string_append(out, "\\n"); break;
    case '\r': g_string_append(out, "\\r"); break;
    case '\t': g_string_append(out, "\\t"); break;
    default:
      if (*c < 0x20)
        g_string_append_printf(out, "\\u%04x", *c);
      else
        g_string_append_c(out, (char)*c);
    }
  }
  g_string_append_c(out, '"');
}

/* JSON has no NaN/Inf: those become null. */
static void
json_append_number(GString *out, double v)
{
  if (!isfinite(v)) {
    g_string_append(out, "null");
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, "%.6g", v);
  g_string_append(out, buf);
}

static double
progress_rate(const SrProgress *p, gint64 now_us)
{
  double elapsed = (double)(now_us - p->start_us) / 1e6;
  return elapsed > 1e-3 ? (double)p->done / elapsed : 0.0;
}

static void
format_duration(char *buf, size_t len, double seconds)
{
  if (!isfinite(seconds) || seconds < 0) {
    g_strlcpy(buf, "--:--", len);
    return;
  }
  long s = (long)(seconds + 0.5);
  if (s >= 3600)
    g_snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    g_snprintf(buf, len, "%02ld:%02ld", s / 60, s % 60);
}

/* Called with the lock held. */
static void
draw_bar(SrProgress *p, gint64 now_us)
{
  double rate = progress_rate(p, now_us);
  double frac = p->total > 0 ? (double)p->done / (double)p->total : 0.0;
  frac = CLAMP(frac, 0.0, 1.0);
  int filled = (int)(frac * BAR_WIDTH + 0.5);
  char bar[BAR_WIDTH + 1];
  for (int i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < filled ? '#' : '-';
  bar[BAR_WIDTH] = '\0';
  char eta[32];
  format_duration(eta, sizeof eta,
                  rate > 0 && p->total > 0 ? (double)(p->total - p->done) / rate : NAN);
  fprintf(stderr,
          "\r\033[K%s [%s] %3.0f%% %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  %.2f/s  %s %s%s%s",
          p->task, bar, frac * 100.0, p->done, p->total, rate,
          /* TRANSLATORS: in the progress bar, before the time left ("01:23"). */
          _("ETA"), eta, p->extra->len > 0 ? "  " : "", p->extra->str);
  fflush(stderr);
  p->bar_visible = TRUE;
  p->last_draw_us = now_us;
}

void
sr_progress_update(SrProgress *p, gint64 done, const char *const *keys, const double *values, int n)
{
  if (p == NULL)
    return;
  g_mutex_lock(&p->lock);
  gint64 now = g_get_monotonic_time();
  p->done = done;
  if (p->mode == SR_PROGRESS_JSON) {
    GString *line = g_string_new("{\"event\":\"progress\",\"task\":");
    json_append_string(line, p->task);
    double rate = progress_rate(p, now);
    g_string_append_printf(
        line, ",\"done\":%" G_GINT64_FORMAT ",\"total\":%" G_GINT64_FORMAT ",\"rate\":", p->done,
        p->total);
    json_append_number(line, rate);
    g_string_append(line, ",\"eta_s\":");
    json_append_number(line, rate > 0 && p->total > 0 ? (double)(p->total - p->done) / rate : NAN);
    for (int i = 0; i < n && keys != NULL && values != NULL; i++) {
      g_string_append_c(line, ',');
      json_append_string(line, keys[i]);
      g_string_append_c(line, ':');
      json_append_number(line, values[i]);
    }
    g_string_append(line, "}\n");
    fputs(line->str, stdout);
    fflush(stdout);
    g_string_free(line, TRUE);
  } else if (p->mode == SR_PROGRESS_BAR) {
    g_string_truncate(p->extra, 0);
    for (int i = 0; i < n && keys != NULL && values != NULL; i++)
      g_string_append_printf(p->extra, "%s%s %.4g", i > 0 ? "  " : "", keys[i], values[i]);
    if (now - p->last_draw_us >= BAR_INTERVAL_US || done >= p->total)
      draw_bar(p, now);
  }
  g_mutex_unlock(&p->lock);
}

void
sr_progress_message(SrProgress *p, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (p == NULL) {
    fprintf(stderr, "%s\n", msg);
    g_free(msg);
    return;
  }
  g_mutex_lock(&p->lock);
  if (p->mode == SR_PROGRESS_JSON) {
    GString *line = g_string_new("{\"event\":\"message\",\"task\":");
    json_append_string(line, p->task);
    g_string_append(line, ",\"message\":");
    json_append_string(line, msg);
    g_string_append(line, "}\n");
    fputs(line->str, stdout);
    fflush(stdout);
    g_string_free(line, TRUE);
  } else {
    if (p->bar_visible)
      fputs("\r\033[K", stderr);
    fprintf(stderr, "%s\n", msg);
    if (p->bar_visible)
      draw_bar(p, g_get_monotonic_time());
    fflush(stderr);
  }
  g_mutex_unlock(&p->lock);
  g_free(msg);
}

void
sr_progress_finish(SrProgress *p)
{
  if (p == NULL)
    return;
  g_mutex_lock(&p->lock);
  gint64 now = g_get_monotonic_time();
  if (p->mode == SR_PROGRESS_JSON) {
    GString *line = g_string_new("{\"event\":\"finish\",\"task\":");
    json_append_string(line, p->task);
    g_string_append_printf(
        line,
        ",\"done\":%" G_GINT64_FORMAT ",\"total\":%" G_GINT64_FORMAT ",\"elapsed_s\":", p->done,
        p->total);
    json_append_number(line, (double)(now - p->start_us) / 1e6);
    g_string_append(line, "}\n");
    fputs(line->str, stdout);
    fflush(stdout);
    g_string_free(line, TRUE);
  } else if (p->mode == SR_PROGRESS_BAR) {
    draw_bar(p, now);
    fputc('\n', stderr);
    fflush(stderr);
  }
  g_mutex_unlock(&p->lock);
  g_mutex_clear(&p->lock);
  g_string_free(p->extra, TRUE);
  g_free(p->task);
  g_free(p);
}

/* ---- Parsing -------------------------------------------------------------- */

/* Largest span a frame list may expand to: guards against "0-2000000000". */
#define MAX_LIST_FRAMES 1000000

/* A non-negative decimal integer that fits an int; *end after the digits. */
static gboolean
parse_uint(const char *s, const char **end, int *out)
{
  if (!g_ascii_isdigit(*s))
    return FALSE;
  gint64 v = 0;
  while (g_ascii_isdigit(*s)) {
    v = v * 10 + (*s - '0');
    if (v > G_MAXINT)
      return FALSE;
    s++;
  }
  *out = (int)v;
  *end = s;
  return TRUE;
}

static const char *
skip_space(const char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

static int
compare_int(gconstpointer a, gconstpointer b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

gboolean
sr_cli_parse_frame_range(const char *s, int *first, int *last, GError **error)
{
  const char *p = skip_space(s != NULL ? s : "");
  int a, b;
  if (!parse_uint(p, &p, &a)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("'%s' is not a frame range: expected A-B or A with frame numbers >= 0"),
                s != NULL ? s : "");
    return FALSE;
  }
  p = skip_space(p);
  b = a;
  if (*p == '-') {
    p = skip_space(p + 1);
    if (!parse_uint(p, &p, &b)) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  _("'%s' is not a frame range: expected A-B or A with frame numbers >= 0"), s);
      return FALSE;
    }
    p = skip_space(p);
  }
  if (*p != '\0') {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("'%s' is not a frame range: unexpected '%s'"), s, p);
    return FALSE;
  }
  if (b < a) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("frame range '%s' ends before it starts"), s);
    return FALSE;
  }
  *first = a;
  *last = b;
  return TRUE;
}

gboolean
sr_cli_parse_frame_list(const char *s, GArray *out, GError **error)
{
  if (s == NULL || *skip_space(s) == '\0') {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("empty frame list: expected e.g. 1,5,9-12"));
    return FALSE;
  }
  GArray *frames = g_array_new(FALSE, FALSE, sizeof(int));
  char **items = g_strsplit(s, ",", -1);
  gboolean ok = TRUE;
  for (char **it = items; *it != NULL && ok; it++) {
    int a, b;
    GError *local = NULL;
    if (!sr_cli_parse_frame_range(*it, &a, &b, &local)) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("frame list '%s': %s"), s,
                  local->message);
      g_error_free(local);
      ok = FALSE;
      break;
    }
    if ((gint64)b - a + 1 + frames->len > MAX_LIST_FRAMES) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  _("frame list '%s' names more than %d frames"), s, MAX_LIST_FRAMES);
      ok = FALSE;
      break;
    }
    for (gint64 f = a; f <= b; f++) {
      int fi = (int)f;
      g_array_append_val(frames, fi);
    }
  }
  g_strfreev(items);
  if (ok) {
    g_array_sort(frames, compare_int);
    for (guint i = 0; i < frames->len; i++) {
      int f = g_array_index(frames, int, i);
      if (i > 0 && f == g_array_index(frames, int, i - 1))
        continue;
      g_array_append_val(out, f);
    }
  }
  g_array_free(frames, TRUE);
  return ok;
}

gboolean
sr_cli_parse_rect(const char *s, sr_rect *r, GError **error)
{
  int v[4];
  const char *p = skip_space(s != NULL ? s : "");
  for (int i = 0; i < 4; i++) {
    if (!parse_uint(p, &p, &v[i]))
      goto bad;
    p = skip_space(p);
    if (i < 3) {
      if (*p != ',')
        goto bad;
      p = skip_space(p + 1);
    }
  }
  if (*p != '\0')
    goto bad;
  if (v[2] <= 0 || v[3] <= 0) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("rectangle '%s' has zero width or height"), s);
    return FALSE;
  }
  if (v[2] > SR_IMAGE_MAX_DIM || v[3] > SR_IMAGE_MAX_DIM || v[0] > SR_IMAGE_MAX_DIM ||
      v[1] > SR_IMAGE_MAX_DIM) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("rectangle '%s' is larger than %d pixels"), s, SR_IMAGE_MAX_DIM);
    return FALSE;
  }
  r->x = v[0];
  r->y = v[1];
  r->w = v[2];
  r->h = v[3];
  return TRUE;
bad:
  g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
              _("'%s' is not a rectangle: expected X,Y,W,H in pixels"), s != NULL ? s : "");
  return FALSE;
}

gboolean
sr_cli_parse_size(const char *s, int *width, int *height, GError **error)
{
  const char *p = skip_space(s != NULL ? s : "");
  int w, h;
  if (!parse_uint(p, &p, &w) || (*p != 'x' && *p != 'X') || !parse_uint(p + 1, &p, &h) ||
      *skip_space(p) != '\0') {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("'%s' is not a size: expected WIDTHxHEIGHT, e.g. 480x270"), s != NULL ? s : "");
    return FALSE;
  }
  if (w <= 0 || h <= 0 || w > SR_IMAGE_MAX_DIM || h > SR_IMAGE_MAX_DIM) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("size '%s' is out of range: width and height must be 1..%d"), s,
                SR_IMAGE_MAX_DIM);
    return FALSE;
  }
  *width = w;
  *height = h;
  return TRUE;
}

/* ---- Errors and projects --------------------------------------------------- */

void
sr_cli_error(const char *command, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  /* One line per problem: embedded newlines would split it. */
  g_strdelimit(msg, "\r\n", ' ');
  fprintf(stderr, "spatial-recovery-cli %s: %s\n", command, msg);
  fflush(stderr);
  g_free(msg);
}

SrProject *
sr_cli_load_project(const char *command, const char *path)
{
  if (path == NULL || *path == '\0') {
    sr_cli_error(command, _("no project file given"));
    return NULL;
  }
  GFile *file = g_file_new_for_commandline_arg(path);
  GError *error = NULL;
  SrProject *project = sr_project_load(file, &error);
  g_object_unref(file);
  if (project == NULL) {
    sr_cli_error(command, "%s", error->message);
    g_error_free(error);
  }
  return project;
}

/* ---- Check reports ---------------------------------------------------------- */

static void
count_statuses(const sr_check_report *report, int counts[3])
{
  counts[0] = counts[1] = counts[2] = 0;
  for (int i = 0; i < report->n; i++) {
    int s = (int)report->items[i].status;
    if (s >= 0 && s < 3)
      counts[s]++;
  }
}

char *
sr_cli_check_report_to_json(const sr_check_report *report)
{
  int counts[3];
  count_statuses(report, counts);
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "status");
  json_builder_add_string_value(b, sr_check_status_name(sr_check_report_status(report)));
  json_builder_set_member_name(b, "pass");
  json_builder_add_int_value(b, counts[SR_CHECK_PASS]);
  json_builder_set_member_name(b, "warn");
  json_builder_add_int_value(b, counts[SR_CHECK_WARN]);
  json_builder_set_member_name(b, "fail");
  json_builder_add_int_value(b, counts[SR_CHECK_FAIL]);
  json_builder_set_member_name(b, "checks");
  json_builder_begin_array(b);
  for (int i = 0; i < report->n; i++) {
    const sr_check *c = &report->items[i];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, c->id);
    json_builder_set_member_name(b, "subject");
    json_builder_add_string_value(b, c->subject);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, sr_check_status_name(c->status));
    json_builder_set_member_name(b, "value");
    if (isfinite(c->value))
      json_builder_add_double_value(b, c->value);
    else
      json_builder_add_null_value(b);
    json_builder_set_member_name(b, "detail");
    json_builder_add_string_value(b, c->detail);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  JsonNode *root = json_builder_get_root(b);
  char *text = sr_json_text(root, TRUE, NULL);
  json_node_unref(root);
  g_object_unref(b);
  return text;
}

char *
sr_cli_check_report_to_text(const sr_check_report *report)
{
  int counts[3];
  count_statuses(report, counts);
  GString *out = g_string_new(NULL);
  for (int i = 0; i < report->n; i++) {
    const sr_check *c = &report->items[i];
    g_string_append_printf(out, "%-4s  %-16s  %-10s  %s\n", sr_check_status_name(c->status), c->id,
                           c->subject, c->detail);
  }
  /* TRANSLATORS: the last line of a check report; the last %s is "FAILED",
     "passed with warnings" or "passed". */
  g_string_append_printf(out, _("%d checks: %d pass, %d warn, %d fail: %s\n"), report->n,
                         counts[SR_CHECK_PASS], counts[SR_CHECK_WARN], counts[SR_CHECK_FAIL],
                         sr_check_report_status(report) == SR_CHECK_FAIL ? _("FAILED")
                         : counts[SR_CHECK_WARN] > 0                     ? _("passed with warnings")
                                                                         : _("passed"));
  return g_string_free(out, FALSE);
}

gboolean
sr_cli_parse_project_args(const char *command, GOptionContext *ctx, int *argc, char ***argv,
                          char *const *progress_s, SrProgressMode *mode)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    sr_cli_error(command, "%s", error->message);
    return FALSE;
  }
  if (*argc != 2) {
    if (*argc < 2)
      sr_cli_error(command, "%s", _("give the project file"));
    else
      sr_cli_error(command, _("unexpected argument '%s'"), (*argv)[2]);
    return FALSE;
  }
  *mode = SR_PROGRESS_AUTO;
  if (*progress_s && !sr_cli_parse_progress_mode(*progress_s, mode)) {
    sr_cli_error(command, "%s", _("--progress must be auto, bar, json or quiet"));
    return FALSE;
  }
  return TRUE;
}

gboolean
sr_cli_refuse_empty_path(const char *command, const char *option, const char *value)
{
  if (value == NULL || *value != '\0')
    return FALSE;
  sr_cli_error(command,
               _("%s: an empty path was given; name a file or folder, or leave the "
                 "option out to use the default"),
               option);
  return TRUE;
}

void
sr_cli_emit_json(JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = sr_json_text(root, FALSE, NULL);
  printf("%s\n", text);
  fflush(stdout);
}

/* One process runs one command, so one flag serves every run. */
static atomic_bool stop_requested;

/* The first Ctrl-C (or SIGTERM) asks the work to stop after what is in
 * hand; a second one ends the program at once, as the user expects when
 * something is stuck. Writes are atomic, so nothing half-written stays. */
static void
on_stop_signal(int sig)
{
  if (atomic_exchange(&stop_requested, true)) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

const atomic_bool *
sr_cli_stop_begin(SrCliStopGuard *guard)
{
  struct sigaction sa = {0};

  atomic_store(&stop_requested, false);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &guard->old_int);
  sigaction(SIGTERM, &sa, &guard->old_term);
  return &stop_requested;
}

void
sr_cli_stop_end(SrCliStopGuard *guard)
{
  sigaction(SIGINT, &guard->old_int, NULL);
  sigaction(SIGTERM, &guard->old_term, NULL);
}

void
sr_cli_validation_progress(int done, int total, int frame, gpointer user_data)
{
  SrCliRun *run = user_data;
  if (!run->progress)
    run->progress = sr_progress_new(run->mode, "validate", total);
  const char *keys[] = {"frame"};
  double values[] = {frame};
  sr_progress_update(run->progress, done, keys, values, 1);
}
