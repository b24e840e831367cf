/* sr-test-movie.h — making small movie clips for tests with the `ffmpeg`
 * program (Debian's package): frames written as 16-bit PNG, then encoded.
 * Suites that need clips call sr_test_require_ffmpeg() first; it exits 77
 * (meson's "skipped") with a message where ffmpeg or the FFmpeg libraries
 * are missing. */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "sr-io.h"
#include "sr-movie.h"

static inline void
sr_test_require_ffmpeg(void)
{
  char *exe = g_find_program_in_path("ffmpeg");
  if (!sr_movie_supported() || !exe) {
    fprintf(stderr, "SKIP: %s\n",
            exe ? "this build reads no movies (FFmpeg libraries absent at build time)"
                : "the ffmpeg program is not installed (apt-get install ffmpeg)");
    exit(77);
  }
  g_free(exe);
}

/* Writes frames[0..n) as dir/f%04d.png (16-bit). */
static inline void
sr_test_write_frames(const char *dir, sr_image *const *frames, int n)
{
  sr_write_options o;
  sr_write_options_init(&o);
  o.bit_depth = 16;
  for (int i = 0; i < n; i++) {
    char *path = g_strdup_printf("%s/f%04d.png", dir, i);
    sr_error err = {0};
    if (!sr_image_write(path, frames[i], &o, &err))
      g_error("%s", err.message);
    g_free(path);
  }
}

/* Runs `ffmpeg -y -loglevel error -framerate RATE -i DIR/f%04d.png ARGS... OUT`
 * where args is a space-separated list (no quoting needed in tests). */
static inline void
sr_test_encode(const char *dir, const char *rate, const char *args, const char *out)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_strdup("ffmpeg"));
  const char *head[] = {"-nostdin", "-y", "-loglevel", "error", "-framerate", rate, "-i"};
  for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
    g_ptr_array_add(argv, g_strdup(head[i]));
  g_ptr_array_add(argv, g_strdup_printf("%s/f%%04d.png", dir));
  char **parts = g_strsplit(args, " ", -1);
  for (char **p = parts; *p; p++)
    if (**p)
      g_ptr_array_add(argv, g_strdup(*p));
  g_strfreev(parts);
  g_ptr_array_add(argv, g_strdup(out));
  g_ptr_array_add(argv, NULL);
  char *err_out = NULL;
  int status = 0;
  GError *error = NULL;
  gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                             NULL, &err_out, &status, &error);
  g_assert_no_error(error);
  if (!ok || !g_spawn_check_wait_status(status, NULL))
    g_error("ffmpeg failed for %s (%s): %s", out, args, err_out);
  g_free(err_out);
  g_ptr_array_free(argv, TRUE);
}
