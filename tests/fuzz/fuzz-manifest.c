/* fuzz-manifest.c — checksum manifest verification (sr_fixity_verify, as
 * `spatial-recovery-cli verify DIR` runs it) on arbitrary manifest bytes.
 * The input becomes manifest-sha256.txt in a folder that also holds a
 * small delivered file and a bag layout (bagit.txt, data/), so listed,
 * missing, mismatching and unlisted files are all reachable. Oracle: no
 * crash, no GLib critical, and a verification that succeeds never counts
 * more files than it was given lines. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "sr-fixity.h"
#include "sr-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *root;
static char *manifest;

static void
setup(void)
{
  g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  root = g_strdup(sr_fuzz_scratch_dir());
  g_autofree char *data_dir = g_build_filename(root, "data", NULL);
  g_autofree char *payload = g_build_filename(data_dir, "shot.0001.exr", NULL);
  g_autofree char *bagit = g_build_filename(root, "bagit.txt", NULL);
  if (g_mkdir(data_dir, 0700) != 0 || !g_file_set_contents(payload, "frame", -1, NULL) ||
      !g_file_set_contents(bagit, "BagIt-Version: 1.0\n", -1, NULL))
    abort();
  manifest = g_build_filename(root, "manifest-sha256.txt", NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!root)
    setup();
  if (!g_file_set_contents(manifest, (const char *)data, (gssize)size, NULL))
    abort();
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  int checked = 0;
  if (sr_fixity_verify(root, problems, &checked, &error)) {
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
      lines += data[i] == '\n';
    if (checked < 0 || (size_t)checked > lines)
      __builtin_trap();
  }
  return 0;
}
