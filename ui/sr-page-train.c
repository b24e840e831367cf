/* sr-page-train.c — see sr-page-train.h. */
#include "sr-page-train.h"

#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <glib/gi18n.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-io.h"
#include "sr-train-gallery.h"
#include "sr-train.h"
#include "sr-ui-util.h"
#include "sr-window.h"

#define MAX_STEPS   100000000
#define MAX_DEVICES 16
/* Settings edits are measured once typing has paused this long. */
#define ESTIMATE_DEBOUNCE_MS 600
/* The measurement times steps until this much time has passed (after one
 * untimed step that pays for primitive creation and first-touch memory). */
#define ESTIMATE_SECONDS   1.0
#define ESTIMATE_MAX_STEPS 6
/* A first step at least this long is the measurement by itself. */
#define ESTIMATE_SLOW_STEP 2.0

typedef struct {
  gint64 step;
  double loss, loss_avg, lr;
} LossPoint;

typedef struct {
  gint64 step;
  double loss_avg, psnr_before, psnr_after;
  char *path;
  char model_id[65];
} CkptRow;

/* A file the worker wrote (contact sheet or preview) and its step. */
typedef struct {
  gint64 step;
  char *path;
} StepFile;

static void
ckpt_row_clear(gpointer p)
{
  g_free(((CkptRow *)p)->path);
}

static void
step_file_clear(gpointer p)
{
  g_free(((StepFile *)p)->path);
}

static GArray *
ckpt_array_new(void)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(CkptRow));
  g_array_set_clear_func(a, ckpt_row_clear);
  return a;
}

static GArray *
step_file_array_new(void)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(StepFile));
  g_array_set_clear_func(a, step_file_clear);
  return a;
}

/* ---- compute at a lower priority ------------------------------------------------- */

typedef gboolean (*NicedFunc)(gpointer data);

typedef struct {
  NicedFunc func;
  gpointer data;
} Niced;

static gpointer
niced_main(gpointer p)
{
  Niced *n = p;
#ifdef __linux__
  /* A Linux thread id names one thread, and the compute threads this one
   * starts inherit its nice value: training yields the cores to the window
   * (and its renderer) whenever they want them, and still takes all of them
   * otherwise. A fresh thread, because an unprivileged process cannot raise
   * a pool thread's priority back afterwards. */
  setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
  return GINT_TO_POINTER(n->func(n->data));
}

static gboolean
run_niced(const char *name, NicedFunc func, gpointer data)
{
  Niced n = {func, data};
  return GPOINTER_TO_INT(g_thread_join(g_thread_new(name, niced_main, &n)));
}

/* Shared between the worker (appends) and the page (drains on a timer):
 * the page swaps each pending array for an empty one, so the time the lock
 * is held does not grow with the length of the run. Both hold a reference. */
typedef struct {
  GMutex lock;
  GArray *points;   /* of LossPoint, pending */
  GArray *ckpts;    /* of CkptRow, pending */
  GArray *sheets;   /* of StepFile, pending */
  GArray *previews; /* of StepFile, pending */
  double steps_per_second, eta;
  gint64 step, steps;
  atomic_bool pause;
} TrainLog;

static TrainLog *
train_log_new(void)
{
  TrainLog *l = g_atomic_rc_box_new0(TrainLog);
  g_mutex_init(&l->lock);
  l->points = g_array_new(FALSE, FALSE, sizeof(LossPoint));
  l->ckpts = ckpt_array_new();
  l->sheets = step_file_array_new();
  l->previews = step_file_array_new();
  atomic_init(&l->pause, false);
  return l;
}

static void
train_log_clear(gpointer p)
{
  TrainLog *l = p;
  g_array_unref(l->points);
  g_array_unref(l->ckpts);
  g_array_unref(l->sheets);
  g_array_unref(l->previews);
  g_mutex_clear(&l->lock);
}

static void
train_log_unref(gpointer p)
{
  g_atomic_rc_box_release_full(p, train_log_clear);
}

typedef struct {
  TrainLog *log;
  sr_train_config cfg;
  char *source, *reference, *out_dir, *resume;
  sr_frame_map map; /* which Reference frame each pair uses */
  int preview;
  GArray *pairs, *held;
  sr_prep_settings prep;
  sr_train_result result;
} TrainJob;

static void
train_job_free(gpointer p)
{
  TrainJob *j = p;
  train_log_unref(j->log);
  g_free(j->source);
  g_free(j->reference);
  g_free(j->out_dir);
  g_free(j->resume);
  g_array_unref(j->pairs);
  g_array_unref(j->held);
  sr_frame_map_clear(&j->map);
  g_free(j);
}

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

/* ---- the page ------------------------------------------------------------------ */

struct _SrPageTrain {
  GtkBox parent_instance;

  GtkWidget *settings_grid, *settings_message, *settings_card;
  GtkWidget *estimate_spinner, *estimate_label;
  GtkWidget *facts_data;
  GtkWidget *controls, *view_stack, *ckpt_list, *ckpt_caption, *ckpt_scroller;

  GtkWidget *preset, *model, *patch, *batch, *steps, *ckpt_every, *sheet_every;
  GtkWidget *lr, *warmup, *cosine, *flip, *exposure, *scale, *backend, *backend_info;
  GtkWidget *start_button, *pause_button, *stop_button, *status_label;
  GtkWidget *plot, *gallery;
  GPtrArray *resume_buttons;

  SrProject *project;
  gulong changed_handler;
  gboolean syncing;
  GArray *patch_values; /* of int: what the patch drop-down lists */

  /* Devices, listed once off the main loop. */
  sr_device_info devices[MAX_DEVICES];
  size_t n_devices;
  char cuda_reason[256];
  gboolean devices_known;
  GCancellable *devices_cancel;

  /* Estimate. */
  guint estimate_timeout;
  guint estimate_generation;
  GCancellable *estimate_cancel;
  double seconds_per_step;
  char estimate_backend[16];
  gboolean estimate_wanted; /* settings changed while the page was hidden */

  /* Checkpoints already on disk. */
  char *scanned_key;
  guint scan_generation;
  GCancellable *scan_cancel;

  /* Run. */
  SrJob *job;
  TrainLog *log;
  guint poll_id;
  gint64 run_steps;
  char *status_text;

  /* Main-thread copies the plot and list draw from. */
  GArray *points; /* of LossPoint */
  GArray *rows;   /* of CkptRow, newest first */
  double loss_lo, loss_hi, lr_hi;
};

G_DEFINE_FINAL_TYPE(SrPageTrain, sr_page_train, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void schedule_estimate(SrPageTrain *self);
static void rebuild_rows(SrPageTrain *self);

/* "1001, 1012, 1030" or "none". */
static char *
frames_text(const GArray *frames)
{
  GString *s = g_string_new(NULL);

  for (guint i = 0; i < frames->len; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(frames, int, i));
  if (frames->len == 0)
    g_string_append(s, _("none"));
  return g_string_free(s, FALSE);
}

/* "about 2 h 10 min" for a duration in seconds. */
static char *
duration_text(double seconds)
{
  if (!(seconds >= 0) || seconds > 1e9)
    return g_strdup(_("unknown"));
  if (seconds < 60)
    return g_strdup(_("under a minute"));
  long minutes = lround(seconds / 60);
  if (minutes < 60)
    return g_strdup_printf(_("about %ld min"), minutes);
  long hours = minutes / 60;
  if (hours < 48)
    return g_strdup_printf(_("about %ld h %02ld min"), hours, minutes % 60);
  return g_strdup_printf(_("about %ld days %ld h"), hours / 24, hours % 24);
}

static gboolean
is_running(SrPageTrain *self)
{
  return self->job && sr_job_get_state(self->job) <= SR_JOB_STATE_PAUSED;
}

/* The patch the trainer will use: halved until it fits the crop. */
static int
fitted_patch(SrPageTrain *self, int patch, SrModelSize size)
{
  sr_prep_settings prep;
  int mult = sr_unet_size_multiple((sr_unet_size)size);

  if (!self->project)
    return patch;
  sr_project_get_prep_settings(self->project, &prep);
  if (prep.crop.w <= 0 || prep.crop.h <= 0)
    return patch;
  while (patch > mult && patch > 64 && (patch > prep.crop.w || patch > prep.crop.h))
    patch /= 2;
  return patch;
}

static void
preset_fill(SrPageTrain *self, const Preset *p, SrTrainingSettings *t)
{
  t->model_size = p->model;
  t->patch = fitted_patch(self, p->patch, p->model);
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
  for (guint i = 0; i < N_PRESETS; i++) {
    SrTrainingSettings p = *t;
    preset_fill(self, &presets[i], &p);
    if (memcmp(&p, t, sizeof p) == 0)
      return i;
  }
  return N_PRESETS;
}

/* ---- settings form ------------------------------------------------------------- */

static void
dropdown_sync(GtkWidget *dropdown, guint i)
{
  if (gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown)) != i)
    gtk_drop_down_set_selected(GTK_DROP_DOWN(dropdown), i);
}

/* Lists the standard patch sizes plus any other size the settings have held
 * (a small crop's), so the current value is always one of the choices. The
 * model is only replaced when a size is added: never from the drop-down's
 * own selection change. */
static void
update_patch_model(SrPageTrain *self, int current)
{
  guint at = 0;

  if (self->patch_values->len == 0)
    g_array_append_vals(self->patch_values, standard_patches, G_N_ELEMENTS(standard_patches));
  while (at < self->patch_values->len && g_array_index(self->patch_values, int, at) < current)
    at++;
  if (at < self->patch_values->len && g_array_index(self->patch_values, int, at) == current &&
      gtk_drop_down_get_model(GTK_DROP_DOWN(self->patch))) {
    dropdown_sync(self->patch, at);
    return;
  }
  if (at == self->patch_values->len || g_array_index(self->patch_values, int, at) != current)
    g_array_insert_val(self->patch_values, at, current);
  GtkStringList *list = gtk_string_list_new(NULL);
  for (guint i = 0; i < self->patch_values->len; i++) {
    g_autofree char *text = g_strdup_printf(_("%d px"), g_array_index(self->patch_values, int, i));
    gtk_string_list_append(list, text);
  }
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->patch), G_LIST_MODEL(list));
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->patch), at);
  g_object_unref(list);
}

static void
spin_sync(GtkWidget *spin, double value)
{
  if (gtk_spin_button_get_value(GTK_SPIN_BUTTON(spin)) != value)
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(spin), value);
}

static void
check_sync(GtkWidget *check, gboolean on)
{
  if (gtk_check_button_get_active(GTK_CHECK_BUTTON(check)) != !!on)
    gtk_check_button_set_active(GTK_CHECK_BUTTON(check), on);
}

/* One line under the backend choice: what it resolves to on this machine. */
static void
update_backend_info(SrPageTrain *self, const char *backend)
{
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

static void
sync_settings(SrPageTrain *self)
{
  SrTrainingSettings t;
  char lr[32];

  if (!self->project)
    return;
  sr_project_get_training(self->project, &t);
  self->syncing = TRUE;
  dropdown_sync(self->preset, matching_preset(self, &t));
  dropdown_sync(self->model, CLAMP((guint)t.model_size, 0, 2));
  update_patch_model(self, t.patch);
  spin_sync(self->batch, t.batch);
  spin_sync(self->steps, t.steps);
  spin_sync(self->ckpt_every, t.checkpoint_every);
  spin_sync(self->sheet_every, t.contact_sheet_every);
  g_snprintf(lr, sizeof lr, "%g", t.learning_rate);
  if (!gtk_widget_has_css_class(self->lr, "error"))
    sr_ui_editable_sync(GTK_EDITABLE(self->lr), lr);
  spin_sync(self->warmup, t.warmup_steps);
  check_sync(self->cosine, t.cosine_decay);
  check_sync(self->flip, t.flip);
  check_sync(self->exposure, t.exposure_jitter);
  check_sync(self->scale, t.scale_jitter);
  for (guint i = 0; i < G_N_ELEMENTS(backend_ids); i++)
    if (strcmp(t.backend, backend_ids[i]) == 0)
      dropdown_sync(self->backend, i);
  update_backend_info(self, t.backend);
  self->syncing = FALSE;
}

static void
show_settings_message(SrPageTrain *self, const char *message)
{
  gtk_label_set_text(GTK_LABEL(self->settings_message), message ? message : "");
  gtk_widget_set_visible(self->settings_message, message != NULL);
}

/* Reads the form; FALSE (with the message shown) when a field is refused. */
static gboolean
read_form(SrPageTrain *self, SrTrainingSettings *t)
{
  g_autofree char *lr_text = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->lr))));
  char *end = NULL;
  guint patch_i = gtk_drop_down_get_selected(GTK_DROP_DOWN(self->patch));

  sr_project_get_training(self->project, t);
  t->model_size = (SrModelSize)MIN(gtk_drop_down_get_selected(GTK_DROP_DOWN(self->model)), 2u);
  if (patch_i < self->patch_values->len)
    t->patch = g_array_index(self->patch_values, int, patch_i);
  t->batch = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->batch));
  t->steps = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->steps));
  t->checkpoint_every = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->ckpt_every));
  t->contact_sheet_every = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->sheet_every));
  t->warmup_steps = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->warmup));
  t->cosine_decay = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->cosine));
  t->flip = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->flip));
  t->exposure_jitter = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->exposure));
  t->scale_jitter = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->scale));
  guint b = gtk_drop_down_get_selected(GTK_DROP_DOWN(self->backend));
  g_strlcpy(t->backend, backend_ids[MIN(b, 2u)], sizeof t->backend);

  double lr = g_ascii_strtod(lr_text, &end);
  gboolean lr_ok = end != lr_text && *end == '\0' && lr > 0 && lr <= 1;
  sr_ui_set_class(self->lr, "error", !lr_ok);
  if (!lr_ok) {
    g_autofree char *msg = g_strdup_printf(
        _("Learning rate “%s” is not a number in (0, 1], e.g. 2e-4; the last valid value is "
          "kept."),
        lr_text);
    show_settings_message(self, msg);
    return FALSE;
  }
  t->learning_rate = lr;
  if (t->warmup_steps >= t->steps) {
    g_autofree char *msg =
        g_strdup_printf(_("The warm-up (%d steps) must be shorter than the run (%d steps); "
                          "the last valid settings are kept."),
                        t->warmup_steps, t->steps);
    show_settings_message(self, msg);
    return FALSE;
  }
  return TRUE;
}

static void
apply_form(SrPageTrain *self)
{
  SrTrainingSettings t;
  g_autoptr(GError) error = NULL;

  if (self->syncing || !self->project)
    return;
  if (!read_form(self, &t))
    return;
  if (!sr_project_set_training(self->project, &t, &error)) {
    show_settings_message(self, error->message);
    return;
  }
  show_settings_message(self, NULL);
  sync_settings(self);
}

static void
on_form_changed(GObject *widget, GParamSpec *pspec, SrPageTrain *self)
{
  apply_form(self);
}

static void
on_spin_changed(GtkSpinButton *spin, SrPageTrain *self)
{
  apply_form(self);
}

static void
on_check_toggled(GtkCheckButton *check, SrPageTrain *self)
{
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

static void
on_preset_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrPageTrain *self)
{
  guint i = gtk_drop_down_get_selected(dropdown);
  SrTrainingSettings t;
  g_autoptr(GError) error = NULL;

  if (self->syncing || !self->project || i >= N_PRESETS)
    return;
  sr_project_get_training(self->project, &t);
  preset_fill(self, &presets[i], &t);
  sr_ui_set_class(self->lr, "error", FALSE);
  if (!sr_project_set_training(self->project, &t, &error)) {
    show_settings_message(self, error->message);
    return;
  }
  show_settings_message(self, NULL);
  sync_settings(self);
}

static GtkWidget *
add_row(SrPageTrain *self, int row, const char *label, GtkWidget *widget, const char *name)
{
  GtkWidget *l = gtk_label_new(label);

  gtk_label_set_xalign(GTK_LABEL(l), 1);
  gtk_widget_set_valign(l, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class(l, "dim-label");
  gtk_widget_set_hexpand(widget, TRUE);
  gtk_widget_set_name(widget, name);
  gtk_grid_attach(GTK_GRID(self->settings_grid), l, 0, row, 1, 1);
  gtk_grid_attach(GTK_GRID(self->settings_grid), widget, 1, row, 1, 1);
  return widget;
}

static GtkWidget *
spin_new(SrPageTrain *self, double lo, double hi, double step)
{
  GtkWidget *spin = gtk_spin_button_new_with_range(lo, hi, step);
  gtk_spin_button_set_numeric(GTK_SPIN_BUTTON(spin), TRUE);
  gtk_editable_set_width_chars(GTK_EDITABLE(spin), 7);
  g_signal_connect(spin, "value-changed", G_CALLBACK(on_spin_changed), self);
  return spin;
}

static GtkWidget *
check_new(SrPageTrain *self, const char *label)
{
  GtkWidget *check = gtk_check_button_new_with_label(label);
  g_signal_connect(check, "toggled", G_CALLBACK(on_check_toggled), self);
  return check;
}

static GtkWidget *
dropdown_new(const char *const *items)
{
  return gtk_drop_down_new_from_strings(items);
}

static void
build_settings(SrPageTrain *self)
{
  const char *preset_names[N_PRESETS + 2];
  const char *models[] = {_("S · 16 channels"), _("M · 32 channels"), _("L · 64 channels"), NULL};
  const char *backends[] = {_("Automatic"), _("CPU"), _("CUDA GPU"), NULL};
  int r = 0;

  for (guint i = 0; i < N_PRESETS; i++)
    preset_names[i] = _(presets[i].name);
  preset_names[N_PRESETS] = _("Custom");
  preset_names[N_PRESETS + 1] = NULL;

  self->preset = add_row(self, r++, _("Preset"), dropdown_new(preset_names), "train-preset");
  self->model = add_row(self, r++, _("Model"), dropdown_new(models), "train-model");
  gtk_widget_set_tooltip_text(self->model, _("U-Net width at full resolution; S has 3 levels, "
                                             "M and L 4. The guide trains M."));
  self->patch = add_row(self, r++, _("Patch"), gtk_drop_down_new(NULL, NULL), "train-patch");
  self->batch = add_row(self, r++, _("Batch"), spin_new(self, 1, 64, 1), "train-batch");
  self->steps = add_row(self, r++, _("Steps"), spin_new(self, 1, MAX_STEPS, 1000), "train-steps");
  self->ckpt_every = add_row(self, r++, _("Checkpoints every"), spin_new(self, 1, MAX_STEPS, 1000),
                             "train-checkpoint-every");
  self->sheet_every =
      add_row(self, r++, _("Sheets every"), spin_new(self, 0, MAX_STEPS, 50), "train-sheet-every");
  gtk_widget_set_tooltip_text(self->sheet_every, _("Steps between contact sheets; 0 = none"));
  gtk_widget_set_tooltip_text(self->ckpt_every, _("Steps between checkpoints; the last step "
                                                  "always gets one"));
  self->lr = add_row(self, r++, _("Learning rate"), gtk_entry_new(), "train-lr");
  gtk_editable_set_width_chars(GTK_EDITABLE(self->lr), 8);
  g_signal_connect(self->lr, "activate", G_CALLBACK(on_lr_activate), self);
  GtkEventController *focus = gtk_event_controller_focus_new();
  g_signal_connect(focus, "leave", G_CALLBACK(on_lr_focus_leave), self);
  gtk_widget_add_controller(self->lr, focus);
  self->warmup =
      add_row(self, r++, _("Warm-up steps"), spin_new(self, 0, MAX_STEPS, 100), "train-warmup");
  self->cosine =
      add_row(self, r++, _("Schedule"), check_new(self, _("Cosine decay")), "train-cosine");

  GtkWidget *aug = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  self->flip = check_new(self, _("Horizontal flip"));
  self->exposure = check_new(self, _("Exposure jitter ±10 %"));
  self->scale = check_new(self, _("Scale jitter ±5 %"));
  gtk_widget_set_name(self->flip, "train-flip");
  gtk_widget_set_name(self->exposure, "train-exposure");
  gtk_widget_set_name(self->scale, "train-scale");
  gtk_box_append(GTK_BOX(aug), self->flip);
  gtk_box_append(GTK_BOX(aug), self->exposure);
  gtk_box_append(GTK_BOX(aug), self->scale);
  add_row(self, r++, _("Augmentation"), aug, "train-augmentation");
  GtkWidget *aug_label = gtk_grid_get_child_at(GTK_GRID(self->settings_grid), 0, r - 1);
  gtk_widget_set_valign(aug_label, GTK_ALIGN_START);
  gtk_widget_set_margin_top(aug_label, 6);

  self->backend = add_row(self, r++, _("Backend"), dropdown_new(backends), "train-backend");
  self->backend_info = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(self->backend_info), 0);
  gtk_label_set_wrap(GTK_LABEL(self->backend_info), TRUE);
  gtk_widget_add_css_class(self->backend_info, "dim-label");
  gtk_widget_add_css_class(self->backend_info, "caption");
  gtk_widget_set_name(self->backend_info, "train-backend-info");
  gtk_grid_attach(GTK_GRID(self->settings_grid), self->backend_info, 1, r++, 1, 1);

  g_signal_connect(self->preset, "notify::selected", G_CALLBACK(on_preset_selected), self);
  g_signal_connect(self->model, "notify::selected", G_CALLBACK(on_form_changed), self);
  g_signal_connect(self->patch, "notify::selected", G_CALLBACK(on_form_changed), self);
  g_signal_connect(self->backend, "notify::selected", G_CALLBACK(on_form_changed), self);
  gtk_widget_set_name(self->estimate_label, "train-estimate");
  gtk_widget_set_name(self->settings_message, "train-settings-message");
}

/* ---- devices (listed once, off the main loop) ----------------------------------- */

typedef struct {
  sr_device_info devices[MAX_DEVICES];
  size_t n;
  char reason[256];
} DeviceList;

static void
devices_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  DeviceList *d = data;
  sr_error err = {0};

  if (!sr_backend_list_devices(d->devices, MAX_DEVICES, &d->n, d->reason, sizeof d->reason, &err)) {
    d->n = 0;
    g_strlcpy(d->reason, err.message, sizeof d->reason);
  }
  g_task_return_boolean(task, TRUE);
}

static void
on_devices_listed(GObject *source, GAsyncResult *res, gpointer user)
{
  GTask *task = G_TASK(res);

  if (!g_task_propagate_boolean(task, NULL) || g_task_had_error(task))
    return;
  if (g_cancellable_is_cancelled(g_task_get_cancellable(task)))
    return;
  SrPageTrain *self = SR_PAGE_TRAIN(source);
  DeviceList *d = g_task_get_task_data(task);
  memcpy(self->devices, d->devices, sizeof self->devices);
  self->n_devices = d->n;
  g_strlcpy(self->cuda_reason, d->reason, sizeof self->cuda_reason);
  self->devices_known = TRUE;
  sync_settings(self);
}

static void
list_devices(SrPageTrain *self)
{
  self->devices_cancel = g_cancellable_new();
  GTask *task = g_task_new(self, self->devices_cancel, on_devices_listed, NULL);
  g_task_set_task_data(task, g_new0(DeviceList, 1), g_free);
  g_task_run_in_thread(task, devices_thread);
  g_object_unref(task);
}

/* ---- estimate: a few real steps of the chosen configuration ---------------------- */

typedef struct {
  char backend[16];
  SrModelSize size;
  int patch, batch;
  double seconds_per_step;
  char backend_name[16];
  char error[256];
} Estimate;

typedef struct {
  Estimate *e;
  GCancellable *cancellable;
} EstimateCall;

static gboolean
estimate_measure(gpointer data)
{
  Estimate *e = ((EstimateCall *)data)->e;
  GCancellable *cancellable = ((EstimateCall *)data)->cancellable;
  sr_error err = {0};
  char reason[256] = "";
  sr_backend *be = NULL;
  sr_unet *net = NULL;
  sr_unet_workspace *ws = NULL;
  size_t count = (size_t)e->batch * e->patch * e->patch * 3;
  float *src = g_try_new(float, count), *gt = g_try_new(float, count);
  gboolean ok = FALSE;

  if (!src || !gt) {
    g_snprintf(e->error, sizeof e->error, _("not enough memory for %d × %d px patches"), e->patch,
               e->patch);
    goto out;
  }
  be = sr_backend_open(e->backend, reason, sizeof reason, &err);
  if (!be || !(net = sr_unet_new((sr_unet_size)e->size, be, &err)) || !sr_unet_init(net, 1, &err) ||
      !(ws = sr_unet_workspace_new(net, e->batch, e->patch, e->patch, true, &err))) {
    g_strlcpy(e->error, err.message, sizeof e->error);
    goto out;
  }
  g_strlcpy(e->backend_name, be->name, sizeof e->backend_name);
  /* A smooth ramp for the Source and a slightly sharper copy for the
   * ground truth: the time of a step does not depend on the values. */
  for (size_t i = 0; i < count; i++) {
    src[i] = 0.25f + 0.5f * (float)((i / 3) % (size_t)e->patch) / (float)e->patch;
    gt[i] = src[i] + ((i / 3) % 2 ? 0.02f : -0.02f);
  }
  sr_loss_desc loss = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_adam_desc adam = sr_adam_defaults();
  double l;
  if (g_cancellable_is_cancelled(cancellable))
    goto out;
  gint64 t0 = g_get_monotonic_time();
  if (!sr_unet_train_step_host(net, ws, src, gt, &loss, &adam, &l, &err) ||
      !sr_backend_synchronize(be, &err)) {
    g_strlcpy(e->error, err.message, sizeof e->error);
    goto out;
  }
  /* A step that long dwarfs the one-off set-up it includes: it is the
   * measurement, and a big model is not kept busy any longer. */
  double first = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
  if (first >= ESTIMATE_SLOW_STEP) {
    e->seconds_per_step = first;
    ok = TRUE;
    goto out;
  }
  t0 = g_get_monotonic_time();
  int n = 0;
  while (n < ESTIMATE_MAX_STEPS && !g_cancellable_is_cancelled(cancellable) &&
         (n == 0 || (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC < ESTIMATE_SECONDS)) {
    adam.step++;
    if (!sr_unet_train_step_host(net, ws, src, gt, &loss, &adam, &l, &err)) {
      g_strlcpy(e->error, err.message, sizeof e->error);
      goto out;
    }
    n++;
  }
  if (!sr_backend_synchronize(be, &err)) {
    g_strlcpy(e->error, err.message, sizeof e->error);
    goto out;
  }
  e->seconds_per_step = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC / MAX(n, 1);
  ok = TRUE;
out:
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  sr_backend_close(be);
  g_free(src);
  g_free(gt);
  return ok;
}

/* One measurement at a time, so an abandoned one finishing its step does
 * not share the cores with (and slow down) the one that replaced it. */
static GMutex estimate_lock;

static void
estimate_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  EstimateCall call = {data, cancellable};
  gboolean ok = FALSE;

  g_mutex_lock(&estimate_lock);
  if (!g_cancellable_is_cancelled(cancellable))
    ok = run_niced("sr-estimate", estimate_measure, &call);
  g_mutex_unlock(&estimate_lock);
  g_task_return_boolean(task, ok);
}

static void start_estimate(SrPageTrain *self);

static void
show_estimate(SrPageTrain *self)
{
  SrTrainingSettings t;
  g_autofree char *text = NULL;

  if (!self->project || self->seconds_per_step < 0)
    return;
  sr_project_get_training(self->project, &t);
  g_autofree char *total = duration_text(self->seconds_per_step * t.steps);
  text = g_strdup_printf(_("Estimated time: %s (%.3g s/step on %s, measured)"), total,
                         self->seconds_per_step, self->estimate_backend);
  gtk_label_set_text(GTK_LABEL(self->estimate_label), text);
}

static void
on_estimate_done(GObject *source, GAsyncResult *res, gpointer user)
{
  GTask *task = G_TASK(res);
  SrPageTrain *self = SR_PAGE_TRAIN(source);
  Estimate *e = g_task_get_task_data(task);
  gboolean ok = g_task_propagate_boolean(task, NULL);
  guint generation = GPOINTER_TO_UINT(user);

  /* A cancelled measurement was for settings that no longer hold (or the
   * page is gone): its newer replacement reports instead. */
  if (g_cancellable_is_cancelled(g_task_get_cancellable(task)) ||
      generation != self->estimate_generation)
    return;
  g_clear_object(&self->estimate_cancel);
  gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), FALSE);
  gtk_widget_set_visible(self->estimate_spinner, FALSE);
  self->estimate_wanted = FALSE;
  if (ok) {
    self->seconds_per_step = e->seconds_per_step;
    g_strlcpy(self->estimate_backend, e->backend_name, sizeof self->estimate_backend);
    show_estimate(self);
  } else {
    g_autofree char *text = g_strdup_printf(_("No estimate: %s"), e->error);
    gtk_label_set_text(GTK_LABEL(self->estimate_label), text);
  }
}

static void
cancel_estimate(SrPageTrain *self)
{
  g_clear_handle_id(&self->estimate_timeout, g_source_remove);
  self->estimate_generation++;
  if (self->estimate_cancel) {
    g_cancellable_cancel(self->estimate_cancel);
    g_clear_object(&self->estimate_cancel);
  }
  gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), FALSE);
  gtk_widget_set_visible(self->estimate_spinner, FALSE);
}

/* A superseded measurement is abandoned, not waited for: it stops after the
 * step it is in, and only the newest one reports. */
static void
start_estimate(SrPageTrain *self)
{
  SrTrainingSettings t;

  cancel_estimate(self);
  if (!self->project || is_running(self))
    return;
  sr_project_get_training(self->project, &t);
  Estimate *e = g_new0(Estimate, 1);
  g_strlcpy(e->backend, t.backend, sizeof e->backend);
  e->size = t.model_size;
  e->patch = fitted_patch(self, t.patch, t.model_size);
  e->batch = t.batch;
  self->seconds_per_step = -1;
  self->estimate_cancel = g_cancellable_new();
  gtk_widget_set_visible(self->estimate_spinner, TRUE);
  gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), TRUE);
  gtk_label_set_text(GTK_LABEL(self->estimate_label), _("Measuring a few training steps…"));
  GTask *task = g_task_new(self, self->estimate_cancel, on_estimate_done,
                           GUINT_TO_POINTER(self->estimate_generation));
  g_task_set_task_data(task, e, g_free);
  g_task_run_in_thread(task, estimate_thread);
  g_object_unref(task);
}

static gboolean
on_estimate_timeout(gpointer data)
{
  SrPageTrain *self = data;
  self->estimate_timeout = 0;
  start_estimate(self);
  return G_SOURCE_REMOVE;
}

static void
schedule_estimate(SrPageTrain *self)
{
  cancel_estimate(self);
  if (!self->project || is_running(self))
    return;
  self->seconds_per_step = -1;
  gtk_label_set_text(GTK_LABEL(self->estimate_label), _("Measuring a few training steps…"));
  /* Measured only while the page is on screen: a big model's steps would
   * otherwise take the cores from whatever stage the archivist is in. The
   * spinner spins only then too: a spinning spinner on a hidden page still
   * wakes the frame clock every frame. */
  self->estimate_wanted = TRUE;
  if (gtk_widget_get_mapped(GTK_WIDGET(self))) {
    gtk_widget_set_visible(self->estimate_spinner, TRUE);
    gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), TRUE);
    self->estimate_timeout = g_timeout_add(ESTIMATE_DEBOUNCE_MS, on_estimate_timeout, self);
  }
}

static void
on_map(GtkWidget *widget, SrPageTrain *self)
{
  if (self->estimate_wanted && !self->estimate_timeout && !self->estimate_cancel)
    schedule_estimate(self);
}

static void
on_unmap(GtkWidget *widget, SrPageTrain *self)
{
  gboolean unfinished = self->estimate_timeout || self->estimate_cancel;
  cancel_estimate(self);
  self->estimate_wanted = unfinished;
}

/* ---- checkpoints already on disk ------------------------------------------------ */

typedef struct {
  char *out_dir, *source;
  int preview;
  GArray *rows; /* of CkptRow, newest first */
  char *preview_path;
  gboolean has_dir;
  gboolean same_dir; /* only the Source or preview frame changed */
} Scan;

static void
scan_free(gpointer p)
{
  Scan *s = p;
  g_free(s->out_dir);
  g_free(s->source);
  g_free(s->preview_path);
  if (s->rows)
    g_array_unref(s->rows);
  g_free(s);
}

static int
row_newest_first(gconstpointer a, gconstpointer b)
{
  gint64 sa = ((const CkptRow *)a)->step, sb = ((const CkptRow *)b)->step;
  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

static void
scan_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Scan *s = data;
  g_autofree char *dir = g_build_filename(s->out_dir, "checkpoints", NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;

  s->rows = ckpt_array_new();
  s->has_dir = g_file_test(s->out_dir, G_FILE_TEST_IS_DIR);
  while (d && (name = g_dir_read_name(d)) && !g_cancellable_is_cancelled(cancellable)) {
    if (!g_str_has_prefix(name, "step_") || !g_str_has_suffix(name, ".safetensors"))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    sr_checkpoint_meta meta;
    sr_error err = {0};
    sr_checkpoint_meta_init(&meta);
    /* A damaged or foreign file is not listed: nothing could resume from it. */
    if (sr_checkpoint_read_meta(path, &meta, &err)) {
      CkptRow row = {meta.step, meta.loss, meta.psnr_before, meta.psnr_after, g_strdup(path), {0}};
      g_strlcpy(row.model_id, meta.model_id, sizeof row.model_id);
      g_array_append_val(s->rows, row);
    }
    sr_checkpoint_meta_clear(&meta);
  }
  if (d)
    g_dir_close(d);
  g_array_sort(s->rows, row_newest_first);
  if (s->preview >= 0 && s->source) {
    sr_sequence seq = {0};
    if (sr_sequence_open(&seq, s->source, NULL) && sr_sequence_has_frame(&seq, s->preview))
      s->preview_path = sr_sequence_frame_path(&seq, s->preview);
    sr_sequence_clear(&seq);
  }
  g_task_return_boolean(task, TRUE);
}

static void
reset_plot(SrPageTrain *self)
{
  self->loss_lo = INFINITY;
  self->loss_hi = -INFINITY;
  self->lr_hi = 0;
  for (guint i = 0; i < self->points->len; i++) {
    LossPoint *p = &g_array_index(self->points, LossPoint, i);
    if (p->loss > 0) {
      self->loss_lo = MIN(self->loss_lo, p->loss);
      self->loss_hi = MAX(self->loss_hi, p->loss);
    }
    self->lr_hi = MAX(self->lr_hi, p->lr);
  }
}

static void
on_scan_done(GObject *source, GAsyncResult *res, gpointer user)
{
  GTask *task = G_TASK(res);
  SrPageTrain *self = SR_PAGE_TRAIN(source);
  Scan *s = g_task_get_task_data(task);

  if (!g_task_propagate_boolean(task, NULL) ||
      g_cancellable_is_cancelled(g_task_get_cancellable(task)) ||
      GPOINTER_TO_UINT(user) != self->scan_generation || self->job)
    return;
  g_clear_object(&self->scan_cancel);
  g_array_set_size(self->rows, 0);
  for (guint i = 0; i < s->rows->len; i++) {
    CkptRow r = g_array_index(s->rows, CkptRow, i);
    r.path = g_strdup(r.path);
    g_array_append_val(self->rows, r);
  }
  /* Another training folder has no loss history here: the curve starts
   * empty and its checkpoints are marked on the step axis. */
  if (!s->same_dir) {
    g_array_set_size(self->points, 0);
    reset_plot(self);
    self->run_steps = self->rows->len ? g_array_index(self->rows, CkptRow, 0).step : 0;
  }
  rebuild_rows(self);
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(self->gallery);
  sr_train_gallery_set_preview_source(gallery, s->preview_path, s->preview_path ? s->preview : -1);
  sr_train_gallery_clear(gallery);
  if (s->has_dir)
    sr_train_gallery_load_dir(gallery, s->out_dir);
  gtk_widget_queue_draw(self->plot);
}

static void
scan_out_dir(SrPageTrain *self)
{
  if (!self->project || self->job)
    return;
  g_autofree char *out_dir = sr_page_train_get_out_dir(self);
  g_autofree char *source =
      sr_project_resolve_path(self->project, sr_project_get_source_pattern(self->project));
  int preview = sr_project_get_preview_frame(self->project);
  g_autofree char *key = g_strdup_printf("%s\n%s\n%d", out_dir, source ? source : "", preview);

  if (g_strcmp0(key, self->scanned_key) == 0)
    return;
  gboolean same_dir = self->scanned_key && g_str_has_prefix(self->scanned_key, out_dir) &&
                      self->scanned_key[strlen(out_dir)] == '\n';
  g_free(self->scanned_key);
  self->scanned_key = g_steal_pointer(&key);
  if (self->scan_cancel) {
    g_cancellable_cancel(self->scan_cancel);
    g_clear_object(&self->scan_cancel);
  }
  Scan *s = g_new0(Scan, 1);
  s->out_dir = g_steal_pointer(&out_dir);
  s->source = g_steal_pointer(&source);
  s->preview = preview;
  s->same_dir = same_dir;
  self->scan_generation++;
  self->scan_cancel = g_cancellable_new();
  GTask *task =
      g_task_new(self, self->scan_cancel, on_scan_done, GUINT_TO_POINTER(self->scan_generation));
  g_task_set_task_data(task, s, scan_free);
  g_task_run_in_thread(task, scan_thread);
  g_object_unref(task);
}

/* ---- controls and facts --------------------------------------------------------- */

static void
update_controls(SrPageTrain *self)
{
  gboolean running = is_running(self);
  gboolean paused = running && sr_job_get_paused(self->job);

  gtk_widget_set_sensitive(self->start_button, !running && self->project &&
                                                   sr_project_get_pairs(self->project)->len > 0);
  gtk_widget_set_sensitive(self->pause_button, running);
  gtk_button_set_label(GTK_BUTTON(self->pause_button), paused ? _("Resume") : _("Pause"));
  gtk_widget_set_sensitive(self->stop_button, running);
  gtk_widget_set_sensitive(self->settings_grid, !running && self->project);
  for (guint i = 0; i < self->resume_buttons->len; i++)
    gtk_widget_set_sensitive(g_ptr_array_index(self->resume_buttons, i), !running);
  if (running)
    gtk_label_set_text(GTK_LABEL(self->estimate_label),
                       _("Settings are locked while the model trains."));
}

static void
refresh(SrPageTrain *self)
{
  SrProject *p = self->project;

  if (!p)
    return;
  const GArray *pairs = sr_project_get_pairs(p);
  const GArray *held = sr_project_get_held_out(p);
  int preview = sr_project_get_preview_frame(p);
  g_autofree char *pair_list = frames_text(pairs);
  g_autofree char *held_list = frames_text(held);
  g_autofree char *preview_text =
      preview >= 0 ? g_strdup_printf("%d", preview) : g_strdup(_("none"));
  g_autofree char *out_dir = sr_page_train_get_out_dir(self);
  sr_ui_fill_facts(self->facts_data, _("Pairs"), pair_list, _("Held out"), held_list,
                   _("Preview frame"), preview_text, _("Folder"), out_dir, NULL);
  sync_settings(self);
  update_controls(self);
  scan_out_dir(self);
}

/* ---- worker ------------------------------------------------------------------- */

static void
on_train_progress(void *user, const sr_train_progress *p)
{
  TrainLog *l = user;
  LossPoint pt = {p->step, p->loss, p->loss_avg, p->lr};

  g_mutex_lock(&l->lock);
  if (!p->paused)
    g_array_append_val(l->points, pt);
  l->steps_per_second = p->steps_per_second;
  l->eta = p->eta_seconds;
  l->step = p->step;
  l->steps = p->steps;
  g_mutex_unlock(&l->lock);
}

static void
on_train_contact_sheet(void *user, int64_t step, const sr_image *sheet, const char *path)
{
  TrainLog *l = user;
  StepFile f = {step, g_strdup(path)};

  g_mutex_lock(&l->lock);
  g_array_append_val(l->sheets, f);
  g_mutex_unlock(&l->lock);
}

static void
on_train_checkpoint(void *user, const sr_train_eval *e)
{
  TrainLog *l = user;
  CkptRow row = {e->step, e->loss_avg, e->psnr_before, e->psnr_after, g_strdup(e->checkpoint_path),
                 {0}};

  g_strlcpy(row.model_id, e->model_id, sizeof row.model_id);
  g_mutex_lock(&l->lock);
  g_array_append_val(l->ckpts, row);
  if (e->preview_path) {
    StepFile f = {e->step, g_strdup(e->preview_path)};
    g_array_append_val(l->previews, f);
  }
  g_mutex_unlock(&l->lock);
}

static gboolean
build_one(const sr_sequence *src, const sr_sequence *ref, int frame, const sr_frame_map *map,
          const sr_prep_settings *prep, sr_pair *pair, sr_error *err)
{
  int ref_frame = sr_frame_map_reference(map, frame);
  if (ref_frame == SR_NO_FRAME) {
    sr_error_set(err, SR_ERR_INVALID,
                 _("pair %d: no clean Reference frame under the frame map; choose a frame next "
                   "to it"),
                 frame);
    return FALSE;
  }
  sr_image *s = sr_sequence_read(src, frame, err);
  sr_image *r = s ? sr_sequence_read(ref, ref_frame, err) : NULL;
  gboolean ok = s && r && sr_pair_build(s, r, prep, pair, err);

  if (ok) {
    pair->source_frame = frame;
    pair->reference_frame = ref_frame;
  } else {
    sr_error_prefix(err, "pair %d: ", frame);
  }
  sr_image_free(s);
  sr_image_free(r);
  return ok;
}

typedef struct {
  TrainJob *j;
  const sr_train_data *d;
  const sr_train_callbacks *cb;
  sr_error *err;
} TrainCall;

static gboolean
train_call(gpointer data)
{
  TrainCall *c = data;
  return sr_train_run(&c->j->cfg, c->d, c->j->out_dir, c->j->resume, c->cb, &c->j->result, c->err);
}

static gboolean
train_job_run(SrJob *job, gpointer data, GError **error)
{
  TrainJob *j = data;
  sr_error err = {0};
  sr_sequence src = {0}, ref = {0};
  sr_pair *built = g_new0(sr_pair, j->pairs->len);
  sr_pair *held = g_new0(sr_pair, j->held->len + 1);
  sr_image *preview = NULL;
  guint n_built = 0, n_held = 0;
  gboolean ok = FALSE;

  sr_job_set_progress(job, -1, _("Reading the pairs…"));
  if (!sr_sequence_open(&src, j->source, &err) || !sr_sequence_open(&ref, j->reference, &err))
    goto out;
  for (; n_built < j->pairs->len; n_built++)
    if (!build_one(&src, &ref, g_array_index(j->pairs, int, n_built), &j->map, &j->prep,
                   &built[n_built], &err))
      goto out;
  for (; n_held < j->held->len; n_held++)
    if (!build_one(&src, &ref, g_array_index(j->held, int, n_held), &j->map, &j->prep,
                   &held[n_held], &err))
      goto out;
  if (j->preview >= 0 && !(preview = sr_sequence_read(&src, j->preview, &err)))
    goto out;
  /* The guide's patch is 512, or 256 when the crop is small: shrink to fit. */
  int cw = built[0].input->width, ch = built[0].input->height;
  int mult = sr_unet_size_multiple(j->cfg.model_size);
  while (j->cfg.patch > mult && (j->cfg.patch > cw || j->cfg.patch > ch))
    j->cfg.patch /= 2;
  if (j->cfg.warmup_steps >= j->cfg.steps)
    j->cfg.warmup_steps = j->cfg.steps / 10;

  sr_train_data d = {
      .pairs = built,
      .n_pairs = (int)n_built,
      .held_out = held,
      .n_held_out = (int)n_held,
      .preview_source = preview,
      .preview_frame = preview ? j->preview : -1,
      .reference_offset = j->map.offset,
      .prep = j->prep,
  };
  sr_train_callbacks cb = {
      .user = j->log,
      .progress = on_train_progress,
      .contact_sheet = on_train_contact_sheet,
      .checkpoint = on_train_checkpoint,
      .cancel = sr_job_get_cancel_flag(job),
      .pause = &j->log->pause,
  };
  sr_job_set_progress(job, 0, j->resume ? _("Resuming…") : _("Training…"));
  TrainCall call = {j, &d, &cb, &err};
  ok = run_niced("sr-train", train_call, &call);
out:
  if (!ok)
    sr_job_error_from_engine(error, &err);
  for (guint i = 0; i < n_built; i++)
    sr_pair_clear(&built[i]);
  for (guint i = 0; i < n_held; i++)
    sr_pair_clear(&held[i]);
  g_free(built);
  g_free(held);
  sr_image_free(preview);
  sr_sequence_clear(&src);
  sr_sequence_clear(&ref);
  return ok;
}

/* ---- checkpoint list ------------------------------------------------------------ */

static void
on_use_checkpoint(GtkButton *button, SrPageTrain *self)
{
  const char *path = g_object_get_data(G_OBJECT(button), "path");
  if (self->project && path)
    sr_project_set_checkpoint(self->project, path);
}

static void
on_resume_checkpoint(GtkButton *button, SrPageTrain *self)
{
  const char *path = g_object_get_data(G_OBJECT(button), "path");
  g_autoptr(GError) error = NULL;
  g_autofree char *copy = g_strdup(path);

  if (copy && !sr_page_train_resume(self, copy, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static GtkWidget *
ckpt_row_widget(SrPageTrain *self, const CkptRow *r, const char *in_use)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
  char shrt[SR_MODEL_ID_SHORT + 1];
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;

  sr_model_id_short(r->model_id, shrt);
  title = g_strdup_printf(_("Step %lld · model %s"), (long long)r->step, shrt);
  if (isnan(r->psnr_after))
    detail = g_strdup_printf(_("loss %.4g · no held-out frames"), r->loss_avg);
  else
    detail = g_strdup_printf(_("loss %.4g · held-out PSNR %.2f → %.2f dB"), r->loss_avg,
                             r->psnr_before, r->psnr_after);
  GtkWidget *t = gtk_label_new(title);
  gtk_label_set_xalign(GTK_LABEL(t), 0);
  gtk_widget_add_css_class(t, "heading");
  GtkWidget *dl = gtk_label_new(detail);
  gtk_label_set_xalign(GTK_LABEL(dl), 0);
  gtk_label_set_ellipsize(GTK_LABEL(dl), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class(dl, "dim-label");
  gtk_widget_add_css_class(dl, "numeric");
  gtk_box_append(GTK_BOX(text), t);
  gtk_box_append(GTK_BOX(text), dl);
  gtk_widget_set_hexpand(text, TRUE);
  gtk_widget_set_valign(text, GTK_ALIGN_CENTER);
  gtk_box_append(GTK_BOX(box), text);

  GtkWidget *resume = gtk_button_new_with_label(_("Resume from here"));
  gtk_widget_set_valign(resume, GTK_ALIGN_CENTER);
  g_object_set_data_full(G_OBJECT(resume), "path", g_strdup(r->path), g_free);
  gtk_widget_set_tooltip_text(resume, _("Continue training from this checkpoint to the last "
                                        "step; later checkpoints are written again"));
  g_signal_connect(resume, "clicked", G_CALLBACK(on_resume_checkpoint), self);
  gtk_widget_set_sensitive(resume, !is_running(self));
  g_ptr_array_add(self->resume_buttons, resume);
  gtk_box_append(GTK_BOX(box), resume);

  if (in_use && g_strcmp0(in_use, r->path) == 0) {
    GtkWidget *used = gtk_label_new(_("Used for rendering"));
    gtk_widget_add_css_class(used, "status-pass");
    gtk_widget_set_size_request(used, 150, -1);
    gtk_box_append(GTK_BOX(box), used);
  } else {
    GtkWidget *use = gtk_button_new_with_label(_("Use for rendering"));
    gtk_widget_set_valign(use, GTK_ALIGN_CENTER);
    gtk_widget_set_size_request(use, 150, -1);
    g_object_set_data_full(G_OBJECT(use), "path", g_strdup(r->path), g_free);
    g_signal_connect(use, "clicked", G_CALLBACK(on_use_checkpoint), self);
    gtk_box_append(GTK_BOX(box), use);
  }
  gtk_widget_set_margin_start(box, 10);
  gtk_widget_set_margin_end(box, 6);
  gtk_widget_set_margin_top(box, 4);
  gtk_widget_set_margin_bottom(box, 4);
  return box;
}

/* Rows change only at checkpoints (rare), so the list is simply rebuilt. */
static void
rebuild_rows(SrPageTrain *self)
{
  GtkWidget *child;
  const char *ck = self->project ? sr_project_get_checkpoint(self->project) : NULL;
  g_autofree char *in_use = ck ? sr_project_resolve_path(self->project, ck) : NULL;

  while ((child = gtk_widget_get_first_child(self->ckpt_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->ckpt_list), child);
  g_ptr_array_set_size(self->resume_buttons, 0);
  for (guint i = 0; i < self->rows->len; i++)
    gtk_list_box_append(GTK_LIST_BOX(self->ckpt_list),
                        ckpt_row_widget(self, &g_array_index(self->rows, CkptRow, i), in_use));
  g_autofree char *caption = NULL;
  if (self->rows->len == 0)
    caption =
        g_strdup(_("none yet: one is written every “Checkpoints every” steps and at the end"));
  else
    caption = g_strdup_printf(
        ngettext("%u in the training folder", "%u in the training folder", self->rows->len),
        self->rows->len);
  gtk_label_set_text(GTK_LABEL(self->ckpt_caption), caption);
  gtk_widget_set_visible(self->ckpt_scroller, self->rows->len > 0);
  g_object_set_data_full(G_OBJECT(self->ckpt_list), "in-use", g_strdup(in_use), g_free);
}

/* Inserts a row keeping newest first; a row with the same step replaces it. */
static void
insert_row(SrPageTrain *self, CkptRow *r)
{
  guint at = 0;

  while (at < self->rows->len && g_array_index(self->rows, CkptRow, at).step > r->step)
    at++;
  if (at < self->rows->len && g_array_index(self->rows, CkptRow, at).step == r->step)
    g_array_remove_index(self->rows, at);
  g_array_insert_val(self->rows, at, *r);
}

/* ---- polling the log ------------------------------------------------------------ */

static void
append_points(SrPageTrain *self, GArray *pts)
{
  for (guint i = 0; i < pts->len; i++) {
    LossPoint *p = &g_array_index(pts, LossPoint, i);
    if (p->loss > 0) {
      self->loss_lo = MIN(self->loss_lo, p->loss);
      self->loss_hi = MAX(self->loss_hi, p->loss);
    }
    self->lr_hi = MAX(self->lr_hi, p->lr);
  }
  g_array_append_vals(self->points, pts->data, pts->len);
}

static void
poll_log(SrPageTrain *self)
{
  TrainLog *l = self->log;
  GArray *pts, *ckpts, *sheets, *previews;
  g_autofree char *status = NULL;

  if (!l)
    return;
  g_mutex_lock(&l->lock);
  pts = l->points;
  ckpts = l->ckpts;
  sheets = l->sheets;
  previews = l->previews;
  l->points = g_array_new(FALSE, FALSE, sizeof(LossPoint));
  l->ckpts = ckpt_array_new();
  l->sheets = step_file_array_new();
  l->previews = step_file_array_new();
  if (l->steps > 0) {
    int eta = (int)CLAMP(l->eta, 0, 1e7);
    g_autofree char *left = duration_text(eta);
    self->run_steps = l->steps;
    status = g_strdup_printf(_("Step %lld of %lld · %.2f steps/s · %s left"), (long long)l->step,
                             (long long)l->steps, l->steps_per_second, left);
  }
  g_mutex_unlock(&l->lock);

  if (status && g_strcmp0(status, self->status_text) != 0) {
    gtk_label_set_text(GTK_LABEL(self->status_label), status);
    g_free(self->status_text);
    self->status_text = g_steal_pointer(&status);
  }
  if (pts->len) {
    append_points(self, pts);
    gtk_widget_queue_draw(self->plot);
  }
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(self->gallery);
  for (guint i = 0; i < sheets->len; i++) {
    StepFile *f = &g_array_index(sheets, StepFile, i);
    sr_train_gallery_add_contact_sheet(gallery, f->step, f->path);
  }
  for (guint i = 0; i < previews->len; i++) {
    StepFile *f = &g_array_index(previews, StepFile, i);
    sr_train_gallery_add_preview(gallery, f->step, f->path);
  }
  if (ckpts->len) {
    for (guint i = 0; i < ckpts->len; i++) {
      CkptRow r = g_array_index(ckpts, CkptRow, i);
      r.path = g_strdup(r.path);
      insert_row(self, &r);
    }
    rebuild_rows(self);
    gtk_widget_queue_draw(self->plot);
  }
  g_array_unref(pts);
  g_array_unref(ckpts);
  g_array_unref(sheets);
  g_array_unref(previews);
}

static gboolean
on_poll(gpointer data)
{
  poll_log(data);
  return G_SOURCE_CONTINUE;
}

static void
on_train_done(GObject *source, GAsyncResult *res, gpointer data)
{
  SrPageTrain *self = data;
  g_autoptr(GError) error = NULL;
  SrJob *job = SR_JOB(source);
  TrainJob *j = sr_job_get_data(job);

  if (self->job == job) {
    g_autoptr(SrJob) keep = g_object_ref(job);
    poll_log(self);
    g_clear_handle_id(&self->poll_id, g_source_remove);
    gboolean ok = sr_job_finish(job, res, &error);
    /* Not busy any more before the project changes, so the stage list that
     * reacts to the new checkpoint sees the run as finished. */
    g_clear_object(&self->job);
    if (ok) {
      if (self->project && j->result.checkpoint_path[0])
        sr_project_set_checkpoint(self->project, j->result.checkpoint_path);
      g_autofree char *took = duration_text(sr_job_get_elapsed(job));
      g_autofree char *done = g_strdup_printf(_("Finished at step %lld (%s) on %s."),
                                              (long long)j->result.step, took, j->result.backend);
      gtk_label_set_text(GTK_LABEL(self->status_label), done);
      gtk_widget_set_tooltip_text(self->status_label, done);
    } else if (g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED) ||
               j->result.cancelled) {
      g_autofree char *stopped =
          g_strdup_printf(_("Stopped at step %lld; that step was saved as a checkpoint."),
                          (long long)j->result.step);
      gtk_label_set_text(GTK_LABEL(self->status_label), stopped);
    } else {
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
    }
    g_clear_pointer(&self->status_text, g_free);
    /* The stage list only rechecks on project edits; a run that ends on the
     * checkpoint the project already names (a resumed run) edits nothing. */
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    if (SR_IS_WINDOW(root) && sr_window_get_project(SR_WINDOW(root)))
      sr_window_refresh_stages(SR_WINDOW(root));
    rebuild_rows(self);
    update_controls(self);
    schedule_estimate(self);
  }
  g_object_unref(self);
}

char *
sr_page_train_get_out_dir(SrPageTrain *self)
{
  const char *out = self->project ? sr_project_get_output_folder(self->project) : NULL;
  g_autofree char *abs = out && *out ? sr_project_resolve_path(self->project, out) : NULL;
  GFile *file = self->project ? sr_project_get_file(self->project) : NULL;

  if (abs)
    return g_build_filename(abs, "training", NULL);
  if (file) {
    g_autoptr(GFile) parent = g_file_get_parent(file);
    g_autofree char *dir = parent ? g_file_get_path(parent) : NULL;
    if (dir)
      return g_build_filename(dir, "training", NULL);
  }
  return g_build_filename(g_get_user_cache_dir(), "spatial-recovery", "training", NULL);
}

static gboolean
run(SrPageTrain *self, const char *resume_path, GError **error)
{
  SrTrainingSettings t;
  gint64 resume_step = 0;
  /* The path may belong to a row this function is about to drop. */
  g_autofree char *resume = g_strdup(resume_path);

  g_return_val_if_fail(SR_IS_PAGE_TRAIN(self), FALSE);
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("Training is already running."));
    return FALSE;
  }
  if (!self->project || sr_project_get_pairs(self->project)->len == 0) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No training pairs: add pairs in the Pairs stage first."));
    return FALSE;
  }
  sr_project_get_training(self->project, &t);
  if (resume) {
    gboolean known = FALSE;
    for (guint i = 0; i < self->rows->len; i++) {
      CkptRow *r = &g_array_index(self->rows, CkptRow, i);
      if (g_strcmp0(r->path, resume) == 0) {
        resume_step = r->step;
        known = TRUE;
      }
    }
    if (!known) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                  _("%s is not one of the listed checkpoints."), resume);
      return FALSE;
    }
    if (resume_step >= t.steps) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                  _("The checkpoint is at step %lld and the run ends at step %d: raise Steps "
                    "to continue training from it."),
                  (long long)resume_step, t.steps);
      return FALSE;
    }
  }

  TrainJob *j = g_new0(TrainJob, 1);
  sr_train_config_init(&j->cfg);
  j->cfg.model_size = (sr_unet_size)t.model_size;
  j->cfg.patch = t.patch;
  j->cfg.batch = t.batch;
  j->cfg.steps = t.steps;
  j->cfg.checkpoint_every = t.checkpoint_every;
  j->cfg.contact_sheet_every = t.contact_sheet_every;
  j->cfg.learning_rate = t.learning_rate;
  j->cfg.warmup_steps = t.warmup_steps;
  j->cfg.cosine_decay = t.cosine_decay;
  j->cfg.flip = t.flip;
  j->cfg.exposure_jitter = t.exposure_jitter;
  j->cfg.scale_jitter = t.scale_jitter;
  j->cfg.translate_px = t.translate_px;
  j->cfg.seed = t.seed;
  g_strlcpy(j->cfg.backend, t.backend, sizeof j->cfg.backend);
  j->source = sr_project_resolve_path(self->project, sr_project_get_source_pattern(self->project));
  j->reference =
      sr_project_resolve_path(self->project, sr_project_get_reference_pattern(self->project));
  j->out_dir = sr_page_train_get_out_dir(self);
  j->resume = g_strdup(resume);
  sr_project_get_frame_map(self->project, &j->map);
  j->preview = sr_project_get_preview_frame(self->project);
  j->pairs = g_array_copy((GArray *)sr_project_get_pairs(self->project));
  j->held = g_array_copy((GArray *)sr_project_get_held_out(self->project));
  sr_project_get_prep_settings(self->project, &j->prep);

  /* Whatever the page was measuring or scanning is stale once a run starts. */
  cancel_estimate(self);
  if (self->scan_cancel) {
    self->scan_generation++;
    g_cancellable_cancel(self->scan_cancel);
    g_clear_object(&self->scan_cancel);
  }

  if (self->log)
    train_log_unref(self->log);
  self->log = train_log_new();
  j->log = g_atomic_rc_box_acquire(self->log);
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(self->gallery);
  sr_train_gallery_clear(gallery);
  if (resume) {
    /* The history up to the checkpoint stays; what came after is redone. */
    guint keep = 0;
    while (keep < self->points->len &&
           g_array_index(self->points, LossPoint, keep).step <= resume_step)
      keep++;
    g_array_set_size(self->points, keep);
    for (guint i = self->rows->len; i-- > 0;)
      if (g_array_index(self->rows, CkptRow, i).step > resume_step)
        g_array_remove_index(self->rows, i);
  } else {
    g_array_set_size(self->points, 0);
    g_array_set_size(self->rows, 0);
  }
  reset_plot(self);
  self->run_steps = t.steps;
  rebuild_rows(self);
  gtk_widget_queue_draw(self->plot);
  gtk_stack_set_visible_child_name(GTK_STACK(self->view_stack), "loss");
  if (resume) {
    g_autofree char *msg = g_strdup_printf(_("Resuming from step %lld…"), (long long)resume_step);
    gtk_label_set_text(GTK_LABEL(self->status_label), msg);
  } else {
    gtk_label_set_text(GTK_LABEL(self->status_label), _("Starting…"));
  }

  self->job = sr_job_new(_("Training"), train_job_run, j, train_job_free);
  self->poll_id = g_timeout_add(200, on_poll, self);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_train_done, g_object_ref(self));
  update_controls(self);
  return TRUE;
}

gboolean
sr_page_train_start(SrPageTrain *self, GError **error)
{
  return run(self, NULL, error);
}

gboolean
sr_page_train_resume(SrPageTrain *self, const char *checkpoint_path, GError **error)
{
  g_return_val_if_fail(checkpoint_path != NULL, FALSE);
  return run(self, checkpoint_path, error);
}

void
sr_page_train_stop(SrPageTrain *self)
{
  if (self->job) {
    atomic_store(&self->log->pause, false);
    sr_job_cancel(self->job);
  }
}

gboolean
sr_page_train_get_busy(SrPageTrain *self)
{
  return self->job != NULL;
}

guint
sr_page_train_get_n_loss_points(SrPageTrain *self)
{
  return self->points->len;
}

gboolean
sr_page_train_get_loss_point(SrPageTrain *self, guint i, gint64 *step, double *loss)
{
  if (i >= self->points->len)
    return FALSE;
  LossPoint *p = &g_array_index(self->points, LossPoint, i);
  if (step)
    *step = p->step;
  if (loss)
    *loss = p->loss;
  return TRUE;
}

guint
sr_page_train_get_n_checkpoints(SrPageTrain *self)
{
  return self->rows->len;
}

const char *
sr_page_train_get_checkpoint(SrPageTrain *self, guint i, gint64 *step)
{
  if (i >= self->rows->len)
    return NULL;
  CkptRow *r = &g_array_index(self->rows, CkptRow, i);
  if (step)
    *step = r->step;
  return r->path;
}

double
sr_page_train_get_seconds_per_step(SrPageTrain *self)
{
  return self->seconds_per_step;
}

static void
on_start_clicked(GtkButton *button, SrPageTrain *self)
{
  g_autoptr(GError) error = NULL;
  if (!sr_page_train_start(self, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static void
on_pause_clicked(GtkButton *button, SrPageTrain *self)
{
  if (!self->job)
    return;
  if (sr_job_get_paused(self->job)) {
    atomic_store(&self->log->pause, false);
    sr_job_resume(self->job);
  } else {
    atomic_store(&self->log->pause, true);
    sr_job_pause(self->job);
    gtk_label_set_text(GTK_LABEL(self->status_label), _("Paused after the current step."));
    g_clear_pointer(&self->status_text, g_free);
  }
  update_controls(self);
}

static void
on_stop_clicked(GtkButton *button, SrPageTrain *self)
{
  sr_page_train_stop(self);
}

/* ---- loss plot ------------------------------------------------------------------- */

/* The loss plot is drawn from render nodes (colour rectangles and text
 * layouts) rather than a cairo surface, so a refresh re-renders a few
 * hundred nodes instead of uploading a new window-sized texture, and a
 * curve of any length costs at most a few rectangles per pixel column. */
#define SR_TYPE_PAGE_TRAIN_PLOT (sr_page_train_plot_get_type())
G_DECLARE_FINAL_TYPE(SrPageTrainPlot, sr_page_train_plot, SR, PAGE_TRAIN_PLOT, GtkWidget)

struct _SrPageTrainPlot {
  GtkWidget parent_instance;
  SrPageTrain *page; /* not a reference: the page owns the plot */
};

G_DEFINE_FINAL_TYPE(SrPageTrainPlot, sr_page_train_plot, GTK_TYPE_WIDGET)

typedef struct {
  GtkSnapshot *snapshot;
  GtkWidget *widget;
  PangoFontDescription *font;
} Canvas;

static void
fill(Canvas *c, const GdkRGBA *colour, double x, double y, double w, double h)
{
  gtk_snapshot_append_color(c->snapshot, colour, &GRAPHENE_RECT_INIT(x, y, w, h));
}

/* Text with its left edge at x (or centred on x, or right-aligned at x when
 * align is 0, 1 or 2) and its vertical middle at y. */
static void
text_at(Canvas *c, const GdkRGBA *colour, double x, double y, int align, const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout(c->widget, text);
  int tw, th;

  pango_layout_set_font_description(layout, c->font);
  pango_layout_get_pixel_size(layout, &tw, &th);
  gtk_snapshot_save(c->snapshot);
  gtk_snapshot_translate(c->snapshot,
                         &GRAPHENE_POINT_INIT(round(x - tw * align / 2.0), round(y - th / 2.0)));
  gtk_snapshot_append_layout(c->snapshot, layout, colour);
  gtk_snapshot_restore(c->snapshot);
  g_object_unref(layout);
}

/* One pixel column of a curve: the span of the values that fall in it. */
typedef struct {
  float lo, hi, first, last;
  gboolean set;
} Column;

/* Strokes a curve column by column: each column's span joined to the
 * previous one by linear interpolation, so a run of any length costs at
 * most a few rectangles per pixel. dash > 0 skips every other `dash`
 * columns. */
static void
stroke_columns(Canvas *c, const Column *cols, int n, double x0, double thick, const GdkRGBA *colour,
               int dash)
{
  int prev = -1;

  for (int k = 0; k < n; k++) {
    if (!cols[k].set)
      continue;
    if (prev >= 0) {
      for (int m = prev + 1; m <= k; m++) {
        double t0 = (double)(m - 1 - prev) / (k - prev), t1 = (double)(m - prev) / (k - prev);
        double ya = cols[prev].last + (cols[k].first - cols[prev].last) * t0;
        double yb = cols[prev].last + (cols[k].first - cols[prev].last) * t1;
        if (dash > 0 && (m / dash) % 2)
          continue;
        fill(c, colour, x0 + m - 0.5, MIN(ya, yb) - thick / 2, 1, fabs(ya - yb) + thick);
      }
    }
    if (!(dash > 0 && (k / dash) % 2))
      fill(c, colour, x0 + k, cols[k].lo - thick / 2, 1, cols[k].hi - cols[k].lo + thick);
    prev = k;
  }
}

static void
column_add(Column *cols, int n, double x, double y)
{
  int k = CLAMP((int)floor(x), 0, n - 1);
  Column *col = &cols[k];

  if (!col->set) {
    col->lo = col->hi = col->first = col->last = (float)y;
    col->set = TRUE;
  } else {
    col->lo = MIN(col->lo, (float)y);
    col->hi = MAX(col->hi, (float)y);
    col->last = (float)y;
  }
}

/* "40k", "2.5k" or "800" for axis labels. */
static void
step_text(char *buf, gsize len, double step)
{
  if (step >= 1000)
    g_snprintf(buf, len, "%gk", round(step / 100) / 10);
  else
    g_snprintf(buf, len, "%.0f", step);
}

/* Loss on a log scale (raw faint, smoothed solid), learning rate dashed on
 * its own linear axis at the right, held-out PSNR marked at checkpoints. */
static void
sr_page_train_plot_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  SrPageTrain *self = SR_PAGE_TRAIN_PLOT(widget)->page;
  const double ml = 48, mr = 18, mt = 24, mb = 26;
  int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
  double pw = floor(w - ml - mr), ph = floor(h - mt - mb);
  const GdkRGBA bg = {0.11, 0.11, 0.12, 1}, grid = {1, 1, 1, 0.09}, label = {1, 1, 1, 0.6};
  const GdkRGBA raw = {0.45, 0.65, 1.0, 0.35}, avg = {0.45, 0.75, 1.0, 1.0};
  const GdkRGBA lr_col = {0.95, 0.75, 0.3, 0.9}, mark = {0.4, 0.85, 0.45, 1};
  char buf[64];
  Canvas c = {snapshot, widget, pango_font_description_from_string("Sans 8.5")};

  fill(&c, &bg, 0, 0, w, h);
  if (!self || pw < 20 || ph < 20)
    goto out;
  GArray *pts = self->points;
  if (pts->len == 0 && self->rows->len == 0) {
    text_at(&c, &label, w / 2.0, h / 2.0, 1,
            _("The loss curve appears here once training starts."));
    goto out;
  }
  gint64 steps = MAX(self->run_steps, 1);
  double lo = self->loss_lo, hi = self->loss_hi, lr_hi = self->lr_hi;
  for (guint i = 0; i < self->rows->len; i++) {
    double v = g_array_index(self->rows, CkptRow, i).loss_avg;
    if (v > 0 && isfinite(v)) {
      lo = MIN(lo, v);
      hi = MAX(hi, v);
    }
  }
  if (!(lo < hi)) {
    lo = (lo > 0 && isfinite(lo)) ? lo / 2 : 1e-3;
    hi = lo * 4;
  }
  double llo = floor(log10(lo)), lhi = ceil(log10(hi));
  if (lhi <= llo)
    lhi = llo + 1;

  for (double d = llo; d <= lhi; d += 1) {
    double y = round(mt + ph * (1 - (d - llo) / (lhi - llo)));
    fill(&c, &grid, ml, y, pw, 1);
    g_snprintf(buf, sizeof buf, "1e%d", (int)d);
    text_at(&c, &label, ml - 8, y, 2, buf);
  }
  for (int k = 0; k <= 4; k++) {
    double x = round(ml + pw * k / 4.0);
    step_text(buf, sizeof buf, (double)steps * k / 4.0);
    fill(&c, &grid, x, mt, 1, ph);
    text_at(&c, &label, x, h - mb / 2.0, 1, buf);
  }
  text_at(&c, &avg, ml, mt / 2, 0, _("loss, log scale: each step (faint) and smoothed"));
  if (lr_hi > 0) {
    g_snprintf(buf, sizeof buf, _("learning rate, up to %.1e"), lr_hi);
    text_at(&c, &lr_col, ml + pw, mt / 2, 2, buf);
  }

#define PX(s) (pw * (double)(s) / (double)steps)
#define PY(v) (mt + ph * (1 - (log10(MAX(v, 1e-12)) - llo) / (lhi - llo)))
  int n = (int)pw;
  Column *cols = g_new(Column, (gsize)n * 3);
  memset(cols, 0, sizeof(Column) * (gsize)n * 3);
  for (guint i = 0; i < pts->len; i++) {
    LossPoint *p = &g_array_index(pts, LossPoint, i);
    double x = PX(p->step);
    column_add(cols, n, x, PY(p->loss));
    column_add(cols + n, n, x, PY(p->loss_avg));
    if (lr_hi > 0)
      column_add(cols + 2 * n, n, x, mt + ph * (1 - p->lr / lr_hi));
  }
  stroke_columns(&c, cols, n, ml, 1, &raw, 0);
  stroke_columns(&c, cols + 2 * n, n, ml, 1.5, &lr_col, 4);
  stroke_columns(&c, cols + n, n, ml, 2, &avg, 0);
  g_free(cols);

  for (guint i = 0; i < self->rows->len; i++) {
    CkptRow *r = &g_array_index(self->rows, CkptRow, i);
    double x = ml + PX(r->step);
    GskRoundedRect dot;
    gsk_rounded_rect_init_from_rect(&dot, &GRAPHENE_RECT_INIT(x - 4, mt + ph - 4, 8, 8), 4);
    gtk_snapshot_push_rounded_clip(snapshot, &dot);
    fill(&c, &mark, x - 4, mt + ph - 4, 8, 8);
    gtk_snapshot_pop(snapshot);
    if (!isnan(r->psnr_after)) {
      g_snprintf(buf, sizeof buf, _("%.1f dB"), r->psnr_after);
      text_at(&c, &mark, CLAMP(x, ml + 20, ml + pw - 20), mt + ph - 14, 1, buf);
    }
  }
#undef PX
#undef PY
out:
  pango_font_description_free(c.font);
}

static void
sr_page_train_plot_class_init(SrPageTrainPlotClass *klass)
{
  GTK_WIDGET_CLASS(klass)->snapshot = sr_page_train_plot_snapshot;
}

static void
sr_page_train_plot_init(SrPageTrainPlot *self)
{}

static void
build_monitor(SrPageTrain *self)
{
  self->start_button = gtk_button_new_with_label(_("Start training"));
  gtk_widget_add_css_class(self->start_button, "suggested-action");
  self->pause_button = gtk_button_new_with_label(_("Pause"));
  self->stop_button = gtk_button_new_with_label(_("Stop"));
  gtk_widget_set_name(self->start_button, "train-start");
  gtk_widget_set_name(self->pause_button, "train-pause");
  gtk_widget_set_name(self->stop_button, "train-stop");
  g_signal_connect(self->start_button, "clicked", G_CALLBACK(on_start_clicked), self);
  g_signal_connect(self->pause_button, "clicked", G_CALLBACK(on_pause_clicked), self);
  g_signal_connect(self->stop_button, "clicked", G_CALLBACK(on_stop_clicked), self);
  self->status_label = gtk_label_new(_("Not started."));
  gtk_label_set_xalign(GTK_LABEL(self->status_label), 0);
  gtk_widget_set_hexpand(self->status_label, TRUE);
  gtk_label_set_ellipsize(GTK_LABEL(self->status_label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class(self->status_label, "dim-label");
  gtk_widget_add_css_class(self->status_label, "numeric");
  gtk_box_append(GTK_BOX(self->controls), self->start_button);
  gtk_box_append(GTK_BOX(self->controls), self->pause_button);
  gtk_box_append(GTK_BOX(self->controls), self->stop_button);
  gtk_box_append(GTK_BOX(self->controls), self->status_label);

  self->plot = g_object_new(SR_TYPE_PAGE_TRAIN_PLOT, NULL);
  SR_PAGE_TRAIN_PLOT(self->plot)->page = self;
  gtk_widget_set_size_request(self->plot, -1, 220);
  gtk_widget_set_vexpand(self->plot, TRUE);
  gtk_widget_set_hexpand(self->plot, TRUE);
  gtk_stack_add_titled(GTK_STACK(self->view_stack), self->plot, "loss", _("Loss"));
  gtk_widget_set_name(self->view_stack, "train-views");

  self->gallery = sr_train_gallery_new();
  gtk_widget_set_vexpand(self->gallery, TRUE);
  gtk_stack_add_titled(GTK_STACK(self->view_stack), self->gallery, "gallery",
                       _("Contact sheets and preview"));
}

static void
on_project_changed(SrProject *project, const char *description, SrPageTrain *self)
{
  SrTrainingSettings t;
  sr_project_get_training(project, &t);
  g_autofree char *key =
      g_strdup_printf("%d %d %d %s", (int)t.model_size, t.patch, t.batch, t.backend);
  const char *old = g_object_get_data(G_OBJECT(self), "estimate-key");
  gboolean steps_only = g_strcmp0(old, key) == 0;

  /* The project now holds valid settings (an accepted edit, undo, a load):
   * whatever the form refused before no longer applies. */
  if (!self->syncing) {
    show_settings_message(self, NULL);
    sr_ui_set_class(self->lr, "error", FALSE);
  }
  refresh(self);
  /* Only model, patch, batch and backend change the time of a step; other
   * edits just rescale the measured time. */
  if (!steps_only) {
    g_object_set_data_full(G_OBJECT(self), "estimate-key", g_steal_pointer(&key), g_free);
    schedule_estimate(self);
  } else if (!is_running(self)) {
    show_estimate(self);
  }
  const char *ck = sr_project_get_checkpoint(project);
  g_autofree char *in_use = ck ? sr_project_resolve_path(project, ck) : NULL;
  if (g_strcmp0(in_use, g_object_get_data(G_OBJECT(self->ckpt_list), "in-use")) != 0)
    rebuild_rows(self);
}

static void
set_project(SrPageTrain *self, SrProject *project)
{
  if (self->project == project)
    return;
  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_set_object(&self->project, project);
  g_clear_pointer(&self->scanned_key, g_free);
  if (!self->job) {
    /* Nothing of another project's run stays on show; the scan lists this
     * project's checkpoints. */
    g_array_set_size(self->points, 0);
    g_array_set_size(self->rows, 0);
    reset_plot(self);
    self->run_steps = 0;
    rebuild_rows(self);
    sr_train_gallery_clear(SR_TRAIN_GALLERY(self->gallery));
    gtk_label_set_text(GTK_LABEL(self->status_label), _("Not started."));
    gtk_widget_queue_draw(self->plot);
  }
  g_object_set_data(G_OBJECT(self), "estimate-key", NULL);
  if (project) {
    self->changed_handler =
        g_signal_connect(project, "changed", G_CALLBACK(on_project_changed), self);
    on_project_changed(project, NULL, self);
  }
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PROJECT]);
}

static void
sr_page_train_dispose(GObject *object)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
  g_clear_handle_id(&self->poll_id, g_source_remove);
  g_clear_handle_id(&self->estimate_timeout, g_source_remove);
  if (self->estimate_cancel) {
    g_cancellable_cancel(self->estimate_cancel);
    g_clear_object(&self->estimate_cancel);
  }
  if (self->scan_cancel) {
    g_cancellable_cancel(self->scan_cancel);
    g_clear_object(&self->scan_cancel);
  }
  if (self->devices_cancel) {
    g_cancellable_cancel(self->devices_cancel);
    g_clear_object(&self->devices_cancel);
  }
  if (self->job) {
    atomic_store(&self->log->pause, false);
    sr_job_cancel(self->job);
  }
  g_clear_object(&self->job);
  if (self->log) {
    train_log_unref(self->log);
    self->log = NULL;
  }
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_TRAIN);
  G_OBJECT_CLASS(sr_page_train_parent_class)->dispose(object);
}

static void
sr_page_train_finalize(GObject *object)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);

  g_array_unref(self->points);
  g_array_unref(self->rows);
  g_array_unref(self->patch_values);
  g_ptr_array_unref(self->resume_buttons);
  g_free(self->scanned_key);
  g_free(self->status_text);
  G_OBJECT_CLASS(sr_page_train_parent_class)->finalize(object);
}

static void
sr_page_train_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    g_value_set_object(value, SR_PAGE_TRAIN(object)->project);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_train_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    set_project(SR_PAGE_TRAIN(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_train_class_init(SrPageTrainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_page_train_dispose;
  object_class->finalize = sr_page_train_finalize;
  object_class->get_property = sr_page_train_get_property;
  object_class->set_property = sr_page_train_set_property;
  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  g_type_ensure(SR_TYPE_TRAIN_GALLERY);
  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-train.ui");
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, settings_card);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, settings_grid);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, settings_message);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, estimate_spinner);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, estimate_label);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, facts_data);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, controls);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, view_stack);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, ckpt_list);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, ckpt_caption);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, ckpt_scroller);
}

static void
sr_page_train_init(SrPageTrain *self)
{
  self->points = g_array_new(FALSE, FALSE, sizeof(LossPoint));
  self->rows = ckpt_array_new();
  self->patch_values = g_array_new(FALSE, FALSE, sizeof(int));
  self->resume_buttons = g_ptr_array_new();
  self->seconds_per_step = -1;
  reset_plot(self);
  gtk_widget_init_template(GTK_WIDGET(self));
  build_settings(self);
  build_monitor(self);
  gtk_widget_set_visible(self->estimate_spinner, FALSE);
  rebuild_rows(self);
  update_controls(self);
  g_signal_connect(self, "map", G_CALLBACK(on_map), self);
  g_signal_connect(self, "unmap", G_CALLBACK(on_unmap), self);
  list_devices(self);
}
