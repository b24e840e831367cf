/* sr-page-project-private.h — what the UI tests drive on the Project page
 * besides its public type. */
#pragma once

#include "sr-page-project.h"

G_BEGIN_DECLS

/* Detects the sequence from one of its frames on a worker thread and sets
 * it as the Source (is_source) or Reference pattern. */
void sr_page_project_choose_frame(SrPageProject *self, gboolean is_source, GFile *frame);
/* The error shown next to a sequence field (NULL when none). */
const char *sr_page_project_get_sequence_error(SrPageProject *self, gboolean is_source);
/* What the Source's (or Reference's) file headers said about colour, as
 * shown under its colour space; NULL when nothing is shown. */
const char *sr_page_project_get_detection(SrPageProject *self, gboolean is_source);
/* The OpenColorIO controls (sr-project-ocio.h). */
typedef struct _SrProjectOcio SrProjectOcio;
SrProjectOcio *sr_page_project_get_ocio(SrPageProject *self);

G_END_DECLS
