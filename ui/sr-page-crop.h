/* sr-page-crop.h — the Crop stage: the crop shared by Source and Reference
 * (drawn on the viewer or typed), the Source-only median pre-filter, and the
 * live checks of the current pair. An SrStagePage. */
#pragma once

#include "sr-stage-page.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_CROP (sr_page_crop_get_type())
G_DECLARE_FINAL_TYPE(SrPageCrop, sr_page_crop, SR, PAGE_CROP, SrStagePage)

G_END_DECLS
