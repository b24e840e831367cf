/* bench-movie: decode speed of movie files into float frames (sr-movie.h)
 * at 2048×1556 — ProRes 4444 (10-bit, decoded as 12-bit 4:4:4) and FFV1
 * (16-bit RGB) — with one and two decoder threads: frames/s reading every
 * frame in order, and ms per frame reached at random (seek + decode).
 *
 * The clips are made here with the ffmpeg program from generated 16-bit
 * frames with grain (raw rgb48le piped in), so the codecs see scan-like
 * entropy. Usage: bench-movie [--frames N] [--size WxH] [--keep DIR]. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sr-movie.h"

static double
clock_s(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
now(void)
{
  return clock_s(CLOCK_MONOTONIC);
}

static uint64_t
next(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Frames with a moving gradient and Gaussian-ish grain (σ ≈ 1 % of range). */
static int
make_clip(const char *path, const char *codec_args, int w, int h, int frames)
{
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "ffmpeg -nostdin -y -loglevel error -f rawvideo -pix_fmt rgb48le -s %dx%d -r 24 -i - "
           "%s '%s'",
           w, h, codec_args, path);
  FILE *p = popen(cmd, "w");
  if (!p)
    return -1;
  uint16_t *row = malloc((size_t)w * 6);
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  for (int f = 0; f < frames; f++) {
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double base = 0.5 + 0.3 * sin((x + 7.0 * f) * 0.004) * cos((y - 3.0 * f) * 0.005);
        for (int c = 0; c < 3; c++) {
          double g =
              ((double)(next(&seed) & 0xffff) + (double)(next(&seed) & 0xffff)) / 65535.0 - 1.0;
          double v = base * (0.85 + 0.1 * c) + 0.012 * g;
          v = v < 0 ? 0 : v > 1 ? 1 : v;
          row[3 * x + c] = (uint16_t)lrint(v * 65535.0);
        }
      }
      fwrite(row, 6, (size_t)w, p);
    }
  }
  free(row);
  return pclose(p);
}

/* Wall-clock rates, and the process's CPU time per frame: on a shared
 * machine the second still says what a frame costs. */
typedef struct {
  double seq_fps, seq_cpu_ms, random_ms;
} timing;

static int
time_decode(const char *path, int threads, int frames, timing *t)
{
  sr_error err = {0};
  sr_movie_options o = {.index_dir = NULL, .threads = threads};
  sr_movie *m = sr_movie_open(path, &o, &err);
  if (!m) {
    fprintf(stderr, "%s\n", err.message);
    return -1;
  }
  double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  for (int f = 0; f < frames; f++) {
    sr_image *img = sr_movie_read(m, f, &err);
    if (!img) {
      fprintf(stderr, "%s\n", err.message);
      sr_movie_unref(m);
      return -1;
    }
    sr_image_free(img);
  }
  t->seq_fps = frames / (now() - t0);
  t->seq_cpu_ms = 1000.0 * (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / frames;
  uint64_t seed = 12345;
  int n = frames < 12 ? frames : 12;
  t0 = now();
  for (int i = 0; i < n; i++) {
    sr_image *img = sr_movie_read(m, (int)(next(&seed) % (uint64_t)frames), &err);
    sr_image_free(img);
  }
  t->random_ms = 1000.0 * (now() - t0) / n;
  sr_movie_unref(m);
  return 0;
}

int
main(int argc, char **argv)
{
  int frames = 24, w = 2048, h = 1556;
  const char *keep = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
      frames = atoi(argv[++i]);
    else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
      sscanf(argv[++i], "%dx%d", &w, &h);
    else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
      keep = argv[++i];
    else {
      fprintf(stderr, "usage: bench-movie [--frames N] [--size WxH] [--keep DIR]\n");
      return 2;
    }
  }
  if (!sr_movie_supported()) {
    fprintf(stderr, "this build reads no movies (FFmpeg libraries absent)\n");
    return 77;
  }
  char tmpl[] = "/tmp/sr-bench-movie-XXXXXX";
  const char *dir = keep ? keep : mkdtemp(tmpl);
  const struct {
    const char *name, *file, *args;
  } clips[] = {
      {"ProRes 4444 (yuv444p10le)", "prores4444.mov",
       "-c:v prores_ks -profile:v 4444 -pix_fmt yuv444p10le"},
      {"FFV1 16-bit RGB (level 3, 4 slices)", "ffv1.mkv",
       "-c:v ffv1 -level 3 -slices 4 -g 1 -pix_fmt rgb48le"},
  };
  printf("decode %d frames of %dx%d into float RGB (sr_movie_read)\n", frames, w, h);
  printf("| clip | threads | sequential frames/s | CPU ms/frame | random access ms/frame |\n");
  printf("| --- | ---: | ---: | ---: | ---: |\n");
  for (size_t c = 0; c < sizeof clips / sizeof *clips; c++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, clips[c].file);
    if (make_clip(path, clips[c].args, w, h, frames) != 0) {
      fprintf(stderr, "ffmpeg could not make %s\n", path);
      return 1;
    }
    for (int threads = 1; threads <= 2; threads++) {
      timing t;
      if (time_decode(path, threads, frames, &t) != 0)
        return 1;
      printf("| %s | %d | %.1f | %.0f | %.0f |\n", clips[c].name, threads, t.seq_fps, t.seq_cpu_ms,
             t.random_ms);
      fflush(stdout);
    }
    if (!keep)
      unlink(path);
  }
  if (!keep)
    rmdir(dir);
  return 0;
}
