/* Tests for the CLI helpers: argument parsing, progress output (JSON lines,
 * several threads), and check-report formatting. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sr-cli-common.h"

static void
assert_list(const char *s, const int *expect, guint n)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(int));
  GError *error = NULL;
  g_assert_true(sr_cli_parse_frame_list(s, a, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(a->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint(g_array_index(a, int, i), ==, expect[i]);
  g_array_free(a, TRUE);
}

static void
test_frame_list(void)
{
  assert_list("1,5,9-12", (int[]){1, 5, 9, 10, 11, 12}, 6);
  assert_list(" 7 , 3,3, 2-4 ", (int[]){2, 3, 4, 7}, 4);
  assert_list("0", (int[]){0}, 1);
  const char *bad[] = {"", "a", "5-3", "1,,2", "-1", "1-", "0-2000000000", "99999999999", "1;2"};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int));
    GError *error = NULL;
    g_assert_false(sr_cli_parse_frame_list(bad[i], a, &error));
    g_assert_nonnull(error);
    g_assert_cmpuint(a->len, ==, 0);
    g_error_free(error);
    g_array_free(a, TRUE);
  }
}

static void
test_frame_range(void)
{
  int a = -1, b = -1;
  g_assert_true(sr_cli_parse_frame_range("10-20", &a, &b, NULL));
  g_assert_cmpint(a, ==, 10);
  g_assert_cmpint(b, ==, 20);
  g_assert_true(sr_cli_parse_frame_range("7", &a, &b, NULL));
  g_assert_cmpint(a, ==, 7);
  g_assert_cmpint(b, ==, 7);
  GError *error = NULL;
  g_assert_false(sr_cli_parse_frame_range("20-10", &a, &b, &error));
  g_assert_nonnull(strstr(error->message, "20-10"));
  g_clear_error(&error);
  g_assert_false(sr_cli_parse_frame_range("x", &a, &b, &error));
  g_clear_error(&error);
  g_assert_false(sr_cli_parse_frame_range("1-2-3", &a, &b, &error));
  g_clear_error(&error);
}

static void
test_rect_and_size(void)
{
  sr_rect r = {0};
  g_assert_true(sr_cli_parse_rect("8, 6,1904,1068", &r, NULL));
  g_assert_true(sr_rect_equal(r, ((sr_rect){8, 6, 1904, 1068})));
  const char *bad[] = {"1,2,3", "1,2,0,4", "-1,0,4,4", "1,2,3,4,5", "a,b,c,d", "", "0,0,99999,1"};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    GError *error = NULL;
    g_assert_false(sr_cli_parse_rect(bad[i], &r, &error));
    g_assert_nonnull(error);
    g_error_free(error);
  }
  int w = 0, h = 0;
  g_assert_true(sr_cli_parse_size("480x270", &w, &h, NULL));
  g_assert_cmpint(w, ==, 480);
  g_assert_cmpint(h, ==, 270);
  GError *error = NULL;
  g_assert_false(sr_cli_parse_size("480", &w, &h, &error));
  g_clear_error(&error);
  g_assert_false(sr_cli_parse_size("0x10", &w, &h, &error));
  g_clear_error(&error);
}

static void
test_progress_mode(void)
{
  SrProgressMode m = SR_PROGRESS_QUIET;
  g_assert_true(sr_cli_parse_progress_mode("auto", &m));
  g_assert_cmpint(m, ==, SR_PROGRESS_AUTO);
  g_assert_true(sr_cli_parse_progress_mode("bar", &m));
  g_assert_cmpint(m, ==, SR_PROGRESS_BAR);
  g_assert_true(sr_cli_parse_progress_mode("json", &m));
  g_assert_cmpint(m, ==, SR_PROGRESS_JSON);
  g_assert_true(sr_cli_parse_progress_mode("quiet", &m));
  g_assert_cmpint(m, ==, SR_PROGRESS_QUIET);
  g_assert_false(sr_cli_parse_progress_mode("loud", &m));
  g_assert_false(sr_cli_parse_progress_mode(NULL, &m));
}

#define N_THREADS 4
#define N_UPDATES 50

static gpointer
worker(gpointer data)
{
  SrProgress *p = data;
  for (int i = 0; i < N_UPDATES; i++) {
    const char *keys[] = {"loss"};
    double values[] = {0.5};
    sr_progress_update(p, i, keys, values, 1);
    if (i % 10 == 0)
      sr_progress_message(p, "note %d", i);
  }
  return NULL;
}

static void
test_progress_json(void)
{
  /* Capture stdout in a file while the progress writes to it. */
  char *tmp_path = NULL;
  int fd = g_file_open_tmp("sr-progress-XXXXXX", &tmp_path, NULL);
  g_assert_cmpint(fd, >=, 0);
  fflush(stdout);
  int saved = dup(STDOUT_FILENO);
  g_assert_cmpint(dup2(fd, STDOUT_FILENO), >=, 0);

  SrProgress *p = sr_progress_new(SR_PROGRESS_JSON, "train \"S\"", 100);
  const char *keys[] = {"loss", "lr"};
  double values[] = {0.0123, 2e-4};
  sr_progress_update(p, 10, keys, values, 2);
  sr_progress_message(p, "checkpoint %d written", 1);
  GThread *threads[N_THREADS];
  for (int i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new("w", worker, p);
  for (int i = 0; i < N_THREADS; i++)
    g_thread_join(threads[i]);
  sr_progress_finish(p);

  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  close(fd);
  char *out = NULL;
  g_assert_true(g_file_get_contents(tmp_path, &out, NULL, NULL));
  g_unlink(tmp_path);
  g_free(tmp_path);
  char **lines = g_strsplit(out, "\n", -1);
  int progress = 0, messages = 0, finish = 0;
  for (char **l = lines; *l != NULL; l++) {
    if (**l == '\0')
      continue;
    /* Every line is one whole JSON object, however the threads interleave. */
    JsonParser *parser = json_parser_new();
    GError *error = NULL;
    if (!json_parser_load_from_data(parser, *l, -1, &error))
      g_error("not JSON: '%s': %s", *l, error->message);
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    const char *event = json_object_get_string_member(o, "event");
    g_assert_cmpstr(json_object_get_string_member(o, "task"), ==, "train \"S\"");
    if (strcmp(event, "progress") == 0) {
      progress++;
      g_assert_true(json_object_has_member(o, "rate"));
      g_assert_true(json_object_has_member(o, "eta_s"));
      g_assert_cmpint(json_object_get_int_member(o, "total"), ==, 100);
      if (progress == 1) {
        g_assert_cmpint(json_object_get_int_member(o, "done"), ==, 10);
        g_assert_cmpfloat(json_object_get_double_member(o, "loss"), ==, 0.0123);
        g_assert_cmpfloat(json_object_get_double_member(o, "lr"), ==, 2e-4);
      }
    } else if (strcmp(event, "message") == 0) {
      messages++;
    } else if (strcmp(event, "finish") == 0) {
      finish++;
    }
    g_object_unref(parser);
  }
  g_strfreev(lines);
  g_free(out);
  g_assert_cmpint(progress, ==, 1 + N_THREADS * N_UPDATES);
  g_assert_cmpint(messages, ==, 1 + N_THREADS * 5);
  g_assert_cmpint(finish, ==, 1);
}

static void
test_progress_bar(void)
{
  if (g_test_subprocess()) {
    SrProgress *p = sr_progress_new(SR_PROGRESS_BAR, "render", 4);
    const char *keys[] = {"loss"};
    double values[] = {0.25};
    sr_progress_update(p, 4, keys, values, 1);
    sr_progress_message(p, "frame %d done", 4);
    sr_progress_finish(p);
    /* Quiet mode prints messages only. */
    p = sr_progress_new(SR_PROGRESS_QUIET, "q", 2);
    sr_progress_update(p, 1, NULL, NULL, 0);
    sr_progress_message(p, "quiet message");
    sr_progress_finish(p);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
  g_test_trap_assert_stdout("");
  g_test_trap_assert_stderr("*render*100%*4/4*ETA*loss 0.25*");
  g_test_trap_assert_stderr("*frame 4 done\n*");
  g_test_trap_assert_stderr("*quiet message\n");
}

static void
test_report_format(void)
{
  sr_check_report r;
  sr_check_report_init(&r);
  sr_check_report_add(&r, "chroma-identity", "pair 5", SR_CHECK_PASS, 0.0, "max |dCb| 0");
  sr_check_report_add(&r, "misalignment", "pair 5", SR_CHECK_WARN, 0.7, "0.7 px");
  char *text = sr_cli_check_report_to_text(&r);
  g_assert_nonnull(strstr(text, "PASS  chroma-identity"));
  g_assert_nonnull(strstr(text, "WARN  misalignment"));
  g_assert_nonnull(strstr(text, "2 checks: 1 pass, 1 warn, 0 fail"));
  g_free(text);
  sr_check_report_add(&r, "nonfinite", "pair 6", SR_CHECK_FAIL, 3, "3 NaN \"values\"");
  char *json = sr_cli_check_report_to_json(&r);
  JsonParser *parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  g_assert_cmpstr(json_object_get_string_member(o, "status"), ==, "FAIL");
  g_assert_cmpint(json_object_get_int_member(o, "fail"), ==, 1);
  JsonArray *checks = json_object_get_array_member(o, "checks");
  g_assert_cmpuint(json_array_get_length(checks), ==, 3);
  JsonObject *c = json_array_get_object_element(checks, 2);
  g_assert_cmpstr(json_object_get_string_member(c, "detail"), ==, "3 NaN \"values\"");
  g_object_unref(parser);
  g_free(json);
  sr_check_report_clear(&r);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli-common/frame-list", test_frame_list);
  g_test_add_func("/cli-common/frame-range", test_frame_range);
  g_test_add_func("/cli-common/rect-and-size", test_rect_and_size);
  g_test_add_func("/cli-common/progress-mode", test_progress_mode);
  g_test_add_func("/cli-common/progress-json", test_progress_json);
  g_test_add_func("/cli-common/progress-bar", test_progress_bar);
  g_test_add_func("/cli-common/report-format", test_report_format);
  return g_test_run();
}
