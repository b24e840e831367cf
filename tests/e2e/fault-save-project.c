/* fault-save-project.c — the GUI's save path (sr_project_save) for the
 * crash tests in test-faults.py.
 *   fault-save-project save PROJECT N  — saves the project N times, the
 *       notes reading "save 1" … "save N"
 *   fault-save-project read PROJECT    — loads it and prints its notes
 * A project that fails to load exits 1 with the loader's message. */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-project.h"

int
main(int argc, char **argv)
{
  if (argc < 3 || (strcmp(argv[1], "save") == 0 && argc != 4)) {
    fprintf(stderr, "usage: fault-save-project save PROJECT N | read PROJECT\n");
    return 2;
  }
  g_autoptr(GFile) file = g_file_new_for_path(argv[2]);
  g_autoptr(GError) error = NULL;
  g_autoptr(SrProject) p = sr_project_load(file, &error);
  if (!p) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  if (strcmp(argv[1], "read") == 0) {
    const char *notes = sr_project_get_provenance(p)->notes;
    printf("%s\n", notes ? notes : "");
    return 0;
  }
  int n = atoi(argv[3]);
  for (int i = 1; i <= n; i++) {
    SrProvenance prov = *sr_project_get_provenance(p);
    g_autofree char *notes = g_strdup_printf("save %d", i);
    prov.notes = notes;
    sr_project_set_provenance(p, &prov);
    if (!sr_project_save(p, file, &error)) {
      fprintf(stderr, "%s\n", error->message);
      return 1;
    }
  }
  return 0;
}
