/* sr-page-review.h — the Review stage. Property "project". */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_REVIEW (sr_page_review_get_type())
G_DECLARE_FINAL_TYPE(SrPageReview, sr_page_review, SR, PAGE_REVIEW, GtkBox)

G_END_DECLS
