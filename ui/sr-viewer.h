/* sr-viewer.h — the image viewer every page embeds.
 *
 * SrViewer shows two float frames, A and B (usually Source and Recovered),
 * in the working colour space ("colourspace": display-referred Rec.709 /
 * sRGB or scene-linear ACES / linear Rec.709). Frames are uploaded as
 * half-float textures; a 3D LUT built with LittleCMS maps them to the
 * display (sRGB, or the ICC profile in "display-profile"), after an exposure
 * change in stops. When OpenGL cannot be used the viewer draws the same
 * picture on the CPU and says why in "fallback-reason".
 *
 * Comparison modes: A, B, wipe (drag the split line; vertical or
 * horizontal), side by side, amplified difference, and an A/B toggle
 * ("viewer.toggle-ab", bound to the t key).
 *
 * Navigation: "zoom-fit" follows the widget size; the wheel zooms about the
 * cursor; the middle button, space+drag, or a primary drag that hits no
 * overlay handle pans. Keys: f fit, 1 one-to-one, + / - zoom, t toggle.
 *
 * Overlays: the crop rectangle (with 8 handles in "crop-edit" mode; edited
 * sizes snap to even numbers) and labels ("A: Source", "B: Recovered", the
 * frame number).
 *
 * Coordinates: image coordinates are pixels of the A frame's buffer (its
 * data window), (0,0) at the top-left corner of the first pixel; pixel
 * (i,j) covers [i,i+1)×[j,j+1). Widget coordinates are GTK logical pixels.
 */
#pragma once

#include <gtk/gtk.h>

#include "sr-colour.h"
#include "sr-frame-cache.h"
#include "sr-image.h"

G_BEGIN_DECLS

typedef enum {
  SR_VIEWER_MODE_A = 0,
  SR_VIEWER_MODE_B,
  SR_VIEWER_MODE_WIPE,
  SR_VIEWER_MODE_SIDE_BY_SIDE,
  SR_VIEWER_MODE_DIFFERENCE,
} SrViewerMode;

#define SR_TYPE_VIEWER_MODE (sr_viewer_mode_get_type())
GType sr_viewer_mode_get_type(void) G_GNUC_CONST;

typedef enum {
  SR_VIEWER_WIPE_VERTICAL = 0, /* a vertical split line: A left, B right */
  SR_VIEWER_WIPE_HORIZONTAL,   /* a horizontal split line: A top, B bottom */
} SrViewerWipe;

#define SR_TYPE_VIEWER_WIPE (sr_viewer_wipe_get_type())
GType sr_viewer_wipe_get_type(void) G_GNUC_CONST;

/* What lies under the cursor. RGB values are the frame's own (working
 * space, before exposure and display transform); Y/Cb/Cr use
 * "ycbcr-matrix" with Cb/Cr centred on 0 (sr_rgb_to_ycbcr). */
typedef struct {
  gboolean valid; /* the cursor is over an image pixel */
  int x, y;       /* pixel in A's buffer coordinates */
  gboolean has_a, has_b;
  float a_rgb[4]; /* alpha is 1 for RGB frames */
  float b_rgb[4];
  float a_ycbcr[3];
  float b_ycbcr[3];
} SrViewerProbe;

#define SR_TYPE_VIEWER_PROBE (sr_viewer_probe_get_type())
GType sr_viewer_probe_get_type(void) G_GNUC_CONST;
SrViewerProbe *sr_viewer_probe_copy(const SrViewerProbe *probe);
void sr_viewer_probe_free(SrViewerProbe *probe);

#define SR_TYPE_VIEWER (sr_viewer_get_type())
G_DECLARE_FINAL_TYPE(SrViewer, sr_viewer, SR, VIEWER, GtkWidget)

GtkWidget *sr_viewer_new(void);

/* ---- Frames -------------------------------------------------------------- */

/* Shows frames (a new reference is taken; NULL clears that side). Frames
 * are RGB or RGBA (1-channel frames show as grey). Changing A keeps the
 * zoom and pan when the size is unchanged, and refits when zoom-fit. */
void sr_viewer_set_frame_a(SrViewer *self, SrFrame *frame);
void sr_viewer_set_frame_b(SrViewer *self, SrFrame *frame);
void sr_viewer_set_frames(SrViewer *self, SrFrame *a, SrFrame *b);
SrFrame *sr_viewer_get_frame_a(SrViewer *self); /* borrowed; may be NULL */
SrFrame *sr_viewer_get_frame_b(SrViewer *self);
/* Convenience: wraps a copy of img (NULL clears). */
void sr_viewer_set_image_a(SrViewer *self, const sr_image *img);
void sr_viewer_set_image_b(SrViewer *self, const sr_image *img);

/* ---- Display ------------------------------------------------------------- */

/* Colour space of both frames (default SR_CS_REC709). Rebuilds the LUT. */
void sr_viewer_set_colourspace(SrViewer *self, sr_colourspace cs);
sr_colourspace sr_viewer_get_colourspace(SrViewer *self);
/* ICC display profile file, or NULL for sRGB. An unreadable profile keeps
 * sRGB and emits a g_warning naming the file. */
void sr_viewer_set_display_profile(SrViewer *self, const char *icc_path);
const char *sr_viewer_get_display_profile(SrViewer *self);
/* Exposure in stops applied in linear light before the display transform. */
void sr_viewer_set_exposure(SrViewer *self, double stops);
double sr_viewer_get_exposure(SrViewer *self);

/* ---- Comparison ---------------------------------------------------------- */

void sr_viewer_set_mode(SrViewer *self, SrViewerMode mode);
SrViewerMode sr_viewer_get_mode(SrViewer *self);
/* A ↔ B; from any other mode it goes to A. Also the "viewer.toggle-ab"
 * action and the t key. */
void sr_viewer_toggle_ab(SrViewer *self);
void sr_viewer_set_wipe_orientation(SrViewer *self, SrViewerWipe wipe);
SrViewerWipe sr_viewer_get_wipe_orientation(SrViewer *self);
/* Split position as a fraction of the image width (or height), 0..1. */
void sr_viewer_set_wipe_position(SrViewer *self, double position);
double sr_viewer_get_wipe_position(SrViewer *self);
/* Difference mode shows |A − B| × gain (default 8). */
void sr_viewer_set_difference_gain(SrViewer *self, double gain);
double sr_viewer_get_difference_gain(SrViewer *self);

/* ---- Zoom and pan -------------------------------------------------------- */

/* Zoom is display pixels per image pixel (1.0 = one-to-one). Setting a zoom
 * or pan turns zoom-fit off. */
void sr_viewer_set_zoom(SrViewer *self, double zoom);
double sr_viewer_get_zoom(SrViewer *self);
/* Multiplies the zoom keeping the image point under (wx, wy) in place. */
void sr_viewer_zoom_at(SrViewer *self, double factor, double wx, double wy);
void sr_viewer_zoom_fit(SrViewer *self);
void sr_viewer_zoom_one(SrViewer *self);
gboolean sr_viewer_get_zoom_fit(SrViewer *self);
/* Pan: the image point shown at the centre of the view (each half's
 * centre in side-by-side mode). */
void sr_viewer_set_pan(SrViewer *self, double image_x, double image_y);
void sr_viewer_get_pan(SrViewer *self, double *image_x, double *image_y);

/* Widget ↔ image coordinates for the current view (in side-by-side mode
 * either half maps to the same image point). widget_to_image returns FALSE
 * when there is no image or the point is outside the picture area. */
gboolean sr_viewer_widget_to_image(SrViewer *self, double wx, double wy, double *ix, double *iy);
void sr_viewer_image_to_widget(SrViewer *self, double ix, double iy, double *wx, double *wy);

/* ---- Pixel probe --------------------------------------------------------- */

/* Probes the pixel under widget point (wx, wy), as the pointer does: fills
 * out, updates the current probe and emits "probe". */
void sr_viewer_probe_at(SrViewer *self, double wx, double wy, SrViewerProbe *out);
/* Values at an image pixel, without touching the current probe. */
void sr_viewer_probe_pixel(SrViewer *self, int x, int y, SrViewerProbe *out);
/* The last probe (valid FALSE when the cursor left the image). */
void sr_viewer_get_probe(SrViewer *self, SrViewerProbe *out);
/* Matrix for the probe's Y/Cb/Cr (default SR_YCBCR_BT709). */
void sr_viewer_set_ycbcr_matrix(SrViewer *self, sr_ycbcr_matrix matrix);
/* Draws the probe readout (position, RGB and Y/Cb/Cr of A and B) in the
 * bottom-right corner while the cursor is over the picture (default TRUE;
 * property "show-probe"). */
void sr_viewer_set_show_probe(SrViewer *self, gboolean show);

/* ---- Overlays ------------------------------------------------------------ */

/* Crop rectangle in image coordinates; an empty rect (w or h 0) hides it. */
void sr_viewer_set_crop(SrViewer *self, const sr_rect *crop);
void sr_viewer_get_crop(SrViewer *self, sr_rect *out);
void sr_viewer_set_show_crop(SrViewer *self, gboolean show);
/* Interactive crop editing: 8 handles; dragging emits notify::crop on each
 * move and "crop-edited" when the drag ends. Widths and heights snap to
 * even numbers and stay inside the A image (at least 16 px). */
void sr_viewer_set_crop_edit(SrViewer *self, gboolean edit);
gboolean sr_viewer_get_crop_edit(SrViewer *self);

void sr_viewer_set_labels(SrViewer *self, const char *label_a, const char *label_b);
/* Frame number shown in the bottom-left corner; -1 hides it. */
void sr_viewer_set_frame_number(SrViewer *self, int number);
void sr_viewer_set_show_labels(SrViewer *self, gboolean show);

/* ---- Pointer input, as the gestures deliver it ---------------------------
 * The drag gesture calls exactly these; tests call them to drive crop
 * handles, the wipe line and panning with simulated coordinates. button is
 * 1 (primary) or 2 (middle). drag_begin returns what the drag will do. */
typedef enum {
  SR_VIEWER_DRAG_NONE = 0,
  SR_VIEWER_DRAG_PAN,
  SR_VIEWER_DRAG_WIPE,
  SR_VIEWER_DRAG_CROP_HANDLE,
} SrViewerDrag;

SrViewerDrag sr_viewer_drag_begin(SrViewer *self, guint button, double wx, double wy);
void sr_viewer_drag_update(SrViewer *self, double wx, double wy);
void sr_viewer_drag_end(SrViewer *self, double wx, double wy);
/* What the space key does for panning (TRUE while held). */
void sr_viewer_set_space_held(SrViewer *self, gboolean held);

/* ---- Renderer ------------------------------------------------------------ */

/* "gl" once OpenGL is realised, "software" after a fallback, "none" before
 * realisation. */
const char *sr_viewer_get_renderer(SrViewer *self);
/* Why the viewer draws on the CPU (NULL when it uses OpenGL). */
const char *sr_viewer_get_fallback_reason(SrViewer *self);
/* Forces the CPU path (before or after realisation), e.g. for tests or a
 * driver the user reported as broken. */
void sr_viewer_set_force_software(SrViewer *self, gboolean force);
/* GL errors seen since realisation (each also emitted as "gl-error"). */
guint sr_viewer_get_gl_error_count(SrViewer *self);
/* TRUE while a frame set with sr_viewer_set_frame_*() (or a new exposure,
 * colour space or gain) is not on screen yet: big frames are prepared on a
 * worker thread (half-float conversion for GL, the whole display transform
 * on the software path) and the previous picture stays until then. */
gboolean sr_viewer_is_preparing(SrViewer *self);

/* Properties: "mode" (SrViewerMode), "wipe-orientation" (SrViewerWipe),
 *   "wipe-position", "difference-gain", "exposure", "zoom" (double),
 *   "zoom-fit" (boolean), "pan-x", "pan-y" (double), "colourspace" (int,
 *   sr_colourspace), "display-profile" (string), "ycbcr-matrix" (int),
 *   "crop-x", "crop-y", "crop-width", "crop-height" (int), "show-crop",
 *   "crop-edit", "show-labels", "show-probe" (boolean), "label-a",
 *   "label-b" (string),
 *   "frame-number" (int), "renderer", "fallback-reason" (string,
 *   read-only), "force-software" (boolean).
 * Signals:
 *   "probe"       (SrViewer *, SrViewerProbe *probe) — the cursor moved over
 *                 a new pixel, left the image, or the frames changed.
 *   "crop-edited" (SrViewer *, int x, int y, int width, int height) — a crop
 *                 handle drag ended with this rectangle.
 *   "gl-error"    (SrViewer *, const char *message) — an OpenGL error or a
 *                 failed shader/texture setup; also logged with g_warning.
 * Actions (in the "viewer" group): toggle-ab, zoom-fit, zoom-one, zoom-in,
 *   zoom-out. */

G_END_DECLS
