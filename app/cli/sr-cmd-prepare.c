/* spatial-recovery-cli prepare PROJECT [--out DIR]: builds every training
 * pair and writes them with the check report.
 *
 * All pairs go to a hidden staging folder first; only when every pair was
 * built and written does it replace DIR/pairs, so a failure leaves the
 * previous output (or nothing) behind, never a partial set. */
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

typedef struct {
  const char *staging;
  SrProgress *progress;
  int n_pairs;
  int n_written;
  char *error; /* first write failure */
} Prepare;

/* Removes a flat folder of files (the staging and old pair folders). */
static void
remove_flat_folder(const char *path)
{
  GDir *dir = g_dir_open(path, 0, NULL);
  if (dir != NULL) {
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *file = g_build_filename(path, name, NULL);
      g_remove(file);
    }
    g_dir_close(dir);
  }
  g_rmdir(path);
}

static gboolean
write_pair_image(const Prepare *prep, const sr_image *img, int frame, const char *role,
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
    g_autofree char *name = g_strdup_printf("pair_%04d_%s.exr", frame, suffix);
    g_autofree char *path = g_build_filename(prep->staging, name, NULL);
    sr_write_options opts;
    sr_write_options_init(&opts);
    opts.compression = SR_EXR_ZIP;
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
  gboolean had_old = g_file_test(pairs_dir, G_FILE_TEST_IS_DIR);
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
    remove_flat_folder(old);

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
  staging = g_strdup_printf("%s/.pairs.partial-%ld", out, (long)getpid());
  pairs_dir = g_build_filename(out, "pairs", NULL);
  remove_flat_folder(staging);
  if (g_mkdir(staging, 0755) != 0) {
    sr_cli_error("prepare", _("%s: cannot create the output folder: %s"), staging,
                 g_strerror(errno));
    goto done;
  }

  prep.staging = staging;
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
    remove_flat_folder(staging);
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
