/* bench-io — speed of frame I/O at render size.
 *
 * Writes and reads a 2048x1556 RGB frame (a 2K full-aperture scan) as half
 * EXR with each compression the library can write, and as 16-bit TIFF and
 * PNG, and prints the median milliseconds of several runs after one warm-up.
 * Writes include the fsync and rename of the atomic write; the frame has
 * film-like content (smooth gradients plus grain), so compressed sizes are
 * realistic rather than best case.
 *
 *   bench-io [--quick] [DIR]     (DIR: where to write; default /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sr-io.h"
#include "sr-rng.h"

static double
now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static sr_image *
film_frame(int w, int h)
{
  sr_image *img = sr_image_new(w, h, 3, NULL);
  if (!img)
    return NULL;
  sr_rng rng;
  sr_rng_seed(&rng, 1);
  for (int y = 0; y < h; y++) {
    float *p = sr_image_row(img, y);
    for (int x = 0; x < w; x++) {
      float base = 0.18f + 0.6f * (float)x / (float)w * (float)y / (float)h;
      float grain = 0.02f * (float)sr_rng_normal(&rng);
      p[0] = base * 1.1f + grain;
      p[1] = base + grain;
      p[2] = base * 0.8f + grain;
      p += 3;
    }
  }
  return img;
}

int
main(int argc, char **argv)
{
  bool quick = false;
  const char *dir = "/tmp";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      quick = true;
    else if (argv[i][0] != '-')
      dir = argv[i];
    else {
      fprintf(stderr, "usage: bench-io [--quick] [DIR]\n");
      return 2;
    }
  }
  const int w = 2048, h = 1556, runs = quick ? 3 : 7;
  sr_image *img = film_frame(w, h);
  if (!img) {
    fprintf(stderr, "bench-io: out of memory\n");
    return 1;
  }
  struct {
    const char *name, *ext;
    sr_exr_compression comp;
  } cases[] = {
      {"exr-zip", "exr", SR_EXR_ZIP}, {"exr-dwaa", "exr", SR_EXR_DWAA},
      {"exr-piz", "exr", SR_EXR_PIZ}, {"exr-none", "exr", SR_EXR_NONE},
      {"tiff-16", "tif", SR_EXR_ZIP}, {"png-16", "png", SR_EXR_ZIP},
  };
  printf("# %dx%d RGB, median of %d runs, %ld online CPUs\n", w, h, runs,
         sysconf(_SC_NPROCESSORS_ONLN));
  int status = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    if (strcmp(cases[c].ext, "exr") == 0 && !sr_exr_compression_available(cases[c].comp)) {
      printf("%-9s not available in this OpenEXR library\n", cases[c].name);
      continue;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/bench-io-%d.%s", dir, (int)getpid(), cases[c].ext);
    sr_write_options o;
    sr_write_options_init(&o);
    o.compression = cases[c].comp;
    double tw[16], tr[16];
    sr_error err = {0};
    bool ok = true;
    for (int r = 0; r <= runs && ok; r++) {
      double t0 = now();
      ok = sr_image_write(path, img, &o, &err);
      double t1 = now();
      sr_image *back = ok ? sr_image_read(path, &err) : NULL;
      double t2 = now();
      ok = ok && back;
      sr_image_free(back);
      if (r > 0) { /* the first run warms caches and page tables */
        tw[r - 1] = t1 - t0;
        tr[r - 1] = t2 - t1;
      }
    }
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    unlink(path);
    if (!ok) {
      fprintf(stderr, "bench-io: %s: %s\n", cases[c].name, err.message);
      status = 1;
      continue;
    }
    double mw = 1e3 * median(tw, runs), mr = 1e3 * median(tr, runs);
    printf("%-9s write %7.1f ms  read %7.1f ms  %6.2f MB\n", cases[c].name, mw, mr,
           (double)size / 1e6);
    printf("RESULT io_%s_write %.3f ms\nRESULT io_%s_read %.3f ms\n", cases[c].name, mw,
           cases[c].name, mr);
    fflush(stdout);
  }
  sr_image_free(img);
  return status;
}
