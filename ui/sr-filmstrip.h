/* sr-filmstrip.h — a row of frame thumbnails centred on the current frame.
 *
 * The strip asks its owner for pictures (thumb-func) and for the marks of
 * each frame (mark-func), so the same widget shows the Source and the
 * Reference rows of the pair picker. Clicking a cell emits "frame-activated". */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  SR_FILMSTRIP_MARK_PAIR = 1 << 0,
  SR_FILMSTRIP_MARK_HELD_OUT = 1 << 1,
  SR_FILMSTRIP_MARK_PREVIEW = 1 << 2,
} SrFilmstripMark;

#define SR_TYPE_FILMSTRIP (sr_filmstrip_get_type())
G_DECLARE_FINAL_TYPE(SrFilmstrip, sr_filmstrip, SR, FILMSTRIP, GtkWidget)

/* Fills `picture` for `frame` (may answer later: check
 * sr_filmstrip_picture_frame() before setting a late result). */
typedef void (*SrFilmstripThumbFunc)(SrFilmstrip *strip, int frame, GtkPicture *picture,
                                     gpointer user_data);
typedef guint (*SrFilmstripMarkFunc)(int frame, gpointer user_data);

GtkWidget *sr_filmstrip_new(void);
void sr_filmstrip_set_funcs(SrFilmstrip *self, SrFilmstripThumbFunc thumb, SrFilmstripMarkFunc mark,
                            gpointer user_data);
/* Frames outside [first, last] show as empty cells; offset is added to the
 * caption (the Reference row shows Reference frame numbers). */
void sr_filmstrip_set_range(SrFilmstrip *self, int first, int last, int offset);
void sr_filmstrip_set_current(SrFilmstrip *self, int frame);
int sr_filmstrip_get_current(SrFilmstrip *self);
/* Re-reads the marks (after pairs changed). */
void sr_filmstrip_update_marks(SrFilmstrip *self);
/* Asks for every picture again (after the sequence changed). */
void sr_filmstrip_reload(SrFilmstrip *self);
/* The frame a picture currently stands for (G_MININT when none). */
int sr_filmstrip_picture_frame(GtkPicture *picture);

G_END_DECLS
