/* spatial-recovery-cli demo DIR: the built-in demo, start to finish.
 *
 * Each step is one function taking the shared Demo state, run in order from
 * the table in sr_cmd_demo(); a later stage is one more entry there. */
#include "sr-cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-demo-telecine.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-metrics.h"
#include "sr-pairs.h"
#include "sr-simulator.h"
#include "sr-train.h"

#define DEMO_MIN_FRAMES        4
#define DEMO_MAX_FRAMES        10000
#define DEMO_MIN_SIZE          80
#define DEMO_SOURCE_PATTERN    "source/demo_src.%04d.exr"
#define DEMO_REFERENCE_PATTERN "reference/demo_ref.%04d.exr"
/* --cineon-dpx: 10-bit printing-density scans, as a film scanner writes. */
#define DEMO_SOURCE_DPX    "source/demo_src.%04d.dpx"
#define DEMO_REFERENCE_DPX "reference/demo_ref.%04d.dpx"
#define DEMO_FIRST_FRAME   1

typedef struct {
  char *dir; /* absolute */
  int n_frames;
  int width, height;
  gboolean grain;
  guint64 seed;
  SrProgressMode progress;
  const char *progress_name; /* as given on the command line, for sub-commands */
  gboolean train;            /* FALSE with --no-train: data and project only */
  gboolean cineon_dpx;       /* Cineon-log DPX scans instead of ACES EXR */
  SrProject *project;
  char *project_path; /* DIR/demo.srproj */
  sr_check_status check_status;
  gboolean telecine; /* the Reference as a simulated video transfer */
  sr_telecine_options telecine_options;
} Demo;

typedef gboolean (*DemoStep)(Demo *demo);

static const char *
demo_pattern(const Demo *demo, gboolean source)
{
  if (demo->cineon_dpx)
    return source ? DEMO_SOURCE_DPX : DEMO_REFERENCE_DPX;
  return source ? DEMO_SOURCE_PATTERN : DEMO_REFERENCE_PATTERN;
}

static sr_colourspace
demo_space(const Demo *demo)
{
  return demo->cineon_dpx ? SR_CS_CINEON : SR_CS_ACES2065_1;
}

/* Step 1: the simulated Source and Reference sequences. */
static gboolean
demo_write_sequences(Demo *demo)
{
  g_autofree char *src_dir = g_build_filename(demo->dir, "source", NULL);
  g_autofree char *ref_dir = g_build_filename(demo->dir, "reference", NULL);
  sr_error err;
  sr_error_clear(&err);
  if (!sr_mkdir_p(src_dir, &err) || !sr_mkdir_p(ref_dir, &err)) {
    sr_cli_error("demo", "%s", err.message);
    return FALSE;
  }
  sr_simulator_options sim;
  sr_simulator_options_init(&sim);
  sim.width = demo->width;
  sim.height = demo->height;
  sim.grain = demo->grain;
  sim.seed = demo->seed;
  sim.output_space = demo_space(demo);
  sr_write_options wopts;
  sr_write_options_init(&wopts);
  wopts.compression = SR_EXR_ZIP;
  if (demo->cineon_dpx)
    wopts.dpx_transfer = wopts.dpx_colorimetric = SR_DPX_PRINTING_DENSITY;

  if (demo->telecine) {
    int n_ref = sr_demo_write_telecine(&demo->telecine_options, &sim, demo->dir,
                                       DEMO_SOURCE_PATTERN, DEMO_REFERENCE_PATTERN,
                                       DEMO_FIRST_FRAME, demo->n_frames, demo->progress, &err);
    if (n_ref < 0) {
      sr_cli_error("demo", "%s", err.message);
      return FALSE;
    }
    printf(_("wrote %d Source frames and a %d-frame simulated telecine of them to %s\n"),
           demo->n_frames, n_ref, demo->dir);
    return TRUE;
  }
  SrProgress *progress = sr_progress_new(demo->progress, "demo frames", demo->n_frames);
  gboolean ok = TRUE;
  for (int i = 0; i < demo->n_frames && ok; i++) {
    int frame = DEMO_FIRST_FRAME + i;
    sr_image *src = NULL, *ref = NULL;
    ok = sr_simulator_render_frame(&sim, frame, &src, &ref, &err);
    if (ok) {
      char *src_name = sr_pattern_format(demo_pattern(demo, TRUE), frame);
      char *ref_name = sr_pattern_format(demo_pattern(demo, FALSE), frame);
      g_autofree char *src_path = g_build_filename(demo->dir, src_name, NULL);
      g_autofree char *ref_path = g_build_filename(demo->dir, ref_name, NULL);
      free(src_name);
      free(ref_name);
      ok = sr_image_set_attribute(src, "spatialRecovery/demoElement", "source", &err) &&
           sr_image_set_attribute(ref, "spatialRecovery/demoElement", "reference", &err) &&
           sr_image_write(src_path, src, &wopts, &err) &&
           sr_image_write(ref_path, ref, &wopts, &err);
    }
    sr_image_free(src);
    sr_image_free(ref);
    if (ok)
      sr_progress_update(progress, i + 1, NULL, NULL, 0);
  }
  sr_progress_finish(progress);
  if (!ok) {
    sr_cli_error("demo", "%s", err.message);
    return FALSE;
  }
  printf(_("wrote %d Source and %d Reference frames (%dx%d, %s) to %s\n"), demo->n_frames,
         demo->n_frames, demo->width, demo->height, sr_colourspace_label(demo_space(demo)),
         demo->dir);
  return TRUE;
}

static void
demo_frame_sets(const Demo *demo, GArray *pairs, GArray *held_out, int *preview)
{
  int n = demo->n_frames;
  /* About one pair per three frames, 3 to 5 of them, spread over the shot. */
  int n_pairs = CLAMP((n + 1) / 3, 3, 5);
  for (int i = 0; i < n_pairs; i++) {
    int f = DEMO_FIRST_FRAME + (int)((gint64)i * n / n_pairs);
    g_array_append_val(pairs, f);
  }
  GArray *free_frames = g_array_new(FALSE, FALSE, sizeof(int));
  for (int f = DEMO_FIRST_FRAME; f < DEMO_FIRST_FRAME + n; f++) {
    gboolean is_pair = FALSE;
    for (guint k = 0; k < pairs->len; k++)
      is_pair |= g_array_index(pairs, int, k) == f;
    if (!is_pair)
      g_array_append_val(free_frames, f);
  }
  /* Preview: the untrained frame nearest the middle; held out: the first and
   * last untrained frames. */
  *preview = -1;
  if (free_frames->len > 0) {
    guint mid = free_frames->len / 2;
    *preview = g_array_index(free_frames, int, mid);
    g_array_remove_index(free_frames, mid);
  }
  if (free_frames->len > 0)
    g_array_append_val(held_out, g_array_index(free_frames, int, 0));
  if (free_frames->len > 1)
    g_array_append_val(held_out, g_array_index(free_frames, int, free_frames->len - 1));
  g_array_free(free_frames, TRUE);
}

/* Step 2: the project document, with a preset for a few minutes of CPU
 * training. */
static gboolean
demo_write_project(Demo *demo)
{
  SrProject *p = sr_project_new();
  demo->project = p;
  sr_project_set_name(p, "Spatial Recovery demo");
  sr_project_set_source_pattern(p, demo_pattern(demo, TRUE));
  sr_project_set_reference_pattern(p, demo_pattern(demo, FALSE));
  sr_project_set_source_colourspace(p, demo_space(demo));
  sr_project_set_reference_colourspace(p, demo_space(demo));
  sr_project_set_reference_offset(p, 0);

  /* Crop: the live area inside a thin border, as on a scanned frame. */
  int margin = MAX(4, MIN(demo->width, demo->height) / 20);
  sr_rect crop = {margin, margin, demo->width - 2 * margin, demo->height - 2 * margin};
  sr_project_set_crop(p, crop);
  sr_project_set_output_folder(p, "output");
  sr_project_set_version(p, "v001");

  GArray *pairs = g_array_new(FALSE, FALSE, sizeof(int));
  GArray *held = g_array_new(FALSE, FALSE, sizeof(int));
  int preview = -1;
  demo_frame_sets(demo, pairs, held, &preview);
  GError *error = NULL;
  gboolean ok = TRUE;
  for (guint i = 0; i < pairs->len && ok; i++)
    ok = sr_project_add_pair(p, g_array_index(pairs, int, i), &error);
  for (guint i = 0; i < held->len && ok; i++)
    ok = sr_project_add_held_out(p, g_array_index(held, int, i), &error);
  if (ok && preview >= 0)
    ok = sr_project_set_preview_frame(p, preview, &error);
  g_array_free(pairs, TRUE);
  g_array_free(held, TRUE);

  SrTrainingSettings t;
  sr_training_settings_init(&t);
  t.model_size = SR_MODEL_SIZE_S;
  /* 128 px patches, or the largest multiple of 16 the crop holds. */
  t.patch = MAX(64, MIN(128, MIN(crop.w, crop.h) / 16 * 16));
  t.batch = 3;
  t.steps = 1200;
  t.checkpoint_every = 400;
  t.contact_sheet_every = 100;
  t.learning_rate = 5e-4;
  t.warmup_steps = 20;
  t.seed = demo->seed;
  if (ok)
    ok = sr_project_set_training(p, &t, &error);

  SrProvenance prov = {
      .film_title = "Spatial Recovery demo (simulated)",
      .shot_id = "demo_sh010",
      .source_element = "simulated 16mm release print",
      .reference_source = "simulated 35mm internegative",
      .restorationist = "Demo Restorationist",
      .institution = "Demo Film Archive",
      .notes = "Synthetic frames from the built-in film-element simulator; not archival material.",
  };
  sr_project_set_provenance(p, &prov);

  if (ok) {
    GFile *file = g_file_new_for_path(demo->project_path);
    ok = sr_project_save(p, file, &error);
    g_object_unref(file);
  }
  if (!ok) {
    sr_cli_error("demo", "%s", error->message);
    g_error_free(error);
    return FALSE;
  }
  printf(_("wrote project %s\n"), demo->project_path);
  return TRUE;
}

/* Step 3: every Stage 3 check, printed. */
static gboolean
demo_run_checks(Demo *demo)
{
  sr_check_report report;
  sr_check_report_init(&report);
  sr_project_check(demo->project, &report);
  char *text = sr_cli_check_report_to_text(&report);
  fputs(text, stdout);
  fflush(stdout);
  g_free(text);
  demo->check_status = sr_check_report_status(&report);
  sr_check_report_clear(&report);
  if (demo->check_status == SR_CHECK_FAIL) {
    sr_cli_error("demo", _("the demo project failed its checks (see above)"));
    return FALSE;
  }
  return TRUE;
}

/* Runs another sub-command of this program on the demo, as a user would. */
static gboolean
demo_run_command(Demo *demo, int (*command)(int, char **), const char *const *args)
{
  GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(owned, g_strdup(*a));
  g_ptr_array_add(owned, g_strdup("--progress"));
  g_ptr_array_add(owned, g_strdup(demo->progress_name));
  int argc = (int)owned->len;
  /* Option parsing removes what it consumed from the vector it is given, so
   * it gets a copy and the strings are freed from ours. */
  char **argv = g_new0(char *, owned->len + 1);
  memcpy(argv, owned->pdata, sizeof(char *) * owned->len);
  int status = command(argc, argv);
  g_free(argv);
  g_ptr_array_free(owned, TRUE);
  return status == 0;
}

static char *
demo_output_path(const Demo *demo, const char *name)
{
  return g_build_filename(demo->dir, "output", name, NULL);
}

/* Step 4: train the small demo model on the project's pairs. */
static gboolean
demo_train(Demo *demo)
{
  if (!demo->train)
    return TRUE;
  printf("%s", _("\ntraining the demo model (this takes a few minutes on two cores)\n"));
  fflush(stdout);
  const char *args[] = {"train", demo->project_path, NULL};
  return demo_run_command(demo, sr_cmd_train, args);
}

/* Step 5: render the held-out frames with the trained model. */
static gboolean
demo_render_held_out(Demo *demo)
{
  if (!demo->train)
    return TRUE;
  g_autofree char *model = demo_output_path(demo, "training/checkpoints/latest.safetensors");
  g_autofree char *input = g_build_filename(demo->dir, demo_pattern(demo, TRUE), NULL);
  g_autofree char *output = demo_output_path(demo, "held-out/demo_rec.%04d.exr");
  const GArray *held = sr_project_get_held_out(demo->project);
  for (guint i = 0; i < held->len; i++) {
    g_autofree char *range =
        g_strdup_printf("%d-%d", g_array_index(held, int, i), g_array_index(held, int, i));
    const char *args[] = {"render",   "--model", model,      "--input", input,
                          "--output", output,    "--frames", range,     NULL};
    if (!demo_run_command(demo, sr_cmd_render, args))
      return FALSE;
  }
  return TRUE;
}

/* PSNR of Y against the Reference, in the training domain over the crop,
 * for the untouched Source and for the recovered frame. */
static gboolean
demo_held_out_psnr(Demo *demo, int frame, double *psnr_source, double *psnr_output, sr_error *err)
{
  sr_prep_settings prep;
  sr_project_get_prep_settings(demo->project, &prep);
  prep.prefilter = SR_PREFILTER_NONE; /* measure the frames, not the filter */
  g_autofree char *src_path = g_build_filename(demo->dir, demo_pattern(demo, TRUE), NULL);
  g_autofree char *ref_path = g_build_filename(demo->dir, demo_pattern(demo, FALSE), NULL);
  g_autofree char *out_path = demo_output_path(demo, "held-out/demo_rec.%04d.exr");
  char *src_file = sr_pattern_format(src_path, frame);
  char *ref_file = sr_pattern_format(ref_path, frame);
  char *out_file = sr_pattern_format(out_path, frame);
  sr_image *src = sr_image_read(src_file, err);
  sr_image *ref = src ? sr_image_read(ref_file, err) : NULL;
  sr_image *out = ref ? sr_image_read(out_file, err) : NULL;
  sr_pair before = {0}, after = {0};
  gboolean ok = out && sr_pair_build(src, ref, &prep, &before, err) &&
                sr_pair_build(out, ref, &prep, &after, err);
  if (ok) {
    /* The ground truth carries the Reference's Y: compare luma with it. */
    *psnr_source = sr_qa_psnr_y(before.input, before.ground_truth, prep.matrix);
    *psnr_output = sr_qa_psnr_y(after.input, before.ground_truth, prep.matrix);
  }
  sr_pair_clear(&before);
  sr_pair_clear(&after);
  sr_image_free(src);
  sr_image_free(ref);
  sr_image_free(out);
  free(src_file);
  free(ref_file);
  free(out_file);
  return ok;
}

/* Step 6: what the model gained on frames it never saw. */
static gboolean
demo_report(Demo *demo)
{
  if (!demo->train)
    return TRUE;
  const GArray *held = sr_project_get_held_out(demo->project);
  double sum_before = 0.0, sum_after = 0.0;
  printf("%s", _("\nheld-out PSNR of Y against the Reference (training domain, crop):\n"));
  /* TRANSLATORS: column headers over rows of "%5d  %6.2f dB  %6.2f dB  %+5.2f dB":
     the frame number takes 7 columns, each PSNR 11 and the gain 9; keep every
     header over its column. */
  printf("%s", _("  frame   Source    recovered   gain\n"));
  for (guint i = 0; i < held->len; i++) {
    int frame = g_array_index(held, int, i);
    double before = 0.0, after = 0.0;
    sr_error err = {0};
    if (!demo_held_out_psnr(demo, frame, &before, &after, &err)) {
      sr_cli_error("demo", _("held-out frame %d: %s"), frame, err.message);
      return FALSE;
    }
    before = sr_qa_psnr_display(before);
    after = sr_qa_psnr_display(after);
    printf("  %5d  %6.2f dB  %6.2f dB  %+5.2f dB\n", frame, before, after, after - before);
    sum_before += before;
    sum_after += after;
  }
  if (held->len > 0)
    /* TRANSLATORS: the last row of the table above; "mean" takes 7 columns. */
    printf(_("  mean   %6.2f dB  %6.2f dB  %+5.2f dB\n"), sum_before / held->len,
           sum_after / held->len, (sum_after - sum_before) / held->len);
  g_autofree char *out_dir = demo_output_path(demo, "held-out");
  printf(_("\nrecovered held-out frames are in %s\n"), out_dir);
  return TRUE;
}

int
sr_cmd_demo(int argc, char **argv)
{
  int n_frames = 24;
  char *size_opt = NULL, *progress_opt = NULL;
  gboolean no_grain = FALSE, no_train = FALSE, telecine = FALSE, cineon_dpx = FALSE;
  gint64 seed = 1;
  char *pulldown = NULL;
  int ref_offset = 3, phase = 1, drop = -2;
  GOptionEntry entries[] = {
      {"frames", 'n', 0, G_OPTION_ARG_INT, &n_frames, _("Number of frames (default 24)"), "N"},
      {"size", 's', 0, G_OPTION_ARG_STRING, &size_opt, _("Frame size (default 480x270)"), "WxH"},
      {"no-grain", 0, 0, G_OPTION_ARG_NONE, &no_grain, _("Render without film grain"), NULL},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, _("Seed of the simulated scene (default 1)"), "N"},
      {"no-train", 0, 0, G_OPTION_ARG_NONE, &no_train,
       _("Only write the sequences and the project"), NULL},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_opt, _("auto, bar, json or quiet"), "MODE"},
      {"telecine", 0, 0, G_OPTION_ARG_NONE, &telecine,
       _("Make the Reference a simulated 3:2 telecine with an offset and a dropped frame (no "
         "training: find its frame map with sync)"),
       NULL},
      {"pulldown", 0, 0, G_OPTION_ARG_STRING, &pulldown,
       _("Telecine cadence: 3:2 (default), 2:3:3:2 or none"), "CADENCE"},
      {"pulldown-phase", 0, 0, G_OPTION_ARG_INT, &phase,
       _("Cycle position of the first film frame, 0-3 (default 1)"), "P"},
      {"reference-offset", 0, 0, G_OPTION_ARG_INT, &ref_offset,
       _("Telecine frame holding Source frame 0 (default 3)"), "N"},
      {"drop-reference-frame", 0, 0, G_OPTION_ARG_INT, &drop,
       _("Telecine frame lost from the transfer (default: one in the middle; -1 for none)"), "N"},
      {"cineon-dpx", 0, 0, G_OPTION_ARG_NONE, &cineon_dpx,
       _("Write 10-bit Cineon-log DPX scans instead of ACES2065-1 EXR"), NULL},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("DIR");
  g_option_context_set_summary(ctx, _("Writes a simulated Source (16mm-like) and Reference "
                                      "(35mm-like) sequence and a ready project into DIR, runs "
                                      "the checks, trains a small model, renders the held-out "
                                      "frames and reports their PSNR against the Reference."));
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *error = NULL;
  int status = 2;
  Demo demo = {0};
  demo.width = 480;
  demo.height = 270;

  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    sr_cli_error("demo", "%s", error->message);
    g_error_free(error);
    goto done;
  }
  if (argc != 2) {
    sr_cli_error("demo", _("expected one output folder (usage: demo DIR [--frames N] [--size WxH] "
                           "[--no-grain])"));
    goto done;
  }
  if (n_frames < DEMO_MIN_FRAMES || n_frames > DEMO_MAX_FRAMES) {
    sr_cli_error("demo", _("--frames: %d is outside %d..%d"), n_frames, DEMO_MIN_FRAMES,
                 DEMO_MAX_FRAMES);
    goto done;
  }
  if (size_opt != NULL && !sr_cli_parse_size(size_opt, &demo.width, &demo.height, &error)) {
    sr_cli_error("demo", _("--size: %s"), error->message);
    g_error_free(error);
    goto done;
  }
  if (demo.width < DEMO_MIN_SIZE || demo.height < DEMO_MIN_SIZE || demo.width > 8192 ||
      demo.height > 8192) {
    sr_cli_error("demo", _("--size: %dx%d is outside %dx%d..8192x8192"), demo.width, demo.height,
                 DEMO_MIN_SIZE, DEMO_MIN_SIZE);
    goto done;
  }
  if (seed < 0) {
    sr_cli_error("demo", _("--seed: must be 0 or more"));
    goto done;
  }
  demo.progress = SR_PROGRESS_AUTO;
  if (progress_opt != NULL && !sr_cli_parse_progress_mode(progress_opt, &demo.progress)) {
    sr_cli_error("demo", _("--progress: '%s' is not auto, bar, json or quiet"), progress_opt);
    goto done;
  }
  demo.progress_name = progress_opt ? progress_opt : "auto";
  demo.telecine = telecine || pulldown != NULL;
  if (demo.telecine && cineon_dpx) {
    sr_cli_error("demo", "%s",
                 _("--telecine and --cineon-dpx cannot be combined: the simulated telecine is "
                   "written as ACES2065-1 EXR; leave one of them out"));
    goto done;
  }
  if (demo.telecine) {
    if (drop == -2) /* a frame in the middle of the transfer */
      drop = DEMO_FIRST_FRAME + n_frames * 5 / 8;
    if (!sr_demo_telecine_options(&demo.telecine_options, pulldown ? pulldown : "3:2", ref_offset,
                                  phase, drop, &error)) {
      sr_cli_error("demo", "%s", error->message);
      g_error_free(error);
      goto done;
    }
    no_train = TRUE; /* the pairs only line up once the frame map is found */
  }
  demo.train = !no_train;
  demo.cineon_dpx = cineon_dpx;
  demo.n_frames = n_frames;
  demo.grain = !no_grain;
  demo.seed = (guint64)seed;
  demo.dir = g_canonicalize_filename(argv[1], NULL);
  demo.project_path = g_build_filename(demo.dir, "demo.srproj", NULL);

  static const DemoStep steps[] = {
      demo_write_sequences, demo_write_project,   demo_run_checks,
      demo_train,           demo_render_held_out, demo_report,
  };
  status = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(steps) && status == 0; i++)
    if (!steps[i](&demo))
      status = 1;

done:
  if (status == 0 && demo.telecine)
    printf(_("The Reference is a simulated telecine: run\n  spatial-recovery-cli sync %s --apply\n"
             "to find its frame map, then move any pair `check` fails to a neighbouring frame and "
             "train.\n"),
           demo.project_path);
  g_clear_object(&demo.project);
  g_free(demo.dir);
  g_free(demo.project_path);
  g_free(size_opt);
  g_free(progress_opt);
  g_free(pulldown);
  return status;
}
