/* bench-render — frames/s of the sequential render loop against the
 * pipeline (sr_render_run), EXR to EXR.
 *
 * Writes N Source frames (default 40 of 480x270, film-like content) as EXR,
 * saves an S model with random weights, then renders them twice: read →
 * sr_infer_frame → write one frame after another, and through the pipeline
 * (reader and writer pools around the network). Prints both rates and their
 * ratio. Files go under DIR (default /tmp) and are removed afterwards.
 *
 *   bench-render [--frames N] [--size WxH] [--threads T] [--backend cpu|cuda|auto]
 *                [--model S|M|L] [--compression zip|dwaa|piz|...] [DIR]
 *
 * The model is created on the CPU and rendered on --backend (default cpu),
 * so the same weights are timed on every backend.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sr-checkpoint.h"
#include "sr-fs.h"
#include "sr-render.h"
#include "sr-rng.h"

static double
now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The scratch folder, emptied and removed when a run fails half-way. */
static char scratch[4096];

static void
die(const char *what, const sr_error *e)
{
  fprintf(stderr, "bench-render: %s: %s\n", what, e->message);
  DIR *d = scratch[0] ? opendir(scratch) : NULL;
  struct dirent *ent;
  while (d && (ent = readdir(d))) {
    char path[8192];
    if (ent->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", scratch, ent->d_name);
    unlink(path);
  }
  if (d) {
    closedir(d);
    rmdir(scratch);
  }
  exit(1);
}

static void
remove_pattern(const char *pattern, int n)
{
  for (int f = 1; f <= n; f++) {
    char *p = sr_pattern_format(pattern, f);
    if (p)
      unlink(p);
    free(p);
  }
}

int
main(int argc, char **argv)
{
  int n = 40, w = 480, h = 270, threads = 0;
  const char *base = "/tmp", *backend = "cpu", *compression = NULL;
  sr_unet_size size = SR_UNET_S;
  bool usage = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--frames") && i + 1 < argc)
      n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--size") && i + 1 < argc)
      sscanf(argv[++i], "%dx%d", &w, &h);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
      backend = argv[++i];
    else if (!strcmp(argv[i], "--model") && i + 1 < argc)
      usage |= !sr_unet_size_from_id(argv[++i], &size);
    else if (!strcmp(argv[i], "--compression") && i + 1 < argc)
      compression = argv[++i];
    else if (argv[i][0] == '-')
      usage = true;
    else
      base = argv[i];
  }
  sr_write_options wopts;
  sr_write_options_init(&wopts);
  if (compression && !sr_exr_compression_from_name(compression, &wopts.compression))
    usage = true;
  if (usage || n < 1 || w < 8 || h < 8) {
    fprintf(stderr, "usage: bench-render [--frames N] [--size WxH] [--threads T]"
                    " [--backend cpu|cuda|auto] [--model S|M|L] [--compression NAME] [DIR]\n");
    return 2;
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/sr-bench-render-%d", base, (int)getpid());
  sr_error err = {0};
  if (!sr_mkdir_p(dir, &err))
    die("folder", &err);
  snprintf(scratch, sizeof scratch, "%s", dir);
  char src[4200], seq_out[4200], pipe_out[4200], ck[4200];
  snprintf(src, sizeof src, "%s/src.%%04d.exr", dir);
  snprintf(seq_out, sizeof seq_out, "%s/seq.%%04d.exr", dir);
  snprintf(pipe_out, sizeof pipe_out, "%s/pipe.%%04d.exr", dir);
  snprintf(ck, sizeof ck, "%s/s.safetensors", dir);

  sr_rng rng;
  sr_rng_seed(&rng, 7);
  for (int f = 1; f <= n; f++) {
    sr_image *img = sr_image_new(w, h, 3, &err);
    if (!img)
      die("frame", &err);
    for (int y = 0; y < h; y++) {
      float *row = sr_image_row(img, y);
      for (int x = 0; x < w; x++) {
        float g = 0.2f + 0.6f * (float)(x + f) / (float)(w + n);
        float grain = 0.04f * (sr_rng_uniform(&rng) - 0.5f);
        for (int c = 0; c < 3; c++)
          row[x * 3 + c] = g * (0.9f + 0.05f * (float)c) + grain;
      }
    }
    char *p = sr_pattern_format(src, f);
    if (!sr_image_write(p, img, NULL, &err))
      die(p, &err);
    free(p);
    sr_image_free(img);
  }
  sr_backend *be = sr_backend_cpu_create(threads, &err);
  sr_unet *net = be ? sr_unet_new(size, be, &err) : NULL;
  if (!net || !sr_unet_init(net, 1, &err))
    die("model", &err);
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.size = size;
  if (!sr_checkpoint_save(ck, net, &meta, false, NULL, &err))
    die(ck, &err);
  sr_unet_free(net);
  sr_backend_close(be);

  sr_model *m = sr_model_open(ck, backend, &err);
  if (!m)
    die(ck, &err);
  sr_sequence seq = {0};
  if (!sr_sequence_open(&seq, src, &err))
    die(src, &err);
  sr_render_options o;
  sr_render_options_init(&o);
  o.first = 1;
  o.last = n;
  if (compression)
    o.write.compression = wopts.compression;

  /* Warm-up: one frame through the network so neither run pays for
   * primitive creation alone. */
  {
    sr_image *s = sr_sequence_read(&seq, 1, &err);
    sr_image *r = s ? sr_infer_frame(m->net, s, &m->meta.prep, &o.infer, &err) : NULL;
    if (!r)
      die("warm-up", &err);
    sr_image_free(s);
    sr_image_free(r);
  }

  double t0 = now();
  for (int f = 1; f <= n; f++) {
    sr_image *s = sr_sequence_read(&seq, f, &err);
    sr_image *r = s ? sr_infer_frame(m->net, s, &m->meta.prep, &o.infer, &err) : NULL;
    char *p = sr_pattern_format(seq_out, f);
    if (!r || !sr_image_set_attribute(r, SR_RENDER_MODEL_ID_ATTR, m->meta.model_id, &err) ||
        !sr_image_write(p, r, &o.write, &err))
      die("sequential", &err);
    free(p);
    sr_image_free(s);
    sr_image_free(r);
  }
  double t_seq = now() - t0;

  o.output_pattern = pipe_out;
  sr_render_result res;
  t0 = now();
  if (!sr_render_run(m, &seq, &o, NULL, &res, &err))
    die("pipeline", &err);
  double t_pipe = now() - t0;
  sr_render_result_clear(&res);

  printf("frames     %d of %dx%d, %s model, EXR %s, %s\n", n, w, h, sr_unet_size_id(size),
         sr_exr_compression_name(o.write.compression), m->backend->description);
  printf("sequential %.2f frames/s (%.3f s)\n", n / t_seq, t_seq);
  printf("pipeline   %.2f frames/s (%.3f s)\n", n / t_pipe, t_pipe);
  printf("ratio      %.2fx\n", t_seq / t_pipe);

  sr_model_close(m);
  sr_sequence_clear(&seq);
  remove_pattern(src, n);
  remove_pattern(seq_out, n);
  remove_pattern(pipe_out, n);
  unlink(ck);
  rmdir(dir);
  return 0;
}
