/* sr-application.h — the GtkApplication: settings, CSS, accelerators,
 * app.* actions, and one SrWindow per activation. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SR_TYPE_APPLICATION (sr_application_get_type())
G_DECLARE_FINAL_TYPE(SrApplication, sr_application, SR, APPLICATION, GtkApplication)

SrApplication *sr_application_new(GApplicationFlags extra_flags);
/* The application's settings; NULL when the schema is not installed (the
 * application then works without remembering anything). */
GSettings *sr_application_get_settings(SrApplication *self);
/* Puts path first in the recent projects: the desktop's recent files
 * (GtkRecentManager, which keeps them whatever the settings backend) and,
 * with settings, the settings' list (at most 10 kept). */
void sr_application_add_recent(SrApplication *self, const char *path);
/* The recent projects that still exist, newest first, at most 10: the
 * settings' list, then project files from the desktop's recent files.
 * NULL-terminated; g_strfreev. */
char **sr_application_get_recent(SrApplication *self);
/* Folder the demo project is generated into (caller frees). */
char *sr_application_get_demo_dir(void);

G_END_DECLS
