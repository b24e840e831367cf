/* sr-page-deliver.h — the Deliver stage. Property "project".
 *
 * Deliver runs sr_delivery_run in an SrJob on a snapshot of the project (so
 * edits made meanwhile cannot race the worker); "Open folder" shows the
 * result with gtk_show_uri. */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_DELIVER (sr_page_deliver_get_type())
G_DECLARE_FINAL_TYPE(SrPageDeliver, sr_page_deliver, SR, PAGE_DELIVER, GtkBox)

/* Delivers the project's render into out_dir (NULL: <output-folder>/delivery);
 * FALSE with error when a delivery is running or there is no project. */
gboolean sr_page_deliver_start(SrPageDeliver *self, const char *out_dir, GError **error);
gboolean sr_page_deliver_get_busy(SrPageDeliver *self);
/* Masters written by the last delivery; -1 before one finished. */
int sr_page_deliver_get_n_written(SrPageDeliver *self);
/* The folder of the last finished delivery (NULL before one). */
const char *sr_page_deliver_get_out_dir(SrPageDeliver *self);

G_END_DECLS
