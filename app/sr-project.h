/* sr-project.h — the project document.
 *
 * One SrProject is one shot (or reel) being restored: the Source and
 * Reference sequences, the pairs chosen for training, held-out and preview
 * frames, the shared crop and pre-filter, training settings, render/delivery
 * settings and the provenance fields that end up in the masters' headers.
 *
 * Stored as JSON (json-glib) with a "schema" version number. Saving is atomic.
 * Loading validates every field and fails with a GError naming the field
 * ("pairs[2]: expected a frame number") and the file.
 *
 * Every edit goes through a setter that emits "changed" (with a short
 * description of the edit, for undo labels) and sets "modified". Scalars are
 * GObject properties so the UI can bind to them. Frame numbers are always
 * Source frame numbers; the Reference frame is frame + reference-offset.
 */
#pragma once

#include <gio/gio.h>

#include "sr-colour.h"
#include "sr-fs.h"
#include "sr-image.h"
#include "sr-frame-map.h"
#include "sr-pairs.h"

G_BEGIN_DECLS

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(sr_frame_map, sr_frame_map_clear)

#define SR_PROJECT_SCHEMA 1

#define SR_PROJECT_ERROR (sr_project_error_quark())
GQuark sr_project_error_quark(void);

typedef enum {
  SR_PROJECT_ERROR_PARSE,   /* not JSON / not a project */
  SR_PROJECT_ERROR_FIELD,   /* a field is missing or has a bad value */
  SR_PROJECT_ERROR_VERSION, /* written by a newer schema */
  SR_PROJECT_ERROR_IO,
} SrProjectError;

typedef enum {
  SR_MODEL_SIZE_S = 0,
  SR_MODEL_SIZE_M,
  SR_MODEL_SIZE_L,
} SrModelSize;

typedef struct {
  SrModelSize model_size;   /* M */
  int patch;                /* 512 (256 when the crop is small) */
  int batch;                /* 3 */
  int steps;                /* 40000 */
  int checkpoint_every;     /* 10000 */
  int contact_sheet_every;  /* 100 */
  double learning_rate;     /* 2e-4 */
  int warmup_steps;         /* 1000 */
  gboolean cosine_decay;    /* TRUE */
  gboolean flip;            /* horizontal flip: TRUE */
  gboolean exposure_jitter; /* ±0.1: FALSE */
  gboolean scale_jitter;    /* ±5 %: FALSE */
  double translate_px;      /* max random translate in pixels: 4 */
  guint64 seed;             /* 1 */
  char backend[16];         /* "auto", "cpu", "cuda" */
} SrTrainingSettings;

typedef struct {
  char *film_title;
  char *shot_id;
  char *source_element;   /* e.g. "16mm print" */
  char *reference_source; /* e.g. "35mm internegative" */
  char *restorationist;
  char *institution;
  char *notes;
} SrProvenance;

/* A frame the archivist flagged while reviewing a render. */
typedef struct {
  int frame;
  char *reason;
} SrFlag;

#define SR_TYPE_PROJECT (sr_project_get_type())
G_DECLARE_FINAL_TYPE(SrProject, sr_project, SR, PROJECT, GObject)

SrProject *sr_project_new(void);
SrProject *sr_project_load(GFile *file, GError **error);
SrProject *sr_project_load_from_data(const char *json, gsize len, const char *origin,
                                     GError **error);
gboolean sr_project_save(SrProject *self, GFile *file, GError **error);
/* Serialises to a JSON string (caller frees): also the undo snapshot. */
char *sr_project_to_data(SrProject *self, gsize *len);
/* Replaces the whole state from a snapshot (undo/redo); emits "changed". */
gboolean sr_project_restore(SrProject *self, const char *json, GError **error);

/* The file the project was loaded from or last saved to (may be NULL).
 * Relative sequence paths are resolved against its folder. */
GFile *sr_project_get_file(SrProject *self);
/* Absolute path for a path stored in the project (caller frees); NULL for
 * NULL or "". */
char *sr_project_resolve_path(SrProject *self, const char *path);
/* A copy for a worker thread to read while the main loop goes on editing
 * this one: sequence patterns, output folder and checkpoint made absolute,
 * because the copy has no file of its own to resolve relative paths
 * against. NULL with error only if the state fails to load back. */
SrProject *sr_project_copy_for_thread(SrProject *self, GError **error);

/* Properties: "name", "source-pattern", "reference-pattern",
 * "source-colourspace", "reference-colourspace" (ids from sr-colour.h),
 * "reference-offset", "preview-frame" (-1 = none), "prefilter" (id),
 * "output-folder", "version" (delivery version, e.g. "v001"),
 * "checkpoint" (path of the model chosen for rendering), "modified", and
 * the read-only "file". Colour spaces and the pre-filter are int properties
 * holding the sr_colourspace / sr_prefilter value. String getters never
 * return NULL ("" when unset). sr_project_set_modified() only notifies: it
 * is not an edit and emits no "changed". */
const char *sr_project_get_name(SrProject *self);
void sr_project_set_name(SrProject *self, const char *name);
const char *sr_project_get_source_pattern(SrProject *self);
void sr_project_set_source_pattern(SrProject *self, const char *pattern);
const char *sr_project_get_reference_pattern(SrProject *self);
void sr_project_set_reference_pattern(SrProject *self, const char *pattern);
sr_colourspace sr_project_get_source_colourspace(SrProject *self);
void sr_project_set_source_colourspace(SrProject *self, sr_colourspace cs);
sr_colourspace sr_project_get_reference_colourspace(SrProject *self);
void sr_project_set_reference_colourspace(SrProject *self, sr_colourspace cs);
/* OpenColorIO: the config as stored (relative to the project's folder where
 * it lies inside it; "" means $OCIO), the absolute path in use (NULL when
 * neither is set), and per sequence a space of it ("" for none) that
 * replaces the colour space above. */
const char *sr_project_get_ocio_config(SrProject *self);
char *sr_project_get_ocio_config_path(SrProject *self);
void sr_project_set_ocio_config(SrProject *self, const char *path);
const char *sr_project_get_ocio_space(SrProject *self, gboolean source);
void sr_project_set_ocio_space(SrProject *self, gboolean source, const char *name);
/* "ACES2065-1", or "ARRI LogC3 (OCIO)" when an OCIO space is chosen. */
char *sr_project_describe_space(SrProject *self, gboolean source);
int sr_project_get_reference_offset(SrProject *self);
void sr_project_set_reference_offset(SrProject *self, int offset);
/* The whole frame map (sr-frame-map.h): the offset above plus an optional
 * pulldown cadence and breaks. get fills out (caller clears it); set
 * validates, copies and records one edit. */
void sr_project_get_frame_map(SrProject *self, sr_frame_map *out);
gboolean sr_project_set_frame_map(SrProject *self, const sr_frame_map *map, GError **error);
/* The clean Reference frame for a Source frame, or SR_NO_FRAME where the
 * map has none (its picture is only in field-mixed frames, or was lost). */
int sr_project_reference_frame(SrProject *self, int source_frame);
int sr_project_get_preview_frame(SrProject *self);
/* Refuses (returns FALSE, sets error) a preview frame that is a training pair. */
gboolean sr_project_set_preview_frame(SrProject *self, int frame, GError **error);
sr_prefilter sr_project_get_prefilter(SrProject *self);
void sr_project_set_prefilter(SrProject *self, sr_prefilter p);
/* Crop in Source buffer coordinates; w == 0 means the whole frame. */
sr_rect sr_project_get_crop(SrProject *self);
void sr_project_set_crop(SrProject *self, sr_rect crop);
const char *sr_project_get_output_folder(SrProject *self);
void sr_project_set_output_folder(SrProject *self, const char *folder);
const char *sr_project_get_version(SrProject *self);
void sr_project_set_version(SrProject *self, const char *version);
const char *sr_project_get_checkpoint(SrProject *self);
void sr_project_set_checkpoint(SrProject *self, const char *path);
gboolean sr_project_get_modified(SrProject *self);
void sr_project_set_modified(SrProject *self, gboolean modified);

/* The film's frame rate ("frame-rate", a double property): what Review
 * plays at and delivery timecode counts at when the Source states none.
 * 1 to 120 frames a second; fractional rates (23.976, 29.97) are kept to a
 * thousandth. Preset from the Source's metadata when the Source is chosen,
 * else 24; frame_rate_from says where it came from. Old project files
 * without it read as 24, from the default. */
typedef enum {
  SR_RATE_FROM_DEFAULT = 0, /* 24: nothing stated another rate */
  SR_RATE_FROM_EXR,         /* the Source's EXR framesPerSecond attribute */
  SR_RATE_FROM_DPX,         /* the Source's DPX frame rate field */
  SR_RATE_FROM_MOVIE,       /* the Source movie's stream rate */
  SR_RATE_FROM_USER,        /* typed by the user */
} SrRateFrom;
#define SR_FRAME_RATE_DEFAULT 24.0
#define SR_FRAME_RATE_MIN     1.0
#define SR_FRAME_RATE_MAX     120.0
double sr_project_get_frame_rate(SrProject *self);
SrRateFrom sr_project_get_frame_rate_from(SrProject *self);
/* Validates (sr_frame_rate_validate) and records one edit. */
gboolean sr_project_set_frame_rate(SrProject *self, double fps, SrRateFrom from, GError **error);
/* The whole frames a second timecode counts at: 23.976 counts at 24. */
int sr_project_timecode_fps(SrProject *self);
/* Opens the Source and sets the rate its metadata states, else 24; FALSE
 * with a message naming the file when the Source cannot be opened or its
 * rate field is malformed. */
gboolean sr_project_preset_frame_rate(SrProject *self, GError **error);
/* FALSE with "<field>: … is not a frame rate (1 to 120 …)" when out of range. */
gboolean sr_frame_rate_validate(double fps, const char *field, GError **error);
/* What a Source's metadata states: a movie's stream rate, else the first
 * frame's EXR framesPerSecond or DPX frame rate (header only). FALSE when
 * it states none; err is set when a header could not be read. */
struct sr_sequence;
struct sr_error;
gboolean sr_frame_rate_detect(const struct sr_sequence *seq, double *fps, SrRateFrom *from,
                              struct sr_error *err);
/* "23.976", "24", "29.97" (caller frees). */
char *sr_frame_rate_to_string(double fps);
/* A sentence saying where the rate came from. */
const char *sr_frame_rate_describe_from(SrRateFrom from);
/* The file's ids ("default", "exr", "dpx", "movie", "user"). */
const char *sr_frame_rate_from_id(SrRateFrom from);
gboolean sr_frame_rate_from_from_id(const char *id, SrRateFrom *out);

/* Frame sets (sorted, unique Source frame numbers). A frame is in at most
 * one of pairs and held-out: adding it to one removes it from the other,
 * except that held-out frames are never turned into pairs silently —
 * sr_project_add_pair() refuses a held-out frame with an error. */
const GArray *sr_project_get_pairs(SrProject *self); /* of int */
gboolean sr_project_add_pair(SrProject *self, int frame, GError **error);
/* What sr_project_add_pair() would refuse, without adding. */
gboolean sr_project_check_pair(SrProject *self, int frame, GError **error);
/* Adds every frame that sr_project_check_pair() accepts and is not a pair
 * yet, as one edit (one undo step); returns how many were added. */
guint sr_project_add_pairs(SrProject *self, const int *frames, guint n);
gboolean sr_project_remove_pair(SrProject *self, int frame);
gboolean sr_project_has_pair(SrProject *self, int frame);
const GArray *sr_project_get_held_out(SrProject *self); /* of int */
gboolean sr_project_add_held_out(SrProject *self, int frame, GError **error);
gboolean sr_project_remove_held_out(SrProject *self, int frame);
gboolean sr_project_is_held_out(SrProject *self, int frame);

/* Flags from review: frame + reason. Adding a flag for a frame replaces
 * its reason. */
const GArray *sr_project_get_flags(SrProject *self); /* of SrFlag */
void sr_project_add_flag(SrProject *self, int frame, const char *reason);
gboolean sr_project_remove_flag(SrProject *self, int frame);

void sr_project_get_training(SrProject *self, SrTrainingSettings *out);
/* Validates ranges (patch multiple of 16 in 64..2048, batch 1..64, ...). */
gboolean sr_project_set_training(SrProject *self, const SrTrainingSettings *s, GError **error);
void sr_training_settings_init(SrTrainingSettings *s);

const SrProvenance *sr_project_get_provenance(SrProject *self);
void sr_project_set_provenance(SrProject *self, const SrProvenance *p);

/* Acceptance checklist ticked in review, by id ("sharper-edges", "grain",
 * "no-flicker", "no-colour-shift", "no-halos"). */
gboolean sr_project_get_accepted(SrProject *self, const char *item);
void sr_project_set_accepted(SrProject *self, const char *item, gboolean accepted);

/* The engine's view of the preprocessing. */
/* The project's Source and Reference frames as inputs no output may replace
 * (sr_file_set, sr-fs.h); a sequence that cannot be opened has no frames
 * to protect. Caller frees with sr_file_set_free(). */
sr_file_set *sr_project_input_files(SrProject *self);
void sr_project_get_prep_settings(SrProject *self, sr_prep_settings *out);

/* Runs the project-level and per-pair Stage 3 checks (reads frames; call
 * off the main thread). Frame-level problems become FAIL lines, not errors. */
void sr_project_check(SrProject *self, sr_check_report *report);
/* The same checks, handing every pair that was built to `func` after its
 * checks ran (the pair and frames are freed when func returns). Used by
 * `prepare` to write the pairs without building them twice. */
typedef void (*SrProjectPairFunc)(const sr_pair *pair, gpointer user_data);
void sr_project_check_with_pairs(SrProject *self, sr_check_report *report, SrProjectPairFunc func,
                                 gpointer user_data);
/* The checks of the two sequences' first headers (either may be NULL):
 * each against its declared colour space ("source-colour",
 * "reference-colour": WARN naming what the file says), both the same frame
 * size ("reference-size": FAIL naming both sizes), and the Source range
 * meeting the Reference range through the offset ("reference-range"). Part
 * of sr_project_check; reads headers only. */
/* The messages of those checks, for the Project stage to show as soon as
 * the sequences are chosen: NULL when the sizes agree / the ranges meet. */
struct sr_image_info;
char *sr_project_describe_size_mismatch(const struct sr_image_info *src,
                                        const struct sr_image_info *ref);
char *sr_project_describe_ranges_apart(SrProject *self, int src_first, int src_last, int ref_first,
                                       int ref_last);
struct sr_sequence;
void sr_project_check_sequence_headers(SrProject *self, const struct sr_sequence *src,
                                       const struct sr_sequence *ref, sr_check_report *report);

G_END_DECLS
