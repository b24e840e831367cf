/* sr-page-deliver-private.h — what the UI tests drive and read on the
 * Deliver page besides its public header. */
#pragma once

#include "sr-colour.h"
#include "sr-io.h"
#include "sr-page-deliver.h"

G_BEGIN_DECLS

/* Delivers the chosen frames into out_dir (NULL: the page's destination);
 * FALSE with error when a delivery is running, there is no project or no
 * destination. */
gboolean sr_page_deliver_start(SrPageDeliver *self, const char *out_dir, GError **error);
/* Masters written by the last delivery; -1 before one finished. */
int sr_page_deliver_get_n_written(SrPageDeliver *self);
/* The folder of the last finished delivery (NULL before one). */
const char *sr_page_deliver_get_out_dir(SrPageDeliver *self);
/* Files of the last finished delivery (NULL before one; the note NULL when
 * none was written). */
const char *sr_page_deliver_get_json_path(SrPageDeliver *self);
const char *sr_page_deliver_get_text_path(SrPageDeliver *self);
const char *sr_page_deliver_get_note_path(SrPageDeliver *self);
const char *sr_page_deliver_get_master_pattern(SrPageDeliver *self);

/* NULL goes back to the default folder. */
void sr_page_deliver_set_destination(SrPageDeliver *self, const char *folder);

/* The choices, as the widgets hold them. */
sr_colourspace sr_page_deliver_get_colourspace(SrPageDeliver *self);
void sr_page_deliver_set_colourspace(SrPageDeliver *self, sr_colourspace space);
sr_exr_compression sr_page_deliver_get_compression(SrPageDeliver *self);
/* FALSE when the page does not offer c (DWAA without a DWA codec). */
gboolean sr_page_deliver_set_compression(SrPageDeliver *self, sr_exr_compression c);
gboolean sr_page_deliver_offers_compression(SrPageDeliver *self, sr_exr_compression c);
/* first > last: the whole render. */
void sr_page_deliver_set_range(SrPageDeliver *self, int first, int last);
void sr_page_deliver_get_range(SrPageDeliver *self, int *first, int *last);
gboolean sr_page_deliver_get_write_note(SrPageDeliver *self);
void sr_page_deliver_set_write_note(SrPageDeliver *self, gboolean write_note);

/* TRUE while the summary is being (re)computed. */
gboolean sr_page_deliver_get_checking(SrPageDeliver *self);
/* The summary as shown ("96 EXR masters, half float, ACES2065-1, ZIP, about
 * 1.2 GB, into …"); NULL while nothing can be delivered. */
const char *sr_page_deliver_get_summary(SrPageDeliver *self);
/* Frames the summary found rendered in the render's range (0: none). */
int sr_page_deliver_get_n_rendered(SrPageDeliver *self);
/* The provenance entry for a field of SrProvenance by name ("film_title",
 * "shot_id", "source_element", "reference_source", "restorationist",
 * "institution"); NULL for another name. */
GtkEditable *sr_page_deliver_get_provenance_entry(SrPageDeliver *self, const char *field);

G_END_DECLS
