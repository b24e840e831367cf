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
/* The frame rate's spin button, and the line saying where it came from. */
GtkWidget *sr_page_project_get_frame_rate_spin(SrPageProject *self);
const char *sr_page_project_get_frame_rate_from(SrPageProject *self);
/* The warning under the Source's (or Reference's) colour space when the
 * declared space contradicts the files; NULL when none is shown. */
const char *sr_page_project_get_colour_warning(SrPageProject *self, gboolean is_source);
/* The warning under the Reference when the two sequences' frame sizes
 * differ or their ranges never meet; NULL when none is shown. */
const char *sr_page_project_get_mismatch(SrPageProject *self);
/* The OpenColorIO controls (sr-project-ocio.h). */
typedef struct _SrProjectOcio SrProjectOcio;
SrProjectOcio *sr_page_project_get_ocio(SrPageProject *self);

G_END_DECLS
