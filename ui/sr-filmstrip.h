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
  /* Render review: the archivist flagged the frame, the QA measurement
   * flagged it, the rendered frame is on disk. Flags show as corner badges,
   * a cell without RENDERED (when any cell has it) dims. */
  SR_FILMSTRIP_MARK_FLAGGED = 1 << 3,
  SR_FILMSTRIP_MARK_QA = 1 << 4,
  SR_FILMSTRIP_MARK_RENDERED = 1 << 5,
} SrFilmstripMark;

#define SR_TYPE_FILMSTRIP (sr_filmstrip_get_type())
G_DECLARE_FINAL_TYPE(SrFilmstrip, sr_filmstrip, SR, FILMSTRIP, GtkWidget)

/* Fills `picture` for `frame` (may answer later: check
 * sr_filmstrip_picture_frame() before setting a late result). */
typedef void (*SrFilmstripThumbFunc)(SrFilmstrip *strip, int frame, GtkPicture *picture,
                                     gpointer user_data);
typedef guint (*SrFilmstripMarkFunc)(int frame, gpointer user_data);
/* Tooltip of a frame's cell (caller frees; NULL for none). */
typedef char *(*SrFilmstripTooltipFunc)(int frame, gpointer user_data);

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

/* Caption of a frame's cell (caller frees), instead of frame + offset: the
 * Reference row under a frame map with a cadence (user_data of set_funcs). */
typedef char *(*SrFilmstripCaptionFunc)(int frame, gpointer user_data);
void sr_filmstrip_set_caption_func(SrFilmstrip *self, SrFilmstripCaptionFunc caption);
/* Asked with the marks, for every cell (uses the user_data of set_funcs). */
void sr_filmstrip_set_tooltip_func(SrFilmstrip *self, SrFilmstripTooltipFunc tooltip);
/* Asks for one frame's picture again when it is on the strip (a render just
 * wrote it). */
void sr_filmstrip_reload_frame(SrFilmstrip *self, int frame);
/* The range given to set_range. */
void sr_filmstrip_get_range(SrFilmstrip *self, int *first, int *last);
/* Cells that show a frame, and how many of those have a picture. */
guint sr_filmstrip_get_n_shown(SrFilmstrip *self, guint *n_with_picture);
/* Marks of the frame's cell as last read (0 when it is not on the strip). */
guint sr_filmstrip_get_cell_marks(SrFilmstrip *self, int frame);

G_END_DECLS
