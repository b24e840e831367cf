/* sr-page-project.h — the Project stage: Source and Reference sequences,
 * frame offset, colour spaces and provenance. An SrStagePage. */
#pragma once

#include "sr-stage-page.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_PROJECT (sr_page_project_get_type())
G_DECLARE_FINAL_TYPE(SrPageProject, sr_page_project, SR, PAGE_PROJECT, SrStagePage)

G_END_DECLS
