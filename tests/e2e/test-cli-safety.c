/* End to end: what the CLI must never do with careless or hostile input —
 * overwrite a scan, delete a file it did not write, certify a frame no
 * model made, hang on a pipe, or ignore a second Ctrl-C. One test case per
 * bad input, each run through the real binary ($SR_CLI) on a small demo. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sr-io.h"

typedef struct {
  int status; /* exit status, or 128 + signal */
  char *out, *err;
} Run;

static void
run_clear(Run *r)
{
  g_free(r->out);
  g_free(r->err);
  memset(r, 0, sizeof *r);
}

static Run
run_argv(GPtrArray *args)
{
  const char *cli = g_getenv("SR_CLI");
  g_assert_nonnull(cli);
  g_ptr_array_insert(args, 0, (char *)cli);
  g_ptr_array_add(args, NULL);
  Run r = {0};
  int wait_status = 0;
  GError *error = NULL;
  if (!g_spawn_sync(NULL, (char **)args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                    &wait_status, &error))
    g_error("cannot run %s: %s", cli, error->message);
  r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  g_test_message("exit %d\n%s%s", r.status, r.out, r.err);
  return r;
}

static Run
run_cli(const char *first, ...)
{
  GPtrArray *args = g_ptr_array_new();
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
    g_ptr_array_add(args, (char *)a);
  va_end(ap);
  Run r = run_argv(args);
  g_ptr_array_free(args, TRUE);
  return r;
}

/* Every stderr line is one of ours, and none is printed twice. */
static void
assert_clean_messages(const Run *r, const char *command)
{
  g_autofree char *prefix = g_strdup_printf("spatial-recovery-cli %s: ", command);
  g_auto(GStrv) lines = g_strsplit(r->err, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (*lines[i] == '\0' || g_str_has_prefix(lines[i], "model ") ||
        g_str_has_prefix(lines[i], "note: "))
      continue;
    if (!g_str_has_prefix(lines[i], prefix))
      g_error("unexpected stderr line from %s: '%s'", command, lines[i]);
    for (guint k = 0; k < i; k++)
      if (g_str_equal(lines[k], lines[i]))
        g_error("stderr line printed twice: '%s'", lines[i]);
  }
}

static int
count_occurrences(const char *text, const char *needle)
{
  int n = 0;
  for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
    n++;
  return n;
}

static void
remove_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    g_chmod(path, 0755);
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      remove_tree(child);
    }
    if (d != NULL)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_remove(path);
  }
}

static char *
read_all(const char *path)
{
  char *data = NULL;
  if (!g_file_get_contents(path, &data, NULL, NULL))
    g_error("cannot read %s", path);
  return data;
}

/* A fresh 6-frame 160x120 demo (pairs 1, 3, 5) and a tiny model trained
 * for two steps on it (model.safetensors in the demo folder). */
static char *
make_demo(void)
{
  char *dir = g_dir_make_tmp("sr-safety-XXXXXX", NULL);
  g_assert_nonnull(dir);
  Run r = run_cli("demo", dir, "--frames", "6", "--size", "160x120", "--no-grain", "--no-train",
                  "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("demo failed (%d): %s", r.status, r.err);
  run_clear(&r);
  return dir;
}

static char *
train_model(const char *dir)
{
  g_autofree char *src = g_build_filename(dir, "source", "demo_src.%04d.exr", NULL);
  g_autofree char *ref = g_build_filename(dir, "reference", "demo_ref.%04d.exr", NULL);
  g_autofree char *out = g_build_filename(dir, "training", NULL);
  Run r = run_cli("train", "--source", src, "--reference", ref, "--pairs", "1,3", "--colorspace",
                  "aces2065-1", "--model", "s", "--patch", "32", "--batch", "1", "--steps", "2",
                  "--checkpoint-every", "2", "--contact-sheet-every", "0", "--backend", "cpu",
                  "--threads", "1", "--progress", "quiet", "--out", out, NULL);
  if (r.status != 0)
    g_error("train failed (%d): %s", r.status, r.err);
  run_clear(&r);
  return g_build_filename(out, "checkpoints", "latest.safetensors", NULL);
}

static char *
frame_path(const char *dir, const char *which, int frame)
{
  g_autofree char *name =
      g_strdup_printf("demo_%s.%04d.exr", which[0] == 's' ? "src" : "ref", frame);
  return g_build_filename(dir, which, name, NULL);
}

/* ---- prepare ---------------------------------------------------------------------- */

static char *
prepare_once(const char *dir)
{
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  char *out = g_build_filename(dir, "prep", NULL);
  Run r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 0);
  run_clear(&r);
  return out;
}

/* A file of the user's in DIR/pairs: prepare stops, naming it, and deletes
 * nothing (it used to empty the whole folder). */
static void
test_prepare_foreign_file(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *out = prepare_once(dir);
  g_autofree char *notes = g_build_filename(out, "pairs", "my-notes.txt", NULL);
  g_assert_true(g_file_set_contents(notes, "mine", -1, NULL));
  g_autofree char *pair = g_build_filename(out, "pairs", "pair_0001_input.exr", NULL);
  g_autofree char *pair_before = read_all(pair);
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  Run r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  assert_clean_messages(&r, "prepare");
  g_assert_nonnull(strstr(r.err, "my-notes.txt"));
  g_assert_nonnull(strstr(r.err, "did not write"));
  g_autofree char *notes_after = read_all(notes);
  g_assert_cmpstr(notes_after, ==, "mine");
  g_autofree char *pair_after = read_all(pair);
  g_assert_true(memcmp(pair_before, pair_after, 64) == 0);
  run_clear(&r);
  remove_tree(dir);
}

/* A file named like a pair but not in prepare's list (an older set, or the
 * user's own) is not prepare's to replace. */
static void
test_prepare_pair_named_foreign_file(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *pairs = g_build_filename(dir, "prep", "pairs", NULL);
  g_assert_cmpint(g_mkdir_with_parents(pairs, 0755), ==, 0);
  g_autofree char *theirs = g_build_filename(pairs, "pair_0001_gt.exr", NULL);
  g_assert_true(g_file_set_contents(theirs, "graded by hand", -1, NULL));
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  g_autofree char *out = g_build_filename(dir, "prep", NULL);
  Run r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "pair_0001_gt.exr"));
  g_autofree char *after = read_all(theirs);
  g_assert_cmpstr(after, ==, "graded by hand");
  run_clear(&r);
  remove_tree(dir);
}

/* A file named "pairs" where the folder would go is not moved out of sight. */
static void
test_prepare_pairs_is_a_file(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *out = g_build_filename(dir, "prep", NULL);
  g_assert_cmpint(g_mkdir(out, 0755), ==, 0);
  g_autofree char *pairs = g_build_filename(out, "pairs", NULL);
  g_assert_true(g_file_set_contents(pairs, "my list of pairs", -1, NULL));
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  Run r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  assert_clean_messages(&r, "prepare");
  g_assert_nonnull(strstr(r.err, "is not a folder prepare made"));
  g_autofree char *after = read_all(pairs);
  g_assert_cmpstr(after, ==, "my list of pairs");
  run_clear(&r);
  remove_tree(dir);
}

/* Its own pairs prepare replaces, including those the project no longer
 * lists, and only those. */
static void
test_prepare_replaces_own_pairs(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *out = prepare_once(dir);
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  g_autofree char *text = read_all(project);
  /* Pairs 1, 3, 5 become 1, 3. */
  g_auto(GStrv) parts = g_strsplit(text, "3,\n    5\n", 2);
  g_assert_nonnull(parts[1]);
  g_autofree char *edited = g_strjoinv("3\n", parts);
  g_assert_true(g_file_set_contents(project, edited, -1, NULL));
  Run r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("prepare again: %s", r.err);
  run_clear(&r);
  g_autofree char *p5 = g_build_filename(out, "pairs", "pair_0005_gt.exr", NULL);
  g_autofree char *p3 = g_build_filename(out, "pairs", "pair_0003_gt.exr", NULL);
  g_autofree char *manifest = g_build_filename(out, "pairs", ".spatial-recovery-pairs", NULL);
  g_assert_false(g_file_test(p5, G_FILE_TEST_EXISTS));
  g_assert_true(g_file_test(p3, G_FILE_TEST_IS_REGULAR));
  g_autofree char *listed = read_all(manifest);
  g_assert_nonnull(strstr(listed, "pair_0003_gt.exr\n"));
  g_assert_null(strstr(listed, "pair_0005"));
  remove_tree(dir);
}

/* DIR/pairs is a symlink to the scans, which happen to carry pair names:
 * prepare must not write over them. */
static void
test_prepare_pairs_folder_is_source(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *scans = g_build_filename(dir, "scans", NULL);
  g_assert_cmpint(g_mkdir(scans, 0755), ==, 0);
  for (int f = 1; f <= 6; f++) {
    g_autofree char *from = frame_path(dir, "source", f);
    g_autofree char *name = g_strdup_printf("pair_%04d_input.exr", f);
    g_autofree char *to = g_build_filename(scans, name, NULL);
    g_assert_cmpint(g_rename(from, to), ==, 0);
  }
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  g_autofree char *text = read_all(project);
  g_autofree char *fixed = NULL;
  {
    g_auto(GStrv) parts = g_strsplit(text, "source/demo_src.%04d.exr", 2);
    fixed = g_strjoinv("scans/pair_%04d_input.exr", parts);
  }
  g_assert_true(g_file_set_contents(project, fixed, -1, NULL));
  g_autofree char *out = g_build_filename(dir, "prep", NULL);
  g_assert_cmpint(g_mkdir(out, 0755), ==, 0);
  g_autofree char *link = g_build_filename(out, "pairs", NULL);
  g_assert_cmpint(symlink("../scans", link), ==, 0);
  g_autofree char *scan1 = g_build_filename(scans, "pair_0001_input.exr", NULL);
  g_autofree char *before = read_all(scan1);
  Run r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  assert_clean_messages(&r, "prepare");
  g_assert_nonnull(strstr(r.err, "is the input file"));
  g_autofree char *after = read_all(scan1);
  g_assert_true(memcmp(before, after, 64) == 0);
  run_clear(&r);
  remove_tree(dir);
}

/* ---- render ----------------------------------------------------------------------- */

/* --output names the Source frames through "..": refused, scans untouched
 * (it used to overwrite them and exit 0). */
static void
test_render_output_is_source(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *model = train_model(dir);
  g_autofree char *input = g_build_filename(dir, "source", "demo_src.%04d.exr", NULL);
  g_autofree char *output =
      g_build_filename(dir, "source", "..", "source", "demo_src.%04d.exr", NULL);
  g_autofree char *f1 = frame_path(dir, "source", 1);
  g_autofree char *before = read_all(f1);
  struct stat st0, st1;
  g_assert_cmpint(stat(f1, &st0), ==, 0);
  Run r = run_cli("render", "--model", model, "--input", input, "--output", output, "--backend",
                  "cpu", "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  assert_clean_messages(&r, "render");
  g_assert_nonnull(strstr(r.err, "is the input file"));
  g_assert_cmpint(stat(f1, &st1), ==, 0);
  g_assert_cmpint(st0.st_ino, ==, st1.st_ino); /* not replaced */
  g_autofree char *after = read_all(f1);
  g_assert_true(memcmp(before, after, 64) == 0);
  run_clear(&r);
  remove_tree(dir);
}

/* In project mode the Reference frames are protected too. */
static void
test_render_output_is_reference(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *model = train_model(dir);
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  g_autofree char *link = g_build_filename(dir, "ref-alias", NULL);
  g_assert_cmpint(symlink("reference", link), ==, 0);
  g_autofree char *output = g_build_filename(link, "demo_ref.%04d.exr", NULL);
  Run r = run_cli("render", project, "--model", model, "--output", output, "--backend", "cpu",
                  "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "is the input file"));
  g_assert_nonnull(strstr(r.err, "demo_ref.0001.exr"));
  run_clear(&r);
  remove_tree(dir);
}

/* One truncated Source frame: the others render, the failure is named once
 * (no doubled "frame 2: Source frame 2:"), exit 1. */
static void
test_render_unreadable_frame(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *model = train_model(dir);
  g_autofree char *f2 = frame_path(dir, "source", 2);
  g_assert_true(g_file_set_contents(f2, "v/1\001 truncated", -1, NULL));
  g_autofree char *input = g_build_filename(dir, "source", "demo_src.%04d.exr", NULL);
  g_autofree char *output = g_build_filename(dir, "render", "r.%04d.exr", NULL);
  Run r = run_cli("render", "--model", model, "--input", input, "--output", output, "--backend",
                  "cpu", "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  assert_clean_messages(&r, "render");
  g_assert_cmpint(count_occurrences(r.err, "demo_src.0002.exr"), ==, 1);
  g_assert_null(strstr(r.err, "frame 2: Source frame 2"));
  g_assert_nonnull(strstr(r.out, "5 rendered"));
  g_assert_nonnull(strstr(r.out, "1 failed"));
  for (int f = 1; f <= 6; f++) {
    g_autofree char *p = sr_pattern_format(output, f);
    g_assert_cmpint(g_file_test(p, G_FILE_TEST_IS_REGULAR), ==, f != 2);
  }
  run_clear(&r);
  remove_tree(dir);
}

/* A FIFO among the Source frames is refused, not waited on for ever. */
static void
test_render_fifo_frame(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *model = train_model(dir);
  g_autofree char *f3 = frame_path(dir, "source", 3);
  g_assert_cmpint(g_remove(f3), ==, 0);
  g_assert_cmpint(mkfifo(f3, 0600), ==, 0);
  g_autofree char *input = g_build_filename(dir, "source", "demo_src.%04d.exr", NULL);
  g_autofree char *output = g_build_filename(dir, "render", "r.%04d.exr", NULL);
  Run r = run_cli("render", "--model", model, "--input", input, "--output", output, "--backend",
                  "cpu", "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "demo_src.0003.exr"));
  g_assert_nonnull(strstr(r.err, "not a regular file"));
  g_autofree char *o4 = sr_pattern_format(output, 4);
  g_assert_true(g_file_test(o4, G_FILE_TEST_IS_REGULAR));
  run_clear(&r);
  remove_tree(dir);
}

/* ---- deliver ---------------------------------------------------------------------- */

/* Source frames given as the render carry no model id: no masters, no
 * "verified" (they used to be stamped with ML provenance). */
static void
test_deliver_source_frames(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *model = train_model(dir);
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  g_autofree char *source = g_build_filename(dir, "source", "demo_src.%04d.exr", NULL);
  g_autofree char *out = g_build_filename(dir, "delivery", NULL);
  Run r = run_cli("deliver", project, "--render", source, "--checkpoint", model, "--out", out,
                  "--no-note", "--progress", "quiet", "--override-review", "--by", "e2e",
                  "--reason", "Source frames as a render", NULL);
  g_assert_cmpint(r.status, ==, 1);
  assert_clean_messages(&r, "deliver");
  g_assert_nonnull(strstr(r.err, "carries no model id"));
  g_assert_null(strstr(r.out, "verified"));
  GDir *d = g_dir_open(out, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL)
    g_assert_false(g_str_has_suffix(name, ".exr"));
  if (d != NULL)
    g_dir_close(d);
  run_clear(&r);
  remove_tree(dir);
}

/* ---- empty paths and non-regular files --------------------------------------------- */

typedef struct {
  const char *name;
  const char *command;
  const char *option;
  gboolean project; /* takes the demo project as its argument */
} EmptyCase;

static const EmptyCase empty_cases[] = {
    {"deliver-out", "deliver", "--out", TRUE},     {"validate-out", "validate", "--out", TRUE},
    {"train-out", "train", "--out", TRUE},         {"prepare-out", "prepare", "--out", TRUE},
    {"render-output", "render", "--output", TRUE}, {"deliver-render", "deliver", "--render", TRUE},
    {"render-model", "render", "--model", TRUE},
};

/* --out "" named no folder at all (sr_mkdir_p read before its buffer). */
static void
test_empty_path(gconstpointer data)
{
  const EmptyCase *c = data;
  g_autofree char *dir = make_demo();
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);
  g_autofree char *option = g_strdup_printf("%s=", c->option);
  Run r = run_cli(c->command, project, option, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 2);
  assert_clean_messages(&r, c->command);
  g_autofree char *needle = g_strdup_printf("%s: an empty path", c->option);
  g_assert_nonnull(strstr(r.err, needle));
  run_clear(&r);
  remove_tree(dir);
}

/* A FIFO given as the project is refused at once. */
static void
test_fifo_project(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-safety-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename(dir, "p.srproj", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  const char *commands[] = {"check", "prepare", "render", "deliver", "validate", "train"};
  for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
    Run r = run_cli(commands[i], fifo, NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_nonnull(strstr(r.err, "not a regular file"));
    run_clear(&r);
  }
  remove_tree(dir);
}

/* ---- interrupts ------------------------------------------------------------------- */

/* The first Ctrl-C asks training to stop after the step in hand; a second
 * one ends the program at once (killed by SIGINT), as a user expects. */
static void
test_second_interrupt(void)
{
  g_autofree char *dir = make_demo();
  g_autofree char *src = g_build_filename(dir, "source", "demo_src.%04d.exr", NULL);
  g_autofree char *ref = g_build_filename(dir, "reference", "demo_ref.%04d.exr", NULL);
  g_autofree char *out = g_build_filename(dir, "training", NULL);
  const char *argv[] = {g_getenv("SR_CLI"),
                        "train",
                        "--source",
                        src,
                        "--reference",
                        ref,
                        "--pairs",
                        "1,3",
                        "--colorspace",
                        "aces2065-1",
                        "--model",
                        "m",
                        "--patch",
                        "64",
                        "--batch",
                        "8",
                        "--steps",
                        "10000000",
                        "--checkpoint-every",
                        "10000000",
                        "--contact-sheet-every",
                        "0",
                        "--backend",
                        "cpu",
                        "--threads",
                        "1",
                        "--progress",
                        "json",
                        "--out",
                        out,
                        NULL};
  GPid pid;
  int out_fd = -1;
  GError *error = NULL;
  g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                         NULL, &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error(error);
  /* Wait until it trains (a progress line), so the handlers are in place. */
  GIOChannel *ch = g_io_channel_unix_new(out_fd);
  char *line = NULL;
  while (g_io_channel_read_line(ch, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL) {
    gboolean progress = strstr(line, "\"progress\"") != NULL;
    g_free(line);
    if (progress)
      break;
  }
  /* A step of this size takes a tenth of a second or more: the first
   * interrupt is handled, and the second arrives while the step in hand
   * still runs (two signals sent at once would merge into one). */
  kill(pid, SIGINT);
  g_usleep(G_USEC_PER_SEC / 50);
  kill(pid, SIGINT);
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_spawn_close_pid(pid);
  g_io_channel_shutdown(ch, FALSE, NULL);
  g_io_channel_unref(ch);
  g_assert_true(WIFSIGNALED(status));
  g_assert_cmpint(WTERMSIG(status), ==, SIGINT);
  remove_tree(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli-safety/prepare/bad-input/foreign-file-in-pairs", test_prepare_foreign_file);
  g_test_add_func("/cli-safety/prepare/bad-input/pair-named-foreign-file",
                  test_prepare_pair_named_foreign_file);
  g_test_add_func("/cli-safety/prepare/replaces-own-pairs", test_prepare_replaces_own_pairs);
  g_test_add_func("/cli-safety/prepare/bad-input/pairs-is-a-file", test_prepare_pairs_is_a_file);
  g_test_add_func("/cli-safety/prepare/bad-input/pairs-folder-is-source",
                  test_prepare_pairs_folder_is_source);
  g_test_add_func("/cli-safety/render/bad-input/output-is-source", test_render_output_is_source);
  g_test_add_func("/cli-safety/render/bad-input/output-is-reference",
                  test_render_output_is_reference);
  g_test_add_func("/cli-safety/render/bad-input/unreadable-frame", test_render_unreadable_frame);
  g_test_add_func("/cli-safety/render/bad-input/fifo-frame", test_render_fifo_frame);
  g_test_add_func("/cli-safety/deliver/bad-input/source-frames", test_deliver_source_frames);
  for (guint i = 0; i < G_N_ELEMENTS(empty_cases); i++) {
    g_autofree char *path =
        g_strdup_printf("/cli-safety/bad-input/empty-path/%s", empty_cases[i].name);
    g_test_add_data_func(path, &empty_cases[i], test_empty_path);
  }
  g_test_add_func("/cli-safety/bad-input/fifo-project", test_fifo_project);
  g_test_add_func("/cli-safety/second-interrupt-ends-at-once", test_second_interrupt);
  return g_test_run();
}
