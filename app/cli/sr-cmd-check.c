/* spatial-recovery-cli check PROJECT [--json]: every Stage 3 check. */
#include "sr-cli.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"

int
sr_cmd_check(int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, _("Print the report as JSON"), NULL},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("PROJECT");
  g_option_context_set_summary(ctx, _("Runs every Stage 3 check on a project: frame sets, both "
                                      "sequences and each training pair.\nExit status 0 when "
                                      "nothing fails (warnings are printed), 1 otherwise."));
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    sr_cli_error("check", "%s", error->message);
    g_error_free(error);
    return 2;
  }
  if (argc != 2) {
    sr_cli_error("check", _("expected one project file (usage: check PROJECT [--json])"));
    return 2;
  }
  SrProject *project = sr_cli_load_project("check", argv[1]);
  if (project == NULL)
    return 1;

  sr_check_report report;
  sr_check_report_init(&report);
  sr_project_check(project, &report);
  char *text = json ? sr_cli_check_report_to_json(&report) : sr_cli_check_report_to_text(&report);
  fputs(text, stdout);
  if (json)
    fputc('\n', stdout);
  fflush(stdout);
  g_free(text);
  int status = sr_check_report_status(&report) == SR_CHECK_FAIL ? 1 : 0;
  sr_check_report_clear(&report);
  g_object_unref(project);
  return status;
}
