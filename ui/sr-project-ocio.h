/* sr-project-ocio.h — the Project stage's OpenColorIO controls: the config
 * in use and, per sequence, a space of it. Owned by the Project page, which
 * builds it once and frees it when the page is finalised. */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

typedef struct _SrProjectOcio SrProjectOcio;

/* Appends the config row to `config_box` and a space picker to each of the
 * two sequence boxes. */
SrProjectOcio *sr_project_ocio_new(GtkWidget *page, GtkBox *config_box, GtkBox *source_box,
                                   GtkBox *reference_box);
void sr_project_ocio_set_project(SrProjectOcio *o, SrProject *project);
/* After a project edit: reloads the config if it changed, reselects. */
void sr_project_ocio_sync(SrProjectOcio *o);
void sr_project_ocio_free(SrProjectOcio *o);

/* Test hooks. */
gboolean sr_project_ocio_get_busy(SrProjectOcio *o);
guint sr_project_ocio_get_space_count(SrProjectOcio *o);
/* The row shown for space i: "Name — Family (also alias, alias)". */
const char *sr_project_ocio_get_row(SrProjectOcio *o, guint i);
gboolean sr_project_ocio_choose(SrProjectOcio *o, gboolean source, guint i);
/* "N colour spaces", the error naming the config, or NULL. */
const char *sr_project_ocio_get_status(SrProjectOcio *o);
