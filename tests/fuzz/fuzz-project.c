/* fuzz-project.c — the project loader (sr_project_load, as the CLI's
 * --project and the GUI's Open call it) on arbitrary bytes. Oracle: a
 * project that loads serialises to text that loads again and serialises to
 * the same text, and no GLib critical fires on the way. */
#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#include "sr-fuzz.h"
#include "sr-project.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static gboolean init;
  if (!init) {
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
    init = TRUE;
  }
  g_autoptr(GFile) file = g_file_new_for_path(sr_fuzz_file(data, size));
  g_autoptr(GError) error = NULL;
  g_autoptr(SrProject) p = sr_project_load(file, &error);
  if (!p)
    return 0;
  gsize len1 = 0, len2 = 0;
  g_autofree char *text1 = sr_project_to_data(p, &len1);
  g_autoptr(SrProject) q = sr_project_load_from_data(text1, len1, "round trip", &error);
  if (!q)
    __builtin_trap();
  g_autofree char *text2 = sr_project_to_data(q, &len2);
  if (len1 != len2 || memcmp(text1, text2, len1) != 0)
    __builtin_trap();
  return 0;
}
