/* bench-validate — a second validation of the demo reel against the first:
 * what the QA cache beside the render (app/sr-qa-cache.h) saves.
 *
 * Writes the demo reel and project with `spatial-recovery-cli demo DIR
 * --no-train` (frames and size as given), saves an S model with random
 * weights as the project's checkpoint, renders the reel through
 * sr_rendering_run, then runs sr_validation_run over it three times: with
 * the cache removed (every frame read and measured), again (every frame from
 * the cache), and once more after touching one frame in four. QA only: no
 * note or stills, as the Render and Review pages run it. Prints the times
 * and the ratios. DIR (default a new folder under /tmp) is removed
 * afterwards unless --keep.
 *
 *   bench-validate [--frames N] [--size WxH] [--keep] [DIR]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sr-checkpoint.h"
#include "sr-qa-cache.h"
#include "sr-rendering.h"
#include "sr-validation-note.h"

static double
now(void)
{
  return (double)g_get_monotonic_time() / 1e6;
}

static void
fail(const char *what, const char *message)
{
  fprintf(stderr, "bench-validate: %s: %s\n", what, message);
  exit(1);
}

/* The project's checkpoint: an S model with random weights and the
 * project's preprocessing, so the render is the demo's shape. */
static char *
write_model(SrProject *project, const char *dir)
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(0, &err);
  sr_unet *net = be ? sr_unet_new(SR_UNET_S, be, &err) : NULL;
  if (!net || !sr_unet_init(net, 1, &err))
    fail("model", err.message);
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.size = SR_UNET_S;
  sr_project_get_prep_settings(project, &meta.prep);
  char *path = g_build_filename(dir, "bench-model.safetensors", NULL);
  if (!sr_checkpoint_save(path, net, &meta, false, NULL, &err))
    fail(path, err.message);
  sr_unet_free(net);
  sr_backend_close(be);
  return path;
}

static double
validate(SrProject *project, const char *out_dir, int *n_frames, int *n_cached)
{
  g_autoptr(GError) error = NULL;
  SrValidationOptions vo;
  SrValidationResult r;
  sr_validation_options_init(&vo);
  vo.out_dir = out_dir;
  vo.write_note = FALSE;
  vo.write_stills = FALSE;
  double t0 = now();
  if (!sr_validation_run(project, &vo, NULL, NULL, NULL, &r, &error))
    fail("validation", error->message);
  double t = now() - t0;
  *n_frames = r.n_frames;
  *n_cached = r.n_cached;
  sr_validation_result_clear(&r);
  return t;
}

int
main(int argc, char **argv)
{
  const char *frames = "24", *size = "480x270", *dir_arg = NULL;
  gboolean keep = FALSE;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--frames") && i + 1 < argc)
      frames = argv[++i];
    else if (!strcmp(argv[i], "--size") && i + 1 < argc)
      size = argv[++i];
    else if (!strcmp(argv[i], "--keep"))
      keep = TRUE;
    else if (argv[i][0] != '-' && !dir_arg)
      dir_arg = argv[i];
    else {
      fprintf(stderr, "usage: bench-validate [--frames N] [--size WxH] [--keep] [DIR]\n");
      return 2;
    }
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *dir =
      dir_arg ? g_canonicalize_filename(dir_arg, NULL) : g_dir_make_tmp("sr-bench-XXXXXX", NULL);
  const char *cli = g_getenv("SR_CLI") ? g_getenv("SR_CLI") : SR_CLI_PATH;
  const char *demo_argv[] = {cli,      "demo", dir,          "--no-train", "--frames", frames,
                             "--size", size,   "--progress", "quiet",      NULL};
  int status = 0;
  g_autofree char *demo_out = NULL, *demo_err = NULL;
  if (!g_spawn_sync(NULL, (char **)demo_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &demo_out,
                    &demo_err, &status, &error))
    fail(cli, error->message);
  if (!g_spawn_check_wait_status(status, NULL))
    fail("demo", demo_err);

  g_autofree char *project_path = g_build_filename(dir, "demo.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(project_path);
  g_autoptr(SrProject) project = sr_project_load(file, &error);
  if (!project)
    fail(project_path, error->message);
  g_autofree char *model = write_model(project, dir);
  sr_project_set_checkpoint(project, model);

  SrRenderingOptions ro;
  g_auto(SrRenderingResult) rendered = {0};
  sr_rendering_options_init(&ro);
  ro.backend = "cpu";
  double t0 = now();
  if (!sr_rendering_run(project, &ro, &rendered, &error))
    fail("render", error->message);
  double render_s = now() - t0;

  g_autofree char *qa_dir = g_build_filename(dir, "validation", NULL);
  g_autofree char *cache = sr_qa_cache_path(rendered.output_pattern);
  g_unlink(cache);
  int n = 0, cached1 = 0, cached2 = 0, cached3 = 0;
  double first = validate(project, qa_dir, &n, &cached1);
  double second = validate(project, qa_dir, &n, &cached2);
  /* One frame in four re-rendered (touched): those are measured again. */
  int touched = 0;
  for (int f = rendered.first; f <= rendered.last; f += 4, touched++) {
    g_autofree char *path = sr_pattern_format(rendered.output_pattern, f);
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    if (utimensat(AT_FDCWD, path, times, 0) != 0)
      fail(path, "cannot touch");
  }
  double third = validate(project, qa_dir, &n, &cached3);

  printf("machine    %d CPUs, load %s", (int)g_get_num_processors(),
         g_file_get_contents("/proc/loadavg", &demo_out, NULL, NULL) ? demo_out : "?\n");
  printf("reel       %d frames of %s (demo, --no-train), S model, rendered in %.2f s\n", n, size,
         render_s);
  printf("first      %8.3f s  (%d of %d frames from the cache, %.1f ms/frame)\n", first, cached1, n,
         1e3 * first / n);
  printf("second     %8.3f s  (%d of %d frames from the cache, %.1f ms/frame)\n", second, cached2,
         n, 1e3 * second / n);
  printf("touched    %8.3f s  (%d of %d frames from the cache after touching %d)\n", third, cached3,
         n, touched);
  printf("RESULT validate_second_over_first %.4f ratio\n", second / first);
  printf("RESULT validate_speedup %.1f x\n", first / second);

  if (!keep) {
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
      fprintf(stderr, "bench-validate: could not remove %s\n", dir);
  } else {
    printf("kept       %s\n", dir);
  }
  return cached2 == n ? 0 : 1;
}
