/* sr-viewer-private.h — SrViewer's instance, shared by the files that
 * make the viewer: sr-viewer.c (object, properties, frames, view state),
 * sr-viewer-gl.c (GL renderer), sr-viewer-software.c (CPU renderer, used
 * when GL cannot be), sr-viewer-overlays.c (what is drawn over the picture)
 * and sr-viewer-input.c (probe, pointer, keys, actions). */
#pragma once

#include <epoxy/gl.h>

#include "sr-display-lut.h"
#include "sr-viewer.h"

G_BEGIN_DECLS

#define RESOURCE_PREFIX "/io/github/spatialrecovery/SpatialRecovery/shaders/"
#define MIN_ZOOM        (1.0 / 64.0)
#define MAX_ZOOM        64.0
#define HANDLE_SIZE     9.0  /* drawn handle square, widget px */
#define HANDLE_HIT      10.0 /* grab distance from a handle centre */
#define WIPE_HIT        7.0  /* grab distance from the wipe line */
#define MIN_CROP        16
/* Surround: a dark neutral grey, so the picture is judged against nothing
 * tinted (sRGB ~0.12, about 1.5 % luminance). */
extern const float sr_viewer_surround[3];

enum {
  HANDLE_NONE = -1,
  HANDLE_TL = 0,
  HANDLE_T,
  HANDLE_TR,
  HANDLE_R,
  HANDLE_BR,
  HANDLE_B,
  HANDLE_BL,
  HANDLE_L,
};

/* Frames of up to this many pixels (thumbnails, contact-sheet crops) are
 * converted right in the draw; anything bigger, a frame of the demo included,
 * on a worker, so scrubbing never waits: a 480×270 frame through the software
 * LUT already costs tens of milliseconds on a slow machine. */
#define SYNC_CONVERT_PIXELS (256 * 256)

typedef struct {
  SrFrame *frame;  /* what was converted (a reference) */
  guint16 *pixels; /* RGBA half, tw × th */
  int tw, th;      /* texture size (decimated past the GL limit) */
} HalfImage;

typedef struct {
  GLuint id;
  int width, height;   /* size of the frame the texture shows */
  SrFrame *shown;      /* the frame whose pixels are in the texture */
  SrFrame *converting; /* the frame a worker converts now */
  GCancellable *cancel;
  HalfImage *ready; /* converted, waiting for the next draw to upload */
} GlImage;

/* A software-rendered picture: `want` bumps whenever what it depends on
 * changes; `tex` (possibly older) stays on screen until the new one is made. */
typedef struct {
  GdkTexture *tex;
  guint tex_gen;
  guint want;
  GCancellable *cancel;
} SwSlot;

enum { SW_A = 0, SW_B, SW_DIFF };

struct _SrViewer {
  GtkWidget parent_instance;

  GtkWidget *gl_area;

  SrFrame *frame_a;
  SrFrame *frame_b;

  sr_colourspace colourspace;
  char *display_profile;
  SrDisplayLut *lut;
  double exposure;

  SrViewerMode mode;
  SrViewerWipe wipe;
  double wipe_position;
  double gain;

  double zoom;
  gboolean zoom_fit;
  double pan_x, pan_y;

  sr_ycbcr_matrix matrix;
  SrViewerProbe probe;

  sr_rect crop;
  gboolean show_crop;
  gboolean crop_edit;

  char *label_a;
  char *label_b;
  int frame_number;
  gboolean show_labels;
  gboolean show_probe;

  /* Pointer state. */
  gboolean space_held;
  double pointer_x, pointer_y;
  gboolean pointer_in;
  SrViewerDrag drag;
  int drag_handle;
  int drag_pane;
  double drag_start_x, drag_start_y;
  double drag_start_pan_x, drag_start_pan_y;
  sr_rect drag_start_crop;

  /* Renderer. */
  gboolean force_software;
  gboolean software;
  char *fallback_reason;
  gboolean gl_ready;
  guint gl_errors;
  GLuint program, vao, lut_tex;
  gboolean lut_dirty;
  GlImage gl_a, gl_b;
  GLint max_texture_size;
  GHashTable *uniforms; /* name → location + 1 */

  /* Software renderer: the frames through the display transform. */
  SwSlot sw[3]; /* A, B, difference */
};

enum {
  PROP_0,
  PROP_MODE,
  PROP_WIPE_ORIENTATION,
  PROP_WIPE_POSITION,
  PROP_DIFFERENCE_GAIN,
  PROP_EXPOSURE,
  PROP_ZOOM,
  PROP_ZOOM_FIT,
  PROP_PAN_X,
  PROP_PAN_Y,
  PROP_COLOURSPACE,
  PROP_DISPLAY_PROFILE,
  PROP_YCBCR_MATRIX,
  PROP_CROP_X,
  PROP_CROP_Y,
  PROP_CROP_WIDTH,
  PROP_CROP_HEIGHT,
  PROP_SHOW_CROP,
  PROP_CROP_EDIT,
  PROP_SHOW_LABELS,
  PROP_SHOW_PROBE,
  PROP_LABEL_A,
  PROP_LABEL_B,
  PROP_FRAME_NUMBER,
  PROP_RENDERER,
  PROP_FALLBACK_REASON,
  PROP_FORCE_SOFTWARE,
  N_PROPS
};
extern GParamSpec *sr_viewer_props[N_PROPS];

enum { SIGNAL_PROBE, SIGNAL_CROP_EDITED, SIGNAL_GL_ERROR, N_SIGNALS };
extern guint sr_viewer_signals[N_SIGNALS];

/* sr-viewer.c: geometry shared by the renderers, overlays and input */
const sr_image *sr_viewer_image_a(SrViewer *self);
const sr_image *sr_viewer_image_b(SrViewer *self);
gboolean sr_viewer_reference_size(SrViewer *self, int *w, int *h);
double sr_viewer_pane_width(SrViewer *self);
double sr_viewer_view_height(SrViewer *self);
int sr_viewer_pane_of(SrViewer *self, double wx);
void sr_viewer_to_image(SrViewer *self, int pane, double wx, double wy, double *ix, double *iy);
void sr_viewer_to_widget(SrViewer *self, int pane, double ix, double iy, double *wx, double *wy);
void sr_viewer_notify_view(SrViewer *self);
void sr_viewer_redraw(SrViewer *self);

/* sr-viewer-gl.c: the GL renderer */
void sr_viewer_switch_to_software(SrViewer *self, const char *reason);
void sr_viewer_release_slot(GlImage *gi);
void sr_viewer_gl_init(SrViewer *self);

/* sr-viewer-software.c: the software renderer */
void sr_viewer_invalidate_sw(SrViewer *self, int idx);
void sr_viewer_invalidate_software(SrViewer *self);
void sr_viewer_release_software(SrViewer *self);
void sr_viewer_snapshot_software(SrViewer *self, GtkSnapshot *snapshot);

/* sr-viewer-overlays.c: wipe line, crop, labels and probe drawn over the picture */
void sr_viewer_handle_point(const sr_rect *r, int handle, double *ix, double *iy);
void sr_viewer_snapshot_overlays(SrViewer *self, GtkSnapshot *snapshot);

/* sr-viewer-input.c: the pixel probe, pointer, keys and actions */
void sr_viewer_refresh_probe(SrViewer *self);
void sr_viewer_notify_crop(SrViewer *self);
void sr_viewer_input_class_init(GtkWidgetClass *wc);
void sr_viewer_input_init(SrViewer *self);

G_END_DECLS
