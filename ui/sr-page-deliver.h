/* sr-page-deliver.h — the Deliver stage. Property "project". */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_DELIVER (sr_page_deliver_get_type())
G_DECLARE_FINAL_TYPE(SrPageDeliver, sr_page_deliver, SR, PAGE_DELIVER, GtkBox)

G_END_DECLS
