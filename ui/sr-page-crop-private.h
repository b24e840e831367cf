/* sr-page-crop-private.h — what the UI tests drive on the Crop page besides
 * its public type. */
#pragma once

#include "sr-pairs.h"
#include "sr-page-crop.h"

G_BEGIN_DECLS

/* Sets the crop through the page's rules (snap to even sizes when on,
 * clamped to the frame). */
void sr_page_crop_apply(SrPageCrop *self, sr_rect crop);
/* The checks last computed for the current pair (NULL before the first). */
const sr_check_report *sr_page_crop_get_checks(SrPageCrop *self);
/* The pair the checks are about (-1 when the project has no pair). */
int sr_page_crop_get_pair(SrPageCrop *self);
void sr_page_crop_set_pair(SrPageCrop *self, int frame);
GtkWidget *sr_page_crop_get_viewer(SrPageCrop *self);
/* What the frame's edges changed in the last crop set (a typed X past the
 * right edge, a width wider than the frame...); NULL when nothing was. */
const char *sr_page_crop_get_clamp_note(SrPageCrop *self);

G_END_DECLS
