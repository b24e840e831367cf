/* sr-project-private.h — SrProject's instance and the helpers its files
 * share: sr-project.c (the object, accessors and edits), sr-project-sets.c
 * (frame sets, flags, training settings, provenance, acceptance), sr-project-json.c
 * (serialisation and validating parse) and sr-project-checks.c (the Stage 3
 * checks over the real frames). Nothing outside app/sr-project*.c includes
 * it. */
#pragma once

#include "sr-project.h"
#include "sr-signoff.h"

G_BEGIN_DECLS

/* Project files are small; anything bigger is not one of ours. */
#define MAX_PROJECT_BYTES (16 * 1024 * 1024)
/* A project is a few levels deep; anything past this is not one of ours. */
#define MAX_PROJECT_NESTING 64
/* Frame numbers we accept: covers ten-digit-free sequence numbering. */
#define MAX_FRAME  9999999
#define MAX_OFFSET 1000000
#define MAX_STEPS  100000000

struct _SrProject {
  GObject parent_instance;

  GFile *file;
  gboolean modified;

  char *name;
  char *source_pattern;
  char *reference_pattern;
  sr_colourspace source_cs;
  sr_colourspace reference_cs;
  /* OpenColorIO: a config file (relative to the project where possible; ""
   * means $OCIO) and, per sequence, a space of it replacing source_cs /
   * reference_cs when not "". */
  char *ocio_config;
  char *source_ocio, *reference_ocio;
  int reference_offset;
  sr_frame_map reference_map; /* cadence and breaks; its offset is reference_offset */
  int preview_frame;          /* -1: none */
  sr_prefilter prefilter;
  sr_rect crop;
  char *output_folder;
  char *version;
  char *checkpoint;
  double frame_rate; /* the film's, 1..120 (sr-project-rate.c) */
  SrRateFrom frame_rate_from;

  GArray *pairs;        /* int, sorted, unique */
  GArray *held_out;     /* int, sorted, unique */
  GArray *flags;        /* SrFlag, sorted by frame */
  GPtrArray *accepted;  /* sorted item ids */
  GPtrArray *overrides; /* SrOverride*, oldest first (sr-signoff.h) */

  SrTrainingSettings training;
  SrProvenance provenance;
};

/* Model sizes as the file writes them ("S", "M", "L"). */
extern const char *const sr_project_model_size_ids[SR_MODEL_SIZE_L + 1];

/* sr-project.c: the sorted frame sets (pairs, held out) and the training
 * settings' limits, one rule each for edits and for files. */
int sr_project_frame_search(const GArray *a, int frame);
gboolean sr_project_frame_set_insert(GArray *a, int frame);
/* Orders ints (frame numbers) for g_array_sort and bsearch. */
gint sr_project_compare_frames(gconstpointer a, gconstpointer b);
void sr_project_set_string_field(char **field, const char *value);
gboolean sr_project_training_validate(const SrTrainingSettings *s, const char *prefix,
                                      GError **error);

/* sr-project.c: marks an edit (modified, "changed") for the other files. */
void sr_project_edited(SrProject *self, const char *description);
/* Provenance strings: copied ("" for NULL) and freed (the struct zeroed). */
void sr_project_provenance_copy(SrProvenance *dst, const SrProvenance *src);
void sr_project_provenance_clear(SrProvenance *p);
/* sr-project-signoff.c */
void sr_override_free(gpointer p);

/* sr-project-json.c: fills p from a project file's text; origin names it in
 * error messages. */
gboolean sr_project_parse_into(SrProject *p, const char *json, gsize len, const char *origin,
                               GError **error);

/* The paths a project file stores, each relative to the file's folder when
 * the file lies near it (sr_project_path_for_folder). */
enum {
  SR_PROJECT_PATH_SOURCE,
  SR_PROJECT_PATH_REFERENCE,
  SR_PROJECT_PATH_OUTPUT,
  SR_PROJECT_PATH_CHECKPOINT,
  SR_PROJECT_PATH_OCIO,
  SR_PROJECT_N_PATHS
};
char **sr_project_path_field(SrProject *p, int which);
/* `path` (absolute) as a project file in `dir` stores it: relative when it
 * lies inside dir or at most two folders above it (never only through the
 * root), absolute otherwise. Caller frees. */
char *sr_project_path_for_folder(const char *path, const char *dir);
/* Rewrites every stored path for a project file about to be written into
 * `dir`; the previous values land in old[] (sr_project_paths_restore puts
 * them back when the write fails). Relative paths of a project that has no
 * file yet are kept: they already mean "beside the project". */
void sr_project_paths_rebase(SrProject *p, const char *dir, char *old[SR_PROJECT_N_PATHS]);
void sr_project_paths_restore(SrProject *p, char *old[SR_PROJECT_N_PATHS]);

G_END_DECLS
