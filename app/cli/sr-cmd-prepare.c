/* spatial-recovery-cli prepare PROJECT [--out DIR]: builds every training
 * pair and writes them with the check report.
 *
 * All pairs go to a hidden staging folder first; only when every pair was
 * built and written does it replace DIR/pairs, so a failure leaves the
 * previous output (or nothing) behind, never a partial set.
 *
 * DIR/pairs may hold files of the user's: prepare lists the files it wrote
 * in DIR/pairs/.spatial-recovery-pairs and replaces only a folder whose every
 * file is a pair file named in that list; otherwise it stops before any
 * work, naming the files it did not write. */
#include "sr-cli.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-fs.h"
#include "sr-io.h"

#define MANIFEST_NAME   ".spatial-recovery-pairs"
#define MANIFEST_HEADER "spatial-recovery prepare: files written by prepare, one a line\n"

typedef struct {
  const char *staging;
  SrProgress *progress;
  int n_pairs;
  int n_written;
  GPtrArray *names; /* file names written into staging */
  char *error;      /* first write failure */
} Prepare;

/* pair_NNNN_input.exr or pair_NNNN_gt.exr, frame digits as write_pair_image
 * names them. */
static gboolean
is_pair_file_name(const char *name)
{
  if (!g_str_has_prefix(name, "pair_"))
    return FALSE;
  const char *p = name + 5;
  int digits = 0;
  if (*p == '-')
    p++;
  while (g_ascii_isdigit(*p)) {
    p++;
    digits++;
  }
  return digits >= 4 && (g_str_equal(p, "_input.exr") || g_str_equal(p, "_gt.exr"));
}

/* The names the manifest in dir lists (an empty set when there is none). */
static GHashTable *
read_manifest(const char *dir)
{
  GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *path = g_build_filename(dir, MANIFEST_NAME, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL) || !g_str_has_prefix(text, MANIFEST_HEADER))
    return names;
  g_auto(GStrv) lines = g_strsplit(text + strlen(MANIFEST_HEADER), "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (is_pair_file_name(*l))
      g_hash_table_add(names, g_strdup(*l));
  return names;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the files in dir that prepare did not write there (NULL when
 * every one is a listed pair file, or the manifest); the folder need not
 * exist. Anything but a plain file is never ours. */
static GPtrArray *
foreign_files(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d == NULL)
    return NULL;
  g_autoptr(GHashTable) ours = read_manifest(dir);
  GPtrArray *foreign = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    gboolean plain =
        g_file_test(path, G_FILE_TEST_IS_REGULAR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK);
    gboolean listed = g_str_equal(name, MANIFEST_NAME) || g_hash_table_contains(ours, name);
    if (!plain || !listed)
      g_ptr_array_add(foreign, g_strdup(name));
  }
  g_dir_close(d);
  if (foreign->len == 0) {
    g_ptr_array_unref(foreign);
    return NULL;
  }
  g_ptr_array_sort(foreign, compare_names);
  return foreign;
}

/* Fails, naming up to ten of them, when pairs_dir holds files prepare did
 * not write. */
static gboolean
refuse_foreign_files(const char *pairs_dir)
{
  /* A file or a link where the folder should be is not prepare's either:
   * replacing the folder would move it out of sight. */
  if (g_file_test(pairs_dir, G_FILE_TEST_IS_SYMLINK) ||
      (g_file_test(pairs_dir, G_FILE_TEST_EXISTS) && !g_file_test(pairs_dir, G_FILE_TEST_IS_DIR))) {
    sr_cli_error("prepare",
                 _("%s is not a folder prepare made (a file or a link); nothing was changed. Move "
                   "it elsewhere or choose another folder with --out"),
                 pairs_dir);
    return FALSE;
  }
  g_autoptr(GPtrArray) foreign = foreign_files(pairs_dir);
  if (foreign == NULL)
    return TRUE;
  g_autoptr(GString) list = g_string_new(NULL);
  for (guint i = 0; i < foreign->len && i < 10; i++)
    g_string_append_printf(list, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(foreign, i));
  if (foreign->len > 10)
    g_string_append(list, ", ...");
  sr_cli_error("prepare",
               ngettext("%s holds %u file prepare did not write (%s); nothing was changed. Move "
                        "it elsewhere or choose another folder with --out",
                        "%s holds %u files prepare did not write (%s); nothing was changed. Move "
                        "them elsewhere or choose another folder with --out",
                        foreign->len),
               pairs_dir, foreign->len, list->str);
  return FALSE;
}

/* Removes the files prepare wrote in dir (those its manifest lists, and the
 * manifest), then the folder if that left it empty. Nothing else. */
static void
remove_pair_folder(const char *dir)
{
  g_autoptr(GHashTable) ours = read_manifest(dir);
  GHashTableIter it;
  gpointer name;
  g_hash_table_iter_init(&it, ours);
  while (g_hash_table_iter_next(&it, &name, NULL)) {
    g_autofree char *file = g_build_filename(dir, (char *)name, NULL);
    g_remove(file);
  }
  g_autofree char *manifest = g_build_filename(dir, MANIFEST_NAME, NULL);
  g_remove(manifest);
  g_rmdir(dir);
}

/* Removes the staging folder: only the files this run wrote into it. */
static void
remove_staging(const char *staging, GPtrArray *names)
{
  for (guint i = 0; names != NULL && i < names->len; i++) {
    g_autofree char *file = g_build_filename(staging, (char *)g_ptr_array_index(names, i), NULL);
    g_remove(file);
  }
  g_autofree char *manifest = g_build_filename(staging, MANIFEST_NAME, NULL);
  g_remove(manifest);
  g_rmdir(staging);
}

static gboolean
write_manifest(const Prepare *prep, char **error)
{
  g_autoptr(GString) text = g_string_new(MANIFEST_HEADER);
  for (guint i = 0; i < prep->names->len; i++)
    g_string_append_printf(text, "%s\n", (char *)g_ptr_array_index(prep->names, i));
  g_autofree char *path = g_build_filename(prep->staging, MANIFEST_NAME, NULL);
  sr_error err;
  sr_error_clear(&err);
  if (!sr_write_file_atomic(path, text->str, text->len, &err)) {
    *error = g_strdup(err.message);
    return FALSE;
  }
  return TRUE;
}

/* Refuses, before any work, a pair or report that would replace one of the
 * project's Source or Reference frames (whatever the spelling of --out). */
/* Staging and old pair folders (".pairs.partial-*", ".pairs.old-*") a
 * killed prepare left in out. Called while holding the output's claim, so
 * no live prepare owns them. Only what prepare writes there goes: pair
 * files, temporaries and the manifest; a folder holding anything else
 * stays. */
static void
remove_killed_runs(const char *out)
{
  GDir *d = g_dir_open(out, 0, NULL);
  if (d == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (!g_str_has_prefix(name, ".pairs.partial-") && !g_str_has_prefix(name, ".pairs.old-"))
      continue;
    g_autofree char *dir = g_build_filename(out, name, NULL);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR) || g_file_test(dir, G_FILE_TEST_IS_SYMLINK))
      continue;
    GDir *sub = g_dir_open(dir, 0, NULL);
    const char *file;
    while (sub != NULL && (file = g_dir_read_name(sub)) != NULL) {
      if (is_pair_file_name(file) || g_str_equal(file, MANIFEST_NAME) ||
          (file[0] == '.' && g_str_has_suffix(file, ".tmp"))) {
        g_autofree char *path = g_build_filename(dir, file, NULL);
        g_remove(path);
      }
    }
    if (sub != NULL)
      g_dir_close(sub);
    g_rmdir(dir);
  }
  g_dir_close(d);
  sr_fs_remove_stale_temps(out, "check-report.");
}

static gboolean
refuse_inputs(SrProject *project, const char *out, const char *pairs_dir)
{
  sr_file_set *inputs = sr_project_input_files(project);
  sr_error err;
  sr_error_clear(&err);
  const GArray *pairs = sr_project_get_pairs(project);
  gboolean ok = TRUE;
  const char *const reports[] = {"check-report.json", "check-report.txt"};
  for (guint i = 0; ok && i < G_N_ELEMENTS(reports); i++) {
    g_autofree char *path = g_build_filename(out, reports[i], NULL);
    ok = sr_file_set_refuse(inputs, path, &err);
  }
  for (guint i = 0; ok && i < pairs->len; i++)
    for (int k = 0; ok && k < 2; k++) {
      g_autofree char *name =
          g_strdup_printf("pair_%04d_%s.exr", g_array_index(pairs, int, i), k ? "gt" : "input");
      g_autofree char *path = g_build_filename(pairs_dir, name, NULL);
      ok = sr_file_set_refuse(inputs, path, &err);
    }
  sr_file_set_free(inputs);
  if (!ok)
    sr_cli_error("prepare", "%s", err.message);
  return ok;
}

static gboolean
write_pair_image(Prepare *prep, const sr_image *img, int frame, const char *role,
                 const char *suffix, sr_error *err)
{
  sr_image *copy = sr_image_copy(img, err);
  if (copy == NULL)
    return FALSE;
  /* Pairs live in the training domain, whatever the sequences were. */
  copy->has_chromaticities = true;
  sr_colourspace_chromaticities(SR_TRAINING_DOMAIN, copy->chromaticities);
  char frame_s[32];
  g_snprintf(frame_s, sizeof frame_s, "%d", frame);
  gboolean ok = sr_image_set_attribute(copy, "spatialRecovery/pairRole", role, err) &&
                sr_image_set_attribute(copy, "spatialRecovery/sourceFrame", frame_s, err) &&
                sr_image_set_attribute(copy, "spatialRecovery/colourSpace",
                                       sr_colourspace_id(SR_TRAINING_DOMAIN), err);
  if (ok) {
    char *name = g_strdup_printf("pair_%04d_%s.exr", frame, suffix);
    g_autofree char *path = g_build_filename(prep->staging, name, NULL);
    sr_write_options opts;
    sr_write_options_init(&opts);
    opts.compression = SR_EXR_ZIP;
    g_ptr_array_add(prep->names, name); /* before writing: a failed write may leave it */
    ok = sr_image_write(path, copy, &opts, err);
  }
  sr_image_free(copy);
  return ok;
}

static void
on_pair_built(const sr_pair *pair, gpointer user_data)
{
  Prepare *prep = user_data;
  if (prep->error != NULL)
    return;
  sr_error err;
  sr_error_clear(&err);
  if (!write_pair_image(prep, pair->input, pair->source_frame, "input", "input", &err) ||
      !write_pair_image(prep, pair->ground_truth, pair->source_frame, "ground truth", "gt", &err)) {
    prep->error = g_strdup_printf(_("pair %d: %s"), pair->source_frame, err.message);
    return;
  }
  prep->n_written++;
  sr_progress_update(prep->progress, prep->n_written, NULL, NULL, 0);
}

static gboolean
write_text(const char *dir, const char *name, const char *text, char **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  sr_error err;
  sr_error_clear(&err);
  if (!sr_write_file_atomic(path, text, strlen(text), &err)) {
    *error = g_strdup(err.message);
    return FALSE;
  }
  return TRUE;
}

/* Swaps the complete new set in (the old one goes only after that) and
 * writes the reports. */
static gboolean
publish(const char *out, const char *staging, const char *pairs_dir, const sr_check_report *report)
{
  g_autofree char *old = g_strdup_printf("%s/.pairs.old-%ld", out, (long)getpid());
  gboolean had_old = g_file_test(pairs_dir, G_FILE_TEST_EXISTS);
  /* Checked again: files may have appeared while the pairs were built. */
  if (had_old && !refuse_foreign_files(pairs_dir))
    return FALSE;
  if (had_old && g_rename(pairs_dir, old) != 0) {
    sr_cli_error("prepare", _("%s: cannot replace the previous pairs: %s"), pairs_dir,
                 g_strerror(errno));
    return FALSE;
  }
  if (g_rename(staging, pairs_dir) != 0) {
    sr_cli_error("prepare", _("%s: cannot move the new pairs into place: %s"), pairs_dir,
                 g_strerror(errno));
    if (had_old)
      g_rename(old, pairs_dir);
    return FALSE;
  }
  if (had_old)
    remove_pair_folder(old);

  g_autofree char *json = sr_cli_check_report_to_json(report);
  g_autofree char *text = sr_cli_check_report_to_text(report);
  g_autofree char *json_nl = g_strconcat(json, "\n", NULL);
  char *werr = NULL;
  if (!write_text(out, "check-report.json", json_nl, &werr) ||
      !write_text(out, "check-report.txt", text, &werr)) {
    sr_cli_error("prepare", "%s", werr);
    g_free(werr);
    return FALSE;
  }
  return TRUE;
}

int
sr_cmd_prepare(int argc, char **argv)
{
  char *out_opt = NULL;
  char *progress_opt = NULL;
  GOptionEntry entries[] = {
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_opt,
       _("Output folder (default: 'prepared' beside the project file)"), "DIR"},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_opt, _("auto, bar, json or quiet"), "MODE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("PROJECT");
  g_option_context_set_summary(ctx, _("Builds every training pair of a project and writes "
                                      "DIR/pairs/pair_NNNN_input.exr and _gt.exr with "
                                      "DIR/check-report.json and .txt."));
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *error = NULL;
  int status = 1;
  SrProject *project = NULL;
  char *out = NULL, *staging = NULL, *pairs_dir = NULL;
  sr_claim claim = {.fd = -1};
  gboolean created_out = FALSE;
  sr_check_report report;
  sr_check_report_init(&report);
  Prepare prep = {0};

  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    sr_cli_error("prepare", "%s", error->message);
    g_error_free(error);
    status = 2;
    goto done;
  }
  SrProgressMode mode = SR_PROGRESS_AUTO;
  if (progress_opt != NULL && !sr_cli_parse_progress_mode(progress_opt, &mode)) {
    sr_cli_error("prepare", _("--progress: '%s' is not auto, bar, json or quiet"), progress_opt);
    status = 2;
    goto done;
  }
  if (argc != 2) {
    sr_cli_error("prepare", _("expected one project file (usage: prepare PROJECT [--out DIR])"));
    status = 2;
    goto done;
  }
  if (sr_cli_refuse_empty_path("prepare", "--out", out_opt)) {
    status = 2;
    goto done;
  }
  project = sr_cli_load_project("prepare", argv[1]);
  if (project == NULL)
    goto done;

  if (out_opt != NULL) {
    out = g_canonicalize_filename(out_opt, NULL);
  } else {
    g_autofree char *abs = g_canonicalize_filename(argv[1], NULL);
    g_autofree char *dir = g_path_get_dirname(abs);
    out = g_build_filename(dir, "prepared", NULL);
  }
  created_out = !g_file_test(out, G_FILE_TEST_EXISTS);
  sr_error err;
  sr_error_clear(&err);
  if (!sr_mkdir_p(out, &err)) {
    sr_cli_error("prepare", "%s", err.message);
    goto done;
  }
  pairs_dir = g_build_filename(out, "pairs", NULL);
  if (!refuse_inputs(project, out, pairs_dir) || !refuse_foreign_files(pairs_dir))
    goto done;
  /* One prepare per output folder at a time; holding the claim, whatever
   * an earlier, killed run left behind is stale. */
  int got = sr_claim_try(&claim, pairs_dir, &err);
  if (got <= 0) {
    if (got < 0)
      sr_cli_error("prepare", "%s", err.message);
    else
      sr_cli_error("prepare", _("%s: another prepare is writing there; wait until it ends"), out);
    goto done;
  }
  remove_killed_runs(out);
  staging = g_strdup_printf("%s/.pairs.partial-XXXXXX", out);
  if (g_mkdtemp(staging) == NULL) {
    sr_cli_error("prepare", _("%s: cannot create the output folder: %s"), staging,
                 g_strerror(errno));
    g_clear_pointer(&staging, g_free);
    goto done;
  }

  prep.staging = staging;
  prep.names = g_ptr_array_new_with_free_func(g_free);
  prep.n_pairs = (int)sr_project_get_pairs(project)->len;
  prep.progress = sr_progress_new(mode, "prepare", prep.n_pairs);
  sr_project_check_with_pairs(project, &report, on_pair_built, &prep);
  sr_progress_finish(prep.progress);
  prep.progress = NULL;

  if (sr_check_report_status(&report) == SR_CHECK_FAIL || prep.error != NULL) {
    for (int i = 0; i < report.n; i++)
      if (report.items[i].status == SR_CHECK_FAIL)
        sr_cli_error("prepare", "%s: %s: %s", report.items[i].subject, report.items[i].id,
                     report.items[i].detail);
    if (prep.error != NULL)
      sr_cli_error("prepare", "%s", prep.error);
    sr_cli_error("prepare", _("no pairs written; fix the problems above and run prepare again"));
    goto done;
  }

  char *merr = NULL;
  if (!write_manifest(&prep, &merr)) {
    sr_cli_error("prepare", "%s", merr);
    g_free(merr);
    goto done;
  }
  if (!publish(out, staging, pairs_dir, &report))
    goto done;
  char *text = sr_cli_check_report_to_text(&report);
  fputs(text, stdout);
  g_free(text);
  printf(ngettext("wrote %d pair to %s\n", "wrote %d pairs to %s\n", prep.n_written),
         prep.n_written, pairs_dir);
  status = 0;

done:
  if (staging != NULL && g_file_test(staging, G_FILE_TEST_IS_DIR))
    remove_staging(staging, prep.names);
  sr_claim_release(&claim);
  if (prep.names != NULL)
    g_ptr_array_unref(prep.names);
  if (status != 0 && created_out && out != NULL)
    g_rmdir(out); /* only succeeds when we left it empty */
  sr_progress_finish(prep.progress);
  g_free(prep.error);
  sr_check_report_clear(&report);
  g_clear_object(&project);
  g_free(out);
  g_free(staging);
  g_free(pairs_dir);
  g_free(out_opt);
  g_free(progress_opt);
  return status;
}
