/* sr-filmstrip.c — see sr-filmstrip.h. */
#include "sr-filmstrip.h"

#include <glib/gi18n.h>

#define N_CELLS 9

typedef struct {
  GtkWidget *box;
  GtkWidget *picture;
  GtkWidget *caption;
  GtkWidget *flag_badge, *qa_badge;
  int frame; /* G_MININT: empty cell */
  guint marks;
} Cell;

struct _SrFilmstrip {
  GtkWidget parent_instance;

  GtkWidget *row;
  Cell cells[N_CELLS];
  int first, last, offset, current;
  SrFilmstripThumbFunc thumb;
  SrFilmstripMarkFunc mark;
  SrFilmstripTooltipFunc tooltip;
  SrFilmstripCaptionFunc caption;
  gpointer user_data;
};

G_DEFINE_FINAL_TYPE(SrFilmstrip, sr_filmstrip, GTK_TYPE_WIDGET)

enum { SIGNAL_FRAME_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GQuark frame_quark;

int
sr_filmstrip_picture_frame(GtkPicture *picture)
{
  gpointer p = g_object_get_qdata(G_OBJECT(picture), frame_quark);
  return p ? GPOINTER_TO_INT(p) - 1 : G_MININT;
}

static void
set_picture_frame(GtkPicture *picture, int frame)
{
  g_object_set_qdata(G_OBJECT(picture), frame_quark,
                     frame == G_MININT ? NULL : GINT_TO_POINTER(frame + 1));
}

static void
update_cell_marks(SrFilmstrip *self, Cell *cell)
{
  guint marks =
      cell->frame != G_MININT && self->mark ? self->mark(cell->frame, self->user_data) : 0;

  if (cell->frame == self->current)
    gtk_widget_add_css_class(cell->box, "current");
  else
    gtk_widget_remove_css_class(cell->box, "current");
#define MARK(flag, name)                       \
  if (marks & (flag))                          \
    gtk_widget_add_css_class(cell->box, name); \
  else                                         \
    gtk_widget_remove_css_class(cell->box, name)
  MARK(SR_FILMSTRIP_MARK_PAIR, "pair");
  MARK(SR_FILMSTRIP_MARK_HELD_OUT, "held-out");
  MARK(SR_FILMSTRIP_MARK_PREVIEW, "preview");
  MARK(SR_FILMSTRIP_MARK_FLAGGED, "flagged");
  MARK(SR_FILMSTRIP_MARK_QA, "qa");
  MARK(SR_FILMSTRIP_MARK_RENDERED, "rendered");
#undef MARK
  cell->marks = marks;
  gtk_widget_set_visible(cell->flag_badge, (marks & SR_FILMSTRIP_MARK_FLAGGED) != 0);
  gtk_widget_set_visible(cell->qa_badge, (marks & SR_FILMSTRIP_MARK_QA) != 0);
  if (self->tooltip) {
    g_autofree char *tip =
        cell->frame != G_MININT ? self->tooltip(cell->frame, self->user_data) : NULL;
    gtk_widget_set_tooltip_text(cell->box, tip);
  }
}

static void
layout_cells(SrFilmstrip *self, gboolean reload)
{
  gboolean has_range = self->last >= self->first;

  for (int i = 0; i < N_CELLS; i++) {
    Cell *cell = &self->cells[i];
    int frame = self->current - N_CELLS / 2 + i;
    gboolean inside = has_range && frame >= self->first && frame <= self->last;
    int new_frame = inside ? frame : G_MININT;

    if (new_frame != cell->frame || reload) {
      cell->frame = new_frame;
      set_picture_frame(GTK_PICTURE(cell->picture), new_frame);
      gtk_picture_set_paintable(GTK_PICTURE(cell->picture), NULL);
      if (inside) {
        g_autofree char *text = self->caption ? self->caption(frame, self->user_data)
                                              : g_strdup_printf("%d", frame + self->offset);
        gtk_label_set_text(GTK_LABEL(cell->caption), text);
        if (self->thumb)
          self->thumb(self, frame, GTK_PICTURE(cell->picture), self->user_data);
      } else {
        gtk_label_set_text(GTK_LABEL(cell->caption), "");
      }
      gtk_widget_set_opacity(cell->box, inside ? 1.0 : 0.0);
    }
    update_cell_marks(self, cell);
  }
}

static void
on_cell_pressed(GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  SrFilmstrip *self = SR_FILMSTRIP(user_data);
  GtkWidget *box = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));

  for (int i = 0; i < N_CELLS; i++)
    if (self->cells[i].box == box && self->cells[i].frame != G_MININT) {
      g_signal_emit(self, signals[SIGNAL_FRAME_ACTIVATED], 0, self->cells[i].frame);
      break;
    }
}

static void
sr_filmstrip_dispose(GObject *object)
{
  SrFilmstrip *self = SR_FILMSTRIP(object);

  g_clear_pointer(&self->row, gtk_widget_unparent);
  G_OBJECT_CLASS(sr_filmstrip_parent_class)->dispose(object);
}

static void
sr_filmstrip_class_init(SrFilmstripClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_filmstrip_dispose;
  frame_quark = g_quark_from_static_string("sr-filmstrip-frame");

  signals[SIGNAL_FRAME_ACTIVATED] =
      g_signal_new("frame-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                   NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "filmstrip");
  gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sr_filmstrip_init(SrFilmstrip *self)
{
  self->first = 0;
  self->last = -1;
  self->current = 0;
  self->row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_set_homogeneous(GTK_BOX(self->row), TRUE);
  gtk_widget_set_parent(self->row, GTK_WIDGET(self));

  for (int i = 0; i < N_CELLS; i++) {
    Cell *cell = &self->cells[i];
    GtkGesture *click = gtk_gesture_click_new();

    cell->frame = G_MININT;
    cell->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    gtk_widget_add_css_class(cell->box, "thumb");
    cell->picture = gtk_picture_new();
    gtk_picture_set_can_shrink(GTK_PICTURE(cell->picture), TRUE);
    gtk_picture_set_content_fit(GTK_PICTURE(cell->picture), GTK_CONTENT_FIT_CONTAIN);
    gtk_widget_set_size_request(cell->picture, 40, 62);
    cell->caption = gtk_label_new(NULL);
    gtk_widget_add_css_class(cell->caption, "thumb-caption");
    gtk_widget_add_css_class(cell->caption, "numeric");
    /* Badges in the picture's top-right corner, hidden unless marked. */
    GtkWidget *overlay = gtk_overlay_new();
    GtkWidget *badges = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 2);
    gtk_widget_set_halign(badges, GTK_ALIGN_END);
    gtk_widget_set_valign(badges, GTK_ALIGN_START);
    gtk_widget_set_can_target(badges, FALSE);
    /* Translators: badge on a thumbnail the QA measurement flagged. */
    cell->qa_badge = gtk_label_new(_("QA"));
    cell->flag_badge = gtk_image_new_from_icon_name("emoji-flags-symbolic");
    gtk_widget_add_css_class(cell->qa_badge, "thumb-badge");
    gtk_widget_add_css_class(cell->qa_badge, "qa");
    gtk_widget_add_css_class(cell->flag_badge, "thumb-badge");
    gtk_widget_add_css_class(cell->flag_badge, "flagged");
    gtk_widget_set_visible(cell->qa_badge, FALSE);
    gtk_widget_set_visible(cell->flag_badge, FALSE);
    gtk_box_append(GTK_BOX(badges), cell->qa_badge);
    gtk_box_append(GTK_BOX(badges), cell->flag_badge);
    gtk_overlay_set_child(GTK_OVERLAY(overlay), cell->picture);
    gtk_overlay_add_overlay(GTK_OVERLAY(overlay), badges);
    gtk_box_append(GTK_BOX(cell->box), overlay);
    gtk_box_append(GTK_BOX(cell->box), cell->caption);
    g_signal_connect(click, "pressed", G_CALLBACK(on_cell_pressed), self);
    gtk_widget_add_controller(cell->box, GTK_EVENT_CONTROLLER(click));
    gtk_widget_set_opacity(cell->box, 0.0);
    gtk_box_append(GTK_BOX(self->row), cell->box);
  }
}

GtkWidget *
sr_filmstrip_new(void)
{
  return g_object_new(SR_TYPE_FILMSTRIP, NULL);
}

void
sr_filmstrip_set_funcs(SrFilmstrip *self, SrFilmstripThumbFunc thumb, SrFilmstripMarkFunc mark,
                       gpointer user_data)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  self->thumb = thumb;
  self->mark = mark;
  self->user_data = user_data;
}

void
sr_filmstrip_set_range(SrFilmstrip *self, int first, int last, int offset)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  self->first = first;
  self->last = last;
  self->offset = offset;
  layout_cells(self, TRUE);
}

void
sr_filmstrip_set_current(SrFilmstrip *self, int frame)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  if (self->current == frame)
    return;
  self->current = frame;
  layout_cells(self, FALSE);
}

int
sr_filmstrip_get_current(SrFilmstrip *self)
{
  g_return_val_if_fail(SR_IS_FILMSTRIP(self), 0);
  return self->current;
}

void
sr_filmstrip_update_marks(SrFilmstrip *self)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  for (int i = 0; i < N_CELLS; i++)
    update_cell_marks(self, &self->cells[i]);
}

void
sr_filmstrip_reload(SrFilmstrip *self)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  layout_cells(self, TRUE);
}

void
sr_filmstrip_set_caption_func(SrFilmstrip *self, SrFilmstripCaptionFunc caption)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  self->caption = caption;
  layout_cells(self, TRUE);
}

void
sr_filmstrip_set_tooltip_func(SrFilmstrip *self, SrFilmstripTooltipFunc tooltip)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  self->tooltip = tooltip;
  sr_filmstrip_update_marks(self);
}

void
sr_filmstrip_reload_frame(SrFilmstrip *self, int frame)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  for (int i = 0; i < N_CELLS; i++) {
    Cell *cell = &self->cells[i];
    if (cell->frame != frame || frame == G_MININT)
      continue;
    if (self->thumb)
      self->thumb(self, frame, GTK_PICTURE(cell->picture), self->user_data);
    update_cell_marks(self, cell);
  }
}

void
sr_filmstrip_get_range(SrFilmstrip *self, int *first, int *last)
{
  g_return_if_fail(SR_IS_FILMSTRIP(self));
  if (first)
    *first = self->first;
  if (last)
    *last = self->last;
}

guint
sr_filmstrip_get_n_shown(SrFilmstrip *self, guint *n_with_picture)
{
  guint shown = 0, pictures = 0;

  g_return_val_if_fail(SR_IS_FILMSTRIP(self), 0);
  for (int i = 0; i < N_CELLS; i++) {
    if (self->cells[i].frame == G_MININT)
      continue;
    shown++;
    if (gtk_picture_get_paintable(GTK_PICTURE(self->cells[i].picture)))
      pictures++;
  }
  if (n_with_picture)
    *n_with_picture = pictures;
  return shown;
}

guint
sr_filmstrip_get_cell_marks(SrFilmstrip *self, int frame)
{
  g_return_val_if_fail(SR_IS_FILMSTRIP(self), 0);
  for (int i = 0; i < N_CELLS; i++)
    if (self->cells[i].frame == frame && frame != G_MININT)
      return self->cells[i].marks;
  return 0;
}
