/* spatial-recovery-cli — headless front end: one sub-command per stage. */
#include "sr-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-cli.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"demo", sr_cmd_demo,
     N_("write the built-in demo sequences and project, train, render, report")},
    {"check", sr_cmd_check, N_("run every Stage 3 check on a project (exit 0 only when all pass)")},
    {"sync", sr_cmd_sync,
     N_("find which Reference frame shows each Source frame (offset, pulldown, breaks)")},
    {"prepare", sr_cmd_prepare,
     N_("build the training pairs of a project and write a check report")},
    {"train", sr_cmd_train,
     N_("train a model from a project or from sequences on the command line")},
    {"render", sr_cmd_render, N_("run a trained model over a sequence")},
    {"validate", sr_cmd_validate, N_("compute per-frame QA metrics and flags for a render")},
    {"deliver", sr_cmd_deliver,
     N_("write EXR masters with provenance, sidecars and the validation note")},
    {"verify", sr_cmd_verify, N_("check a delivery folder against its checksum manifests")},
    {"farm", sr_cmd_farm, N_("render a reel as a Slurm job array: submit, status, resume")},
    {"devices", sr_cmd_devices, N_("list compute backends and GPUs")},
};

static void
usage(FILE *fp)
{
  fprintf(fp, "%s", _("Usage: spatial-recovery-cli COMMAND [OPTIONS]\n\nCommands:\n"));
  for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(fp, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf(fp, "%s", _("\nRun 'spatial-recovery-cli COMMAND --help' for a command's options.\n"));
}

int
main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  /* An uninstalled build (the tests, `meson devenv`) names its own catalogues;
   * the engine's messages are looked up in the same domain, so this binding
   * comes before any engine call. */
  const char *localedir = g_getenv("SR_LOCALEDIR");
  bindtextdomain(SR_GETTEXT_PACKAGE,
                 localedir != NULL && *localedir != '\0' ? localedir : SR_LOCALEDIR);
  bind_textdomain_codeset(SR_GETTEXT_PACKAGE, "UTF-8");
  textdomain(SR_GETTEXT_PACKAGE);
  /* Numbers in files and reports always use '.' whatever the locale. */
  setlocale(LC_NUMERIC, "C");

  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("spatial-recovery-cli %s\n", SR_VERSION);
    return 0;
  }
  for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, _("spatial-recovery-cli: unknown command '%s'\n\n"), argv[1]);
  usage(stderr);
  return 2;
}
