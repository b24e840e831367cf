/* sr-scope-view.h — one waveform or vectorscope picture with its labels.
 *
 * The picture is an RGBA8 scope drawn by engine/qa/sr-scopes.h (graticule
 * lines included); the widget scales it to its allocation and draws the
 * labels crisply on top: the title ("A · Original"), the waveform levels
 * 0, 50 and 100 %, or the six vectorscope targets (75 %) by name. Without
 * a picture it shows the title over an empty graticule area.
 */
#pragma once

#include <gtk/gtk.h>

#include "sr-colour.h"

G_BEGIN_DECLS

typedef enum {
  SR_SCOPE_VIEW_WAVEFORM = 0,
  SR_SCOPE_VIEW_VECTORSCOPE,
} SrScopeViewKind;

#define SR_TYPE_SCOPE_VIEW (sr_scope_view_get_type())
G_DECLARE_FINAL_TYPE(SrScopeView, sr_scope_view, SR, SCOPE_VIEW, GtkWidget)

GtkWidget *sr_scope_view_new(SrScopeViewKind kind, const char *title);
void sr_scope_view_set_kind(SrScopeView *self, SrScopeViewKind kind);
SrScopeViewKind sr_scope_view_get_kind(SrScopeView *self);
void sr_scope_view_set_title(SrScopeView *self, const char *title);
const char *sr_scope_view_get_title(SrScopeView *self);
/* Matrix the vectorscope targets are placed with (default BT.709). */
void sr_scope_view_set_matrix(SrScopeView *self, sr_ycbcr_matrix matrix);

/* Shows a copy of an RGBA8 picture (width*height*4 bytes, opaque); NULL
 * clears it. */
void sr_scope_view_set_picture(SrScopeView *self, const guint8 *rgba, int width, int height);
gboolean sr_scope_view_has_picture(SrScopeView *self);
/* FNV-1a hash of the picture's bytes (0 without one): tells whether two
 * scopes show the same thing. */
guint64 sr_scope_view_get_content_hash(SrScopeView *self);
/* Pictures set since creation (each set_picture with a picture counts). */
guint sr_scope_view_get_updates(SrScopeView *self);

/* Properties: "kind" (SrScopeViewKind as int), "title" (string). */

G_END_DECLS
