/* sr-test-util.h — helpers the engine and app tests share: removing a
 * test's scratch folder, writing a frame, and saving a small checkpoint
 * with a scaled head.
 * Header-only (static inline), like sr-test-movie.h: include it and add
 * test_common_inc to the test's include directories. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-io.h"
#include "sr-unet.h"

/* Removes path and, for a folder, everything below it. A link is removed,
 * never followed; a folder a test made read-only is opened up first. */
static inline void
sr_test_remove_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    g_chmod(path, 0700);
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
      char *child = g_build_filename(path, name, NULL);
      sr_test_remove_tree(child);
      g_free(child);
    }
    if (d)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_remove(path);
  }
}

/* Writes img as frame `frame` of pattern (the format by the name, default
 * options) and frees it; a failure ends the test, naming the file. */
static inline void
sr_test_write_frame(const char *pattern, int frame, sr_image *img)
{
  char *path = sr_pattern_format(pattern, frame);
  sr_error err = {0};
  if (!sr_image_write(path, img, NULL, &err))
    g_error("%s: %s", path, err.message);
  g_free(path);
  sr_image_free(img);
}

/* An S network on be initialised from seed whose head weights are scaled
 * by head_gain (above 1: a ΔY that shows; below: a quiet one; 1: as
 * initialised). Caller frees. */
static inline sr_unet *
sr_test_scaled_net(sr_backend *be, uint64_t seed, float head_gain)
{
  sr_error err = {0};
  sr_unet *net = sr_unet_new(SR_UNET_S, be, &err);
  g_assert_nonnull(net);
  g_assert_true(sr_unet_init(net, seed, &err));
  float *w = g_new(float, sr_unet_total_params(net));
  g_assert_true(sr_unet_export(net, SR_UNET_PARAMS, w, &err));
  const sr_unet_param *head =
      sr_unet_param_info(net, (size_t)sr_unet_param_find(net, "head.weight"));
  for (size_t i = 0; i < head->count; i++)
    w[head->offset + i] *= head_gain;
  g_assert_true(sr_unet_import(net, SR_UNET_PARAMS, w, &err));
  g_free(w);
  return net;
}

/* Saves path: sr_test_scaled_net(seed, head_gain) with meta (NULL: none
 * beyond the size; its size is set to S). model_id: NULL, or 65 chars that
 * receive the checkpoint's id. */
static inline void
sr_test_save_checkpoint(const char *path, uint64_t seed, float head_gain, sr_checkpoint_meta *meta,
                        char *model_id)
{
  sr_error err = {0};
  sr_checkpoint_meta plain;
  sr_backend *be = sr_backend_cpu_create(1, &err);
  g_assert_nonnull(be);
  sr_unet *net = sr_test_scaled_net(be, seed, head_gain);
  if (!meta) {
    sr_checkpoint_meta_init(&plain);
    meta = &plain;
  }
  meta->size = SR_UNET_S;
  if (!sr_checkpoint_save(path, net, meta, false, model_id, &err))
    g_error("%s: %s", path, err.message);
  sr_unet_free(net);
  sr_backend_close(be);
}

/* Saves dir/name with sr_test_save_checkpoint and no meta; returns the
 * path (caller frees). */
static inline char *
sr_test_scaled_checkpoint(const char *dir, const char *name, uint64_t seed, float head_gain)
{
  char *path = g_build_filename(dir, name, NULL);
  sr_test_save_checkpoint(path, seed, head_gain, NULL, NULL);
  return path;
}
