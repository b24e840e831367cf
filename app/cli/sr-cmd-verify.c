/* spatial-recovery-cli verify — checks a delivery folder against its
 * checksum manifests (manifest-sha256.txt, manifest-md5.txt and, in a
 * BagIt bag, the tag manifests): names every file that is missing or no
 * longer matches. Exit 0 only when everything matches. */
#include "sr-cli.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-fixity.h"

#define CMD "verify"

int
sr_cmd_verify(int argc, char **argv)
{
  GOptionEntry entries[] = {{NULL}};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new(_("DIR — check a delivery against its checksum manifests"));
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    sr_cli_error(CMD, "%s", error->message);
    return 2;
  }
  if (argc != 2 || !*argv[1]) {
    sr_cli_error(CMD, _("give one delivery folder (the folder that holds manifest-sha256.txt)"));
    return 2;
  }
  if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
    sr_cli_error(CMD, _("%s is not a folder"), argv[1]);
    return 2;
  }
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  int checked = 0;
  if (!sr_fixity_verify(argv[1], problems, &checked, &error)) {
    sr_cli_error(CMD, "%s", error->message);
    return 1;
  }
  for (guint i = 0; i < problems->len; i++)
    fprintf(stderr, "%s: %s\n", CMD, (const char *)g_ptr_array_index(problems, i));
  if (problems->len) {
    fprintf(stderr,
            ngettext("%s: %u problem in %s (%d checksums checked)\n",
                     "%s: %u problems in %s (%d checksums checked)\n", problems->len),
            CMD, problems->len, argv[1], checked);
    return 1;
  }
  printf(ngettext("%s: %d checksum matches\n", "%s: all %d checksums match\n", checked), argv[1],
         checked);
  return 0;
}
