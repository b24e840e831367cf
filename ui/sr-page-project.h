/* sr-page-project.h — the Project stage: Source and Reference sequences,
 * frame offset, colour spaces and provenance. Property "project". */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_PROJECT (sr_page_project_get_type())
G_DECLARE_FINAL_TYPE(SrPageProject, sr_page_project, SR, PAGE_PROJECT, GtkBox)

/* Detects the sequence from one of its frames on a worker thread and sets
 * it as the Source (is_source) or Reference pattern. */
void sr_page_project_choose_frame(SrPageProject *self, gboolean is_source, GFile *frame);
/* The error shown next to a sequence field (NULL when none). */
const char *sr_page_project_get_sequence_error(SrPageProject *self, gboolean is_source);
/* TRUE while a sequence is being scanned. */
gboolean sr_page_project_get_busy(SrPageProject *self);
/* What the Source's (or Reference's) file headers said about colour, as
 * shown under its colour space; NULL when nothing is shown. */
const char *sr_page_project_get_detection(SrPageProject *self, gboolean is_source);
/* The OpenColorIO controls (sr-project-ocio.h), for tests. */
typedef struct _SrProjectOcio SrProjectOcio;
SrProjectOcio *sr_page_project_get_ocio(SrPageProject *self);

G_END_DECLS
