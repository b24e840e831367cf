/* spatial-recovery — the GTK 4 application. */
#include "sr-config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "sr-application.h"

int
main(int argc, char **argv)
{
  g_autoptr(SrApplication) app = NULL;

  setlocale(LC_ALL, "");
  /* An uninstalled build names its own catalogues (as the CLI does); the
   * engine's messages share the domain, so this comes before any engine call. */
  const char *localedir = g_getenv("SR_LOCALEDIR");
  bindtextdomain(SR_GETTEXT_PACKAGE,
                 localedir != NULL && *localedir != '\0' ? localedir : SR_LOCALEDIR);
  bind_textdomain_codeset(SR_GETTEXT_PACKAGE, "UTF-8");
  textdomain(SR_GETTEXT_PACKAGE);

  app = sr_application_new(G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run(G_APPLICATION(app), argc, argv);
}
