/* sr-page-train.h — the Train stage. Property "project". */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_TRAIN (sr_page_train_get_type())
G_DECLARE_FINAL_TYPE(SrPageTrain, sr_page_train, SR, PAGE_TRAIN, GtkBox)

G_END_DECLS
