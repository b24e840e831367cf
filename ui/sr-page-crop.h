/* sr-page-crop.h — the Crop stage: the crop shared by Source and Reference
 * (drawn on the viewer or typed), the Source-only median pre-filter, and the
 * live checks of the current pair. Property "project". */
#pragma once

#include <gtk/gtk.h>

#include "sr-pairs.h"
#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_CROP (sr_page_crop_get_type())
G_DECLARE_FINAL_TYPE(SrPageCrop, sr_page_crop, SR, PAGE_CROP, GtkBox)

/* Sets the crop through the page's rules (snap to even sizes when on,
 * clamped to the frame). */
void sr_page_crop_apply(SrPageCrop *self, sr_rect crop);
/* The checks last computed for the current pair (NULL before the first). */
const sr_check_report *sr_page_crop_get_checks(SrPageCrop *self);
/* The pair the checks are about (-1 when the project has no pair). */
int sr_page_crop_get_pair(SrPageCrop *self);
void sr_page_crop_set_pair(SrPageCrop *self, int frame);
/* TRUE while frames are being read or checks computed. */
gboolean sr_page_crop_get_busy(SrPageCrop *self);
GtkWidget *sr_page_crop_get_viewer(SrPageCrop *self);

G_END_DECLS
