/* sr-page-train-form.c — the Train page's settings form: the presets, the
 * form's fields as page properties bound to the template's widgets, and
 * applying the form to the project. */
#include "sr-page-train-private.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-training.h"
#include "sr-ui-util.h"

/* ---- presets ------------------------------------------------------------------ */

typedef struct {
  const char *name;
  SrModelSize model;
  int patch, batch, steps, checkpoint_every, contact_sheet_every, warmup;
} Preset;

/* The guide: model M, 512 px patches (256 on a small crop), batch 3,
 * 40–80 k steps with a checkpoint every 10 k, warm-up then cosine decay. */
static const Preset presets[] = {
    {N_("Quick look"), SR_MODEL_SIZE_S, 256, 2, 5000, 1000, 100, 250},
    {N_("Standard (guide)"), SR_MODEL_SIZE_M, 512, 3, 40000, 10000, 100, 1000},
    {N_("Long"), SR_MODEL_SIZE_M, 512, 3, 80000, 10000, 200, 2000},
};
#define N_PRESETS G_N_ELEMENTS(presets)
#define PRESET_LR 2e-4

static const char *const backend_ids[] = {"auto", "cpu", "cuda"};
static const int standard_patches[] = {64, 128, 256, 512, 1024};

/* The patch the trainer will use for the project's crop. */
int
sr_page_train_fitted_patch(SrPageTrain *self, int patch, SrModelSize size)
{
  sr_rect crop;

  if (!sr_page_train_project_of(self))
    return patch;
  crop = sr_project_get_crop(sr_page_train_project_of(self));
  if (crop.w <= 0 || crop.h <= 0)
    return sr_training_fit_patch(patch, self->train_w, self->train_h, size);
  return sr_training_fit_patch(patch, crop.w, crop.h, size);
}

static void
preset_fill(SrPageTrain *self, const Preset *p, SrTrainingSettings *t)
{
  t->model_size = p->model;
  t->patch = sr_page_train_fitted_patch(self, p->patch, p->model);
  t->batch = p->batch;
  t->steps = p->steps;
  t->checkpoint_every = p->checkpoint_every;
  t->contact_sheet_every = p->contact_sheet_every;
  t->learning_rate = PRESET_LR;
  t->warmup_steps = p->warmup;
  t->cosine_decay = TRUE;
  t->flip = TRUE;
  t->exposure_jitter = FALSE;
  t->scale_jitter = FALSE;
}

/* Index of the preset the settings equal, or N_PRESETS ("Custom"). */
static guint
matching_preset(SrPageTrain *self, const SrTrainingSettings *t)
{
  SrTrainingSettings fitted = *t;
  fitted.patch = sr_page_train_fitted_patch(self, t->patch, t->model_size);
  for (guint i = 0; i < N_PRESETS; i++) {
    SrTrainingSettings p = *t;
    preset_fill(self, &presets[i], &p);
    if (memcmp(&p, &fitted, sizeof p) == 0)
      return i;
  }
  return N_PRESETS;
}

/* ---- settings form ------------------------------------------------------------- */

/* The form's fields. */
enum {
  PROP_0,
  PROP_MODEL_SIZE,
  PROP_BATCH,
  PROP_STEPS,
  PROP_CHECKPOINT_EVERY,
  PROP_SHEET_EVERY,
  PROP_WARMUP_STEPS,
  PROP_COSINE_DECAY,
  PROP_FLIP,
  PROP_EXPOSURE_JITTER,
  PROP_SCALE_JITTER,
  PROP_BACKEND,
  N_FORM_PROPS
};
#define FIRST_FORM_PROP PROP_MODEL_SIZE
static GParamSpec *properties[N_FORM_PROPS];

/* The form's fields are properties of the page, bound both ways to their
 * widgets in the template. An edit sets one field of self->form and applies
 * the whole form; a change of the project refills self->form and notifies
 * the fields that moved, which the bindings carry back to the widgets. A
 * field set to the value it holds changes nothing, so no guard is needed
 * against the widgets echoing what the project just said. */

static int
form_value(SrPageTrain *self, guint prop)
{
  const SrTrainingSettings *t = &self->form;

  switch (prop) {
  case PROP_MODEL_SIZE: return (int)CLAMP((guint)t->model_size, 0, 2);
  case PROP_BATCH: return t->batch;
  case PROP_STEPS: return t->steps;
  case PROP_CHECKPOINT_EVERY: return t->checkpoint_every;
  case PROP_SHEET_EVERY: return t->contact_sheet_every;
  case PROP_WARMUP_STEPS: return t->warmup_steps;
  case PROP_COSINE_DECAY: return !!t->cosine_decay;
  case PROP_FLIP: return !!t->flip;
  case PROP_EXPOSURE_JITTER: return !!t->exposure_jitter;
  case PROP_SCALE_JITTER: return !!t->scale_jitter;
  case PROP_BACKEND:
    for (guint i = 0; i < G_N_ELEMENTS(backend_ids); i++)
      if (strcmp(t->backend, backend_ids[i]) == 0)
        return (int)i;
    return 0;
  default: g_assert_not_reached();
  }
}

/* FALSE when the field already holds value. */
static gboolean
form_set(SrPageTrain *self, guint prop, int value)
{
  SrTrainingSettings *t = &self->form;

  if (form_value(self, prop) == value)
    return FALSE;
  switch (prop) {
  case PROP_MODEL_SIZE: t->model_size = (SrModelSize)value; break;
  case PROP_BATCH: t->batch = value; break;
  case PROP_STEPS: t->steps = value; break;
  case PROP_CHECKPOINT_EVERY: t->checkpoint_every = value; break;
  case PROP_SHEET_EVERY: t->contact_sheet_every = value; break;
  case PROP_WARMUP_STEPS: t->warmup_steps = value; break;
  case PROP_COSINE_DECAY: t->cosine_decay = value; break;
  case PROP_FLIP: t->flip = value; break;
  case PROP_EXPOSURE_JITTER: t->exposure_jitter = value; break;
  case PROP_SCALE_JITTER: t->scale_jitter = value; break;
  case PROP_BACKEND:
    g_strlcpy(t->backend, backend_ids[MIN((guint)value, 2u)], sizeof t->backend);
    break;
  default: g_assert_not_reached();
  }
  return TRUE;
}

static void
dropdown_sync(GtkWidget *dropdown, guint i)
{
  if (gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown)) != i)
    gtk_drop_down_set_selected(GTK_DROP_DOWN(dropdown), i);
}

static void on_patch_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrPageTrain *self);

/* Lists the standard patch sizes that fit the crop (sr_training_fit_patch
 * keeps them) plus the current one, so the current value is always one of
 * the choices and no patch larger than the crop is offered. Replacing the
 * list moves the selection, which is no choice of the archivist's: the
 * handler is held off meanwhile. */
static void
update_patch_model(SrPageTrain *self, int current)
{
  g_autoptr(GArray) values = g_array_new(FALSE, FALSE, sizeof(int));
  guint at = 0;

  for (guint i = 0; i < G_N_ELEMENTS(standard_patches); i++)
    if (sr_page_train_fitted_patch(self, standard_patches[i], self->form.model_size) ==
        standard_patches[i])
      g_array_append_val(values, standard_patches[i]);
  while (at < values->len && g_array_index(values, int, at) < current)
    at++;
  if (at == values->len || g_array_index(values, int, at) != current)
    g_array_insert_val(values, at, current);
  if (values->len == self->patch_values->len &&
      memcmp(values->data, self->patch_values->data, values->len * sizeof(int)) == 0 &&
      gtk_drop_down_get_model(GTK_DROP_DOWN(self->patch))) {
    dropdown_sync(self->patch, at);
    return;
  }
  g_array_set_size(self->patch_values, 0);
  g_array_append_vals(self->patch_values, values->data, values->len);
  GtkStringList *list = gtk_string_list_new(NULL);
  for (guint i = 0; i < self->patch_values->len; i++) {
    g_autofree char *text = g_strdup_printf(_("%d px"), g_array_index(self->patch_values, int, i));
    gtk_string_list_append(list, text);
  }
  g_signal_handlers_block_by_func(self->patch, on_patch_selected, self);
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->patch), G_LIST_MODEL(list));
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->patch), at);
  g_signal_handlers_unblock_by_func(self->patch, on_patch_selected, self);
  g_object_unref(list);
}

/* One line under the backend choice: what it resolves to on this machine. */
void
sr_page_train_update_backend_info(SrPageTrain *self)
{
  const char *backend = self->form.backend;
  const sr_device_info *cpu = NULL, *gpu = NULL;
  g_autofree char *text = NULL;

  if (!self->devices_known) {
    gtk_label_set_text(GTK_LABEL(self->backend_info), _("Looking for devices…"));
    return;
  }
  for (size_t i = 0; i < self->n_devices; i++) {
    if (!cpu && strcmp(self->devices[i].backend, "cpu") == 0)
      cpu = &self->devices[i];
    if (!gpu && strcmp(self->devices[i].backend, "cuda") == 0)
      gpu = &self->devices[i];
  }
  g_autofree char *cpu_text =
      cpu ? g_strdup_printf(_("CPU: %s, %d threads"), cpu->name, cpu->threads) : g_strdup(_("CPU"));
  g_autofree char *gpu_text =
      gpu ? g_strdup_printf(_("GPU: %s, %.0f GB"), gpu->name, (double)gpu->memory / 1e9) : NULL;
  const char *reason = self->cuda_reason[0] ? self->cuda_reason : _("no CUDA device");

  if (strcmp(backend, "cpu") == 0)
    text = g_strdup_printf(_("Runs on the %s"), cpu_text);
  else if (gpu_text)
    text = g_strdup_printf(_("Runs on the %s"), gpu_text);
  else if (strcmp(backend, "cuda") == 0)
    text = g_strdup_printf(_("Will fail: %s. Choose Automatic or CPU."), reason);
  else
    text = g_strdup_printf(_("Runs on the %s (%s)"), cpu_text, reason);
  gtk_label_set_text(GTK_LABEL(self->backend_info), text);
  sr_ui_set_class(self->backend_info, "field-error", strcmp(backend, "cuda") == 0 && gpu == NULL);
}

/* Fills the form from the project's settings. */
void
sr_page_train_sync_settings(SrPageTrain *self)
{
  SrProject *project = sr_page_train_project_of(self);
  SrTrainingSettings t;
  int before[N_FORM_PROPS];
  char lr[32];

  if (!project)
    return;
  sr_project_get_training(project, &t);
  for (guint p = FIRST_FORM_PROP; p < N_FORM_PROPS; p++)
    before[p] = form_value(self, p);
  self->form = t;
  for (guint p = FIRST_FORM_PROP; p < N_FORM_PROPS; p++)
    if (form_value(self, p) != before[p])
      g_object_notify_by_pspec(G_OBJECT(self), properties[p]);
  dropdown_sync(self->preset, matching_preset(self, &t));
  /* What the run will use: the settings' patch fitted to the crop. */
  update_patch_model(self, sr_page_train_fitted_patch(self, t.patch, t.model_size));
  g_snprintf(lr, sizeof lr, "%g", t.learning_rate);
  if (!gtk_widget_has_css_class(self->lr, "error"))
    sr_ui_editable_sync(GTK_EDITABLE(self->lr), lr);
  sr_page_train_update_backend_info(self);
}

void
sr_page_train_show_settings_message(SrPageTrain *self, const char *message)
{
  gtk_label_set_text(GTK_LABEL(self->settings_message), message ? message : "");
  gtk_widget_set_visible(self->settings_message, message != NULL);
}

/* The form as settings; FALSE (with the message shown) when a field is
 * refused. */
static gboolean
read_form(SrPageTrain *self, SrTrainingSettings *t)
{
  g_autofree char *lr_text = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->lr))));
  char *end = NULL;

  *t = self->form;
  double lr = g_ascii_strtod(lr_text, &end);
  gboolean lr_ok = end != lr_text && *end == '\0' && lr > 0 && lr <= 1;
  sr_ui_set_class(self->lr, "error", !lr_ok);
  if (!lr_ok) {
    g_autofree char *msg = g_strdup_printf(
        _("Learning rate “%s” is not a number in (0, 1], e.g. 2e-4; the last valid value is "
          "kept."),
        lr_text);
    sr_page_train_show_settings_message(self, msg);
    return FALSE;
  }
  t->learning_rate = lr;
  if (t->warmup_steps >= t->steps) {
    g_autofree char *msg =
        g_strdup_printf(_("The warm-up (%d steps) must be shorter than the run (%d steps); "
                          "the last valid settings are kept."),
                        t->warmup_steps, t->steps);
    sr_page_train_show_settings_message(self, msg);
    return FALSE;
  }
  return TRUE;
}

static void
apply_form(SrPageTrain *self)
{
  SrProject *project = sr_page_train_project_of(self);
  SrTrainingSettings t;
  g_autoptr(GError) error = NULL;

  if (!project || !read_form(self, &t))
    return;
  if (!sr_project_set_training(project, &t, &error)) {
    sr_page_train_show_settings_message(self, error->message);
    return;
  }
  sr_page_train_show_settings_message(self, NULL);
  sr_page_train_sync_settings(self);
}

static void
on_patch_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrPageTrain *self)
{
  guint i = gtk_drop_down_get_selected(dropdown);

  if (i >= self->patch_values->len || g_array_index(self->patch_values, int, i) == self->form.patch)
    return;
  self->form.patch = g_array_index(self->patch_values, int, i);
  apply_form(self);
}

static void
on_lr_activate(GtkEntry *entry, SrPageTrain *self)
{
  apply_form(self);
}

static void
on_lr_focus_leave(GtkEventControllerFocus *focus, SrPageTrain *self)
{
  apply_form(self);
}

/* A preset replaces the fields it names. Choosing the preset the settings
 * already match (as the sync does) changes nothing. */
static void
on_preset_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrPageTrain *self)
{
  SrProject *project = sr_page_train_project_of(self);
  guint i = gtk_drop_down_get_selected(dropdown);
  SrTrainingSettings t;
  g_autoptr(GError) error = NULL;

  if (!project || i >= N_PRESETS)
    return;
  sr_project_get_training(project, &t);
  preset_fill(self, &presets[i], &t);
  sr_ui_set_class(self->lr, "error", FALSE);
  if (!sr_project_set_training(project, &t, &error)) {
    sr_page_train_show_settings_message(self, error->message);
    return;
  }
  sr_page_train_show_settings_message(self, NULL);
  sr_page_train_sync_settings(self);
}

/* The settings can be edited while a project is open and nothing trains. */
static gboolean
settings_editable(gpointer page, gboolean busy, SrProject *project)
{
  return !busy && project != NULL;
}

static void
sr_page_train_get_form_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);

  if (id < FIRST_FORM_PROP || id >= N_FORM_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  if (G_PARAM_SPEC_VALUE_TYPE(pspec) == G_TYPE_BOOLEAN)
    g_value_set_boolean(value, form_value(self, id));
  else if (G_PARAM_SPEC_VALUE_TYPE(pspec) == G_TYPE_UINT)
    g_value_set_uint(value, (guint)form_value(self, id));
  else
    g_value_set_int(value, form_value(self, id));
}

static void
sr_page_train_set_form_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);
  int v;

  if (id < FIRST_FORM_PROP || id >= N_FORM_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  if (G_PARAM_SPEC_VALUE_TYPE(pspec) == G_TYPE_BOOLEAN)
    v = g_value_get_boolean(value);
  else if (G_PARAM_SPEC_VALUE_TYPE(pspec) == G_TYPE_UINT)
    v = (int)g_value_get_uint(value);
  else
    v = g_value_get_int(value);
  if (!form_set(self, id, v))
    return;
  if (id == PROP_BACKEND)
    sr_page_train_update_backend_info(self);
  apply_form(self);
}

/* The form's properties and template callbacks (after the template is set). */
void
sr_page_train_form_class_init(GObjectClass *object_class)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(object_class);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = sr_page_train_get_form_property;
  object_class->set_property = sr_page_train_set_form_property;
  properties[PROP_MODEL_SIZE] = g_param_spec_uint("model-size", NULL, NULL, 0, 2, 0, flags);
  properties[PROP_BATCH] = g_param_spec_int("batch", NULL, NULL, 1, 64, 1, flags);
  properties[PROP_STEPS] = g_param_spec_int("steps", NULL, NULL, 1, MAX_STEPS, 1, flags);
  properties[PROP_CHECKPOINT_EVERY] =
      g_param_spec_int("checkpoint-every", NULL, NULL, 1, MAX_STEPS, 1, flags);
  properties[PROP_SHEET_EVERY] =
      g_param_spec_int("sheet-every", NULL, NULL, 0, MAX_STEPS, 0, flags);
  properties[PROP_WARMUP_STEPS] =
      g_param_spec_int("warmup-steps", NULL, NULL, 0, MAX_STEPS, 0, flags);
  properties[PROP_COSINE_DECAY] = g_param_spec_boolean("cosine-decay", NULL, NULL, FALSE, flags);
  properties[PROP_FLIP] = g_param_spec_boolean("flip", NULL, NULL, FALSE, flags);
  properties[PROP_EXPOSURE_JITTER] =
      g_param_spec_boolean("exposure-jitter", NULL, NULL, FALSE, flags);
  properties[PROP_SCALE_JITTER] = g_param_spec_boolean("scale-jitter", NULL, NULL, FALSE, flags);
  properties[PROP_BACKEND] = g_param_spec_uint("backend", NULL, NULL, 0, 2, 0, flags);
  g_object_class_install_properties(object_class, N_FORM_PROPS, properties);

  gtk_widget_class_bind_template_callback(widget_class, on_preset_selected);
  gtk_widget_class_bind_template_callback(widget_class, on_patch_selected);
  gtk_widget_class_bind_template_callback(widget_class, on_lr_activate);
  gtk_widget_class_bind_template_callback(widget_class, on_lr_focus_leave);
  gtk_widget_class_bind_template_callback(widget_class, settings_editable);
}

/* The widgets' starting values, as the template's spin buttons hold them. */
void
sr_page_train_form_init(SrPageTrain *self)
{
  self->form.batch = 1;
  self->form.steps = 1;
  self->form.checkpoint_every = 1;
  g_strlcpy(self->form.backend, backend_ids[0], sizeof self->form.backend);
  self->patch_values = g_array_new(FALSE, FALSE, sizeof(int));
}

/* The preset names come from the one list of presets. */
void
sr_page_train_form_setup(SrPageTrain *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new(NULL);

  for (guint i = 0; i < N_PRESETS; i++)
    gtk_string_list_append(names, _(presets[i].name));
  gtk_string_list_append(names, _("Custom"));
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->preset), G_LIST_MODEL(names));
}
