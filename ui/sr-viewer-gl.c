/* sr-viewer-gl.c — SrViewer's GL renderer: the shader program, frames
 * converted to half-float textures on a worker, the display LUT as a 3D
 * texture, and the draw. A GL failure hands over to the software renderer
 * (sr-viewer-software.c). */
#include "sr-viewer-private.h"

#include <glib/gi18n.h>
#include <string.h>

/* ---- GL ------------------------------------------------------------------ */

static void
report_gl_error(SrViewer *self, const char *message)
{
  self->gl_errors++;
  g_warning("Viewer: %s", message);
  g_signal_emit(self, sr_viewer_signals[SIGNAL_GL_ERROR], 0, message);
}

static gboolean
check_gl(SrViewer *self, const char *where)
{
  GLenum e, first = GL_NO_ERROR;
  while ((e = glGetError()) != GL_NO_ERROR)
    if (first == GL_NO_ERROR)
      first = e;
  if (first == GL_NO_ERROR)
    return TRUE;
  g_autofree char *msg = g_strdup_printf("OpenGL error 0x%04x after %s", first, where);
  report_gl_error(self, msg);
  return FALSE;
}

void
sr_viewer_switch_to_software(SrViewer *self, const char *reason)
{
  if (self->software)
    return;
  self->software = TRUE;
  g_free(self->fallback_reason);
  self->fallback_reason = g_strdup(reason);
  if (self->force_software)
    g_debug("Viewer draws on the CPU: %s", reason);
  else
    g_message("Viewer draws on the CPU: %s", reason);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_RENDERER]);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_FALLBACK_REASON]);
  sr_viewer_redraw(self);
}

static GLint
uniform(SrViewer *self, const char *name)
{
  gpointer v = g_hash_table_lookup(self->uniforms, name);
  if (v == NULL) {
    GLint loc = glGetUniformLocation(self->program, name);
    g_hash_table_insert(self->uniforms, (gpointer)name, GINT_TO_POINTER(loc + 2));
    return loc;
  }
  return GPOINTER_TO_INT(v) - 2;
}

static GLuint
compile_shader(SrViewer *self, GLenum type, const char *resource, gboolean es, GError **error)
{
  g_autoptr(GBytes) bytes = g_resources_lookup_data(resource, 0, error);
  if (bytes == NULL)
    return 0;
  const char *header = es ? "#version 300 es\nprecision highp float;\nprecision highp sampler3D;\n"
                          : "#version 150\n";
  gsize len;
  const char *body = g_bytes_get_data(bytes, &len);
  const char *sources[2] = {header, body};
  GLint lengths[2] = {(GLint)strlen(header), (GLint)len};
  GLuint sh = glCreateShader(type);
  glShaderSource(sh, 2, sources, lengths);
  glCompileShader(sh);
  GLint ok = 0;
  glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[2048] = "";
    glGetShaderInfoLog(sh, sizeof log, NULL, log);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("shader %s did not compile: %s"), resource,
                log);
    glDeleteShader(sh);
    return 0;
  }
  return sh;
}

static gboolean
build_program(SrViewer *self, gboolean es, GError **error)
{
  GLuint vs = compile_shader(self, GL_VERTEX_SHADER, RESOURCE_PREFIX "viewer.vert", es, error);
  if (vs == 0)
    return FALSE;
  GLuint fs = compile_shader(self, GL_FRAGMENT_SHADER, RESOURCE_PREFIX "viewer.frag", es, error);
  if (fs == 0) {
    glDeleteShader(vs);
    return FALSE;
  }
  GLuint prog = glCreateProgram();
  glAttachShader(prog, vs);
  glAttachShader(prog, fs);
  glLinkProgram(prog);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(prog, GL_LINK_STATUS, &ok);
  if (!ok) {
    char log[2048] = "";
    glGetProgramInfoLog(prog, sizeof log, NULL, log);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("viewer shaders did not link: %s"), log);
    glDeleteProgram(prog);
    return FALSE;
  }
  self->program = prog;
  return TRUE;
}

/* NaN has no colour to show; draw it as black rather than let the shader's
 * arithmetic decide. Infinities clamp to white in the shaper. */
static inline guint16
display_half(float v)
{
  return isnan(v) ? 0 : sr_float_to_half(v);
}

static void
half_image_free(HalfImage *h)
{
  if (h == NULL)
    return;
  sr_frame_unref(h->frame);
  g_free(h->pixels);
  g_free(h);
}

/* Frame → RGBA half pixels; frames larger than the GL limit are decimated
 * (the probe still reads full-resolution values from the frame). Runs on
 * any thread: frames are immutable. NULL when memory runs out. */
static HalfImage *
half_image_new(SrFrame *frame, int max_texture_size)
{
  const sr_image *img = sr_frame_get_image(frame);
  int step = 1;
  while ((img->width + step - 1) / step > max_texture_size ||
         (img->height + step - 1) / step > max_texture_size)
    step++;
  int tw = (img->width + step - 1) / step, th = (img->height + step - 1) / step;
  guint16 *buf = g_try_malloc((gsize)tw * th * 4 * sizeof(guint16));
  if (buf == NULL)
    return NULL;
  const int c = img->channels;
  const guint16 one = sr_float_to_half(1.0f);
  for (int y = 0; y < th; y++) {
    const float *row = sr_image_row(img, y * step);
    guint16 *o = buf + (gsize)y * tw * 4;
    for (int x = 0; x < tw; x++, o += 4) {
      const float *p = row + (gsize)x * step * c;
      if (c >= 3) {
        o[0] = display_half(p[0]);
        o[1] = display_half(p[1]);
        o[2] = display_half(p[2]);
        o[3] = c == 4 ? display_half(p[3]) : one;
      } else {
        o[0] = o[1] = o[2] = display_half(p[0]);
        o[3] = one;
      }
    }
  }
  HalfImage *h = g_new0(HalfImage, 1);
  h->frame = sr_frame_ref(frame);
  h->pixels = buf;
  h->tw = tw;
  h->th = th;
  return h;
}

static void
upload_half(SrViewer *self, GlImage *gi, const HalfImage *h)
{
  if (gi->id == 0)
    glGenTextures(1, &gi->id);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, gi->id);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 2);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA16F, h->tw, h->th, 0, GL_RGBA, GL_HALF_FLOAT, h->pixels);
  glGenerateMipmap(GL_TEXTURE_2D);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR_MIPMAP_LINEAR);
  const sr_image *img = sr_frame_get_image(h->frame);
  gi->width = img->width;
  gi->height = img->height;
  if (gi->shown != h->frame) {
    sr_frame_unref(gi->shown);
    gi->shown = sr_frame_ref(h->frame);
  }
  check_gl(self, "uploading a frame");
}

static void
convert_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SrViewer *self = source;
  if (g_task_return_error_if_cancelled(task))
    return;
  HalfImage *h = half_image_new(data, self->max_texture_size);
  if (h == NULL)
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
                            _("not enough memory to prepare a frame for display"));
  else
    g_task_return_pointer(task, h, (GDestroyNotify)half_image_free);
}

static void
convert_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrViewer *self = SR_VIEWER(source);
  int slot = GPOINTER_TO_INT(user_data);
  g_autoptr(GError) error = NULL;
  HalfImage *h = g_task_propagate_pointer(G_TASK(result), &error);
  SrFrame *job_frame = g_task_get_task_data(G_TASK(result));
  GlImage *gi = slot == 0 ? &self->gl_a : &self->gl_b;
  if (gi->converting == job_frame) {
    g_clear_pointer(&gi->converting, sr_frame_unref);
    g_clear_object(&gi->cancel);
  }
  if (h == NULL) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      report_gl_error(self, error->message);
    return;
  }
  SrFrame *want = slot == 0 ? self->frame_a : self->frame_b;
  if (h->frame != want || self->gl_area == NULL) {
    half_image_free(h);
    return;
  }
  half_image_free(gi->ready);
  gi->ready = h;
  gtk_widget_queue_draw(self->gl_area);
}

static void
cancel_conversion(GlImage *gi)
{
  if (gi->cancel != NULL)
    g_cancellable_cancel(gi->cancel);
  g_clear_object(&gi->cancel);
  g_clear_pointer(&gi->converting, sr_frame_unref);
}

/* Brings the texture of one slot up to date with the frame it should show.
 * While a big frame converts, the previous picture stays (as on a deck). */
static void
sync_slot(SrViewer *self, GlImage *gi, SrFrame *want, int slot)
{
  if (want == NULL) {
    cancel_conversion(gi);
    g_clear_pointer(&gi->ready, half_image_free);
    g_clear_pointer(&gi->shown, sr_frame_unref);
    gi->width = gi->height = 0;
    return;
  }
  if (gi->shown == want)
    return;
  if (gi->ready != NULL && gi->ready->frame == want) {
    upload_half(self, gi, gi->ready);
    g_clear_pointer(&gi->ready, half_image_free);
    return;
  }
  const sr_image *img = sr_frame_get_image(want);
  if ((gint64)img->width * img->height <= SYNC_CONVERT_PIXELS) {
    HalfImage *h = half_image_new(want, self->max_texture_size);
    if (h == NULL) {
      report_gl_error(self, "not enough memory to prepare a frame for display");
      return;
    }
    cancel_conversion(gi);
    upload_half(self, gi, h);
    half_image_free(h);
    return;
  }
  if (gi->converting == want)
    return;
  cancel_conversion(gi);
  gi->converting = sr_frame_ref(want);
  gi->cancel = g_cancellable_new();
  GTask *task = g_task_new(self, gi->cancel, convert_done, GINT_TO_POINTER(slot));
  g_task_set_task_data(task, sr_frame_ref(want), (GDestroyNotify)sr_frame_unref);
  g_task_run_in_thread(task, convert_thread);
  g_object_unref(task);
}

void
sr_viewer_release_slot(GlImage *gi)
{
  cancel_conversion(gi);
  g_clear_pointer(&gi->ready, half_image_free);
  g_clear_pointer(&gi->shown, sr_frame_unref);
  gi->width = gi->height = 0;
}

static void
upload_lut(SrViewer *self)
{
  self->lut_dirty = FALSE;
  if (self->lut == NULL)
    return;
  int n = self->lut->size;
  gsize count = (gsize)n * n * n;
  guint16 *buf = g_new(guint16, count * 4);
  const guint16 one = sr_float_to_half(1.0f);
  for (gsize i = 0; i < count; i++) {
    buf[i * 4 + 0] = sr_float_to_half(self->lut->table[i * 3 + 0]);
    buf[i * 4 + 1] = sr_float_to_half(self->lut->table[i * 3 + 1]);
    buf[i * 4 + 2] = sr_float_to_half(self->lut->table[i * 3 + 2]);
    buf[i * 4 + 3] = one;
  }
  if (self->lut_tex == 0)
    glGenTextures(1, &self->lut_tex);
  glBindTexture(GL_TEXTURE_3D, self->lut_tex);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 2);
  glTexImage3D(GL_TEXTURE_3D, 0, GL_RGBA16F, n, n, n, 0, GL_RGBA, GL_HALF_FLOAT, buf);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_R, GL_CLAMP_TO_EDGE);
  g_free(buf);
  check_gl(self, "uploading the display LUT");
}

/* Builds the GL resources; the area's context must be current. */
static void
gl_setup(SrViewer *self, GtkGLArea *area)
{
  GError *gl_error = gtk_gl_area_get_error(area);
  if (gl_error != NULL) {
    g_autofree char *r = g_strdup_printf("OpenGL is not available (%s)", gl_error->message);
    sr_viewer_switch_to_software(self, r);
    return;
  }
  GdkGLContext *ctx = gtk_gl_area_get_context(area);
  if (ctx == NULL) {
    sr_viewer_switch_to_software(self, "no OpenGL context could be created");
    return;
  }
  gboolean es = gdk_gl_context_get_use_es(ctx);
  int major = 0, minor = 0;
  gdk_gl_context_get_version(ctx, &major, &minor);
  if (es ? major < 3 : (major < 3 || (major == 3 && minor < 2))) {
    g_autofree char *r = g_strdup_printf("OpenGL%s %d.%d is older than the viewer needs "
                                         "(3.2, or ES 3.0)",
                                         es ? " ES" : "", major, minor);
    sr_viewer_switch_to_software(self, r);
    return;
  }
  while (glGetError() != GL_NO_ERROR)
    ;
  g_autoptr(GError) error = NULL;
  if (!build_program(self, es, &error)) {
    report_gl_error(self, error->message);
    g_autofree char *r = g_strdup_printf("the viewer's shaders failed (%s)", error->message);
    sr_viewer_switch_to_software(self, r);
    return;
  }
  glGenVertexArrays(1, &self->vao);
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &self->max_texture_size);
  if (self->max_texture_size < 1024)
    self->max_texture_size = 1024;
  g_clear_pointer(&self->gl_a.shown, sr_frame_unref);
  g_clear_pointer(&self->gl_b.shown, sr_frame_unref);
  self->lut_dirty = TRUE;
  if (!check_gl(self, "setting up the viewer")) {
    sr_viewer_switch_to_software(self, "OpenGL setup reported an error");
    return;
  }
  self->gl_ready = TRUE;
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_RENDERER]);
}

static void
gl_realize_cb(GtkGLArea *area, SrViewer *self)
{
  if (self->force_software) {
    sr_viewer_switch_to_software(self, "the software renderer was requested");
    return;
  }
  gtk_gl_area_make_current(area);
  gl_setup(self, area);
}

static void
gl_unrealize_cb(GtkGLArea *area, SrViewer *self)
{
  if (!self->gl_ready)
    return;
  gtk_gl_area_make_current(area);
  if (gtk_gl_area_get_error(area) == NULL) {
    if (self->gl_a.id)
      glDeleteTextures(1, &self->gl_a.id);
    if (self->gl_b.id)
      glDeleteTextures(1, &self->gl_b.id);
    if (self->lut_tex)
      glDeleteTextures(1, &self->lut_tex);
    if (self->vao)
      glDeleteVertexArrays(1, &self->vao);
    if (self->program)
      glDeleteProgram(self->program);
  }
  self->gl_a.id = self->gl_b.id = self->lut_tex = self->vao = self->program = 0;
  g_clear_pointer(&self->gl_a.shown, sr_frame_unref);
  g_clear_pointer(&self->gl_b.shown, sr_frame_unref);
  g_hash_table_remove_all(self->uniforms);
  self->gl_ready = FALSE;
}

static void
bind_image(SrViewer *self, GlImage *gi, int unit)
{
  glActiveTexture(GL_TEXTURE0 + unit);
  glBindTexture(GL_TEXTURE_2D, gi->id);
  /* Magnified pixels stay square from 2:1 up, as an inspection viewer should. */
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, self->zoom >= 2.0 ? GL_NEAREST : GL_LINEAR);
}

static gboolean
gl_render_cb(GtkGLArea *area, GdkGLContext *context, SrViewer *self)
{
  if (!self->gl_ready && !self->software)
    gl_setup(self, area);
  if (!self->gl_ready || self->software) {
    glClearColor(sr_viewer_surround[0], sr_viewer_surround[1], sr_viewer_surround[2], 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    return TRUE;
  }
  if (self->lut_dirty)
    upload_lut(self);
  sync_slot(self, &self->gl_a, self->frame_a, 0);
  sync_slot(self, &self->gl_b, self->frame_b, 1);

  int fb_w = gtk_widget_get_width(GTK_WIDGET(area)) * gtk_widget_get_scale_factor(GTK_WIDGET(area));
  int fb_h =
      gtk_widget_get_height(GTK_WIDGET(area)) * gtk_widget_get_scale_factor(GTK_WIDGET(area));
  glViewport(0, 0, fb_w, fb_h);
  glDisable(GL_BLEND);
  glDisable(GL_DEPTH_TEST);
  glClearColor(sr_viewer_surround[0], sr_viewer_surround[1], sr_viewer_surround[2], 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);

  glUseProgram(self->program);
  glBindVertexArray(self->vao);
  gboolean has_a = self->gl_a.shown != NULL && self->gl_a.width > 0;
  gboolean has_b = self->gl_b.shown != NULL && self->gl_b.width > 0;
  if (has_a)
    bind_image(self, &self->gl_a, 0);
  if (has_b)
    bind_image(self, &self->gl_b, 1);
  glActiveTexture(GL_TEXTURE2);
  glBindTexture(GL_TEXTURE_3D, self->lut_tex);

  int rw = 1, rh = 1;
  sr_viewer_reference_size(self, &rw, &rh);
  glUniform1i(uniform(self, "u_tex_a"), 0);
  glUniform1i(uniform(self, "u_tex_b"), 1);
  glUniform1i(uniform(self, "u_lut"), 2);
  glUniform1i(uniform(self, "u_has_a"), has_a);
  glUniform1i(uniform(self, "u_has_b"), has_b);
  glUniform2f(uniform(self, "u_size_a"), (float)MAX(self->gl_a.width, 1),
              (float)MAX(self->gl_a.height, 1));
  glUniform2f(uniform(self, "u_size_b"), (float)MAX(self->gl_b.width, 1),
              (float)MAX(self->gl_b.height, 1));
  glUniform1i(uniform(self, "u_mode"), (int)self->mode);
  glUniform1i(uniform(self, "u_wipe_vertical"), self->wipe == SR_VIEWER_WIPE_VERTICAL);
  glUniform1f(uniform(self, "u_wipe_pos"),
              (float)(self->wipe_position * (self->wipe == SR_VIEWER_WIPE_VERTICAL ? rw : rh)));
  glUniform1f(uniform(self, "u_gain"), (float)self->gain);
  glUniform1f(uniform(self, "u_exposure_gain"), (float)exp2(self->exposure));
  glUniform1i(uniform(self, "u_decode"), self->lut ? (int)self->lut->decode : 0);
  glUniform1f(uniform(self, "u_lut_size"), self->lut ? (float)self->lut->size : 2.0f);
  glUniform1f(uniform(self, "u_scale"), (float)gtk_widget_get_scale_factor(GTK_WIDGET(area)));
  glUniform1f(uniform(self, "u_fb_height"), (float)fb_h);
  glUniform1f(uniform(self, "u_pane_width"), (float)sr_viewer_pane_width(self));
  glUniform1f(uniform(self, "u_view_height"), (float)sr_viewer_view_height(self));
  glUniform1f(uniform(self, "u_zoom"), (float)self->zoom);
  glUniform2f(uniform(self, "u_pan"), (float)self->pan_x, (float)self->pan_y);
  glUniform3f(uniform(self, "u_background"), sr_viewer_surround[0], sr_viewer_surround[1],
              sr_viewer_surround[2]);

  glDrawArrays(GL_TRIANGLES, 0, 3);

  glBindVertexArray(0);
  glUseProgram(0);
#ifndef NDEBUG
  check_gl(self, "drawing the frame");
#endif
  return TRUE;
}

/* Hooks the GL area up to the renderer. */
void
sr_viewer_gl_init(SrViewer *self)
{
  g_signal_connect(self->gl_area, "realize", G_CALLBACK(gl_realize_cb), self);
  g_signal_connect(self->gl_area, "unrealize", G_CALLBACK(gl_unrealize_cb), self);
  g_signal_connect(self->gl_area, "render", G_CALLBACK(gl_render_cb), self);
}
