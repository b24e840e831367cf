/* sr-delivery.h — Stage 5 delivery: EXR masters with provenance, sidecars.
 *
 * From the frames a render wrote (Source colour space, Source size) the
 * delivery writes one EXR master per frame in the delivery colour space
 * (ACES2065-1 by default) with that space's chromaticities, ZIP or DWAA
 * compression, and provenance string attributes; then one JSON and one
 * plain-text sidecar for the shot. Names carry shot, version and model id:
 * SHOT_v001_m1a2b3c4d5e6.%04d.exr, .json, .txt.
 *
 * Every file is written atomically. A master that already exists is kept
 * (the delivery resumes); a missing rendered frame anywhere in the range is
 * reported before anything is written; an unwritable folder or a full disk
 * stops with an error naming the folder or file, leaving no partial file.
 * Finally every master is read back and its size, chromaticities and model
 * id checked.
 */
#pragma once

#include <gio/gio.h>

#include "sr-colour.h"
#include "sr-io.h"
#include "sr-delivery-reel.h"
#include "sr-project.h"
#include "sr-signoff.h"

G_BEGIN_DECLS

#define SR_DELIVERY_ERROR (sr_delivery_error_quark())
GQuark sr_delivery_error_quark(void);

typedef enum {
  SR_DELIVERY_ERROR_INVALID,    /* bad option or project field */
  SR_DELIVERY_ERROR_MISSING,    /* a rendered frame or the render itself is missing */
  SR_DELIVERY_ERROR_UNWRITABLE, /* the output folder cannot be created or written */
  SR_DELIVERY_ERROR_NOSPACE,    /* the disk is full (or a size limit was hit) */
  SR_DELIVERY_ERROR_IO,         /* any other read/write failure */
  SR_DELIVERY_ERROR_CHECKPOINT, /* the model facts cannot be found or disagree */
  SR_DELIVERY_ERROR_VERIFY,     /* a master did not read back as written */
  SR_DELIVERY_ERROR_CANCELLED,
  SR_DELIVERY_ERROR_UNSUPPORTED, /* e.g. DWAA with an OpenEXR library that cannot write it */
  SR_DELIVERY_ERROR_GATE,        /* unreviewed, unaccepted or flagged, and no override */
} SrDeliveryError;

/* What the provenance says about the model that made the render. */
typedef struct {
  char model_id[65]; /* full SHA-256 hex */
  char model_id_short[13];
  gint64 steps;
  char model_size[8]; /* "S", "M", "L" */
  char architecture[48];
  char training_date[32];  /* ISO 8601 UTC from the checkpoint */
  GArray *training_frames; /* of int, Source numbering */
  GArray *held_out_frames; /* of int */
  char *checkpoint_path;
  double psnr_before, psnr_after; /* held-out PSNR recorded at training; NaN if none */
} SrCheckpointFacts;

/* The one place checkpoint facts come from: the checkpoint the project names
 * (or `checkpoint`, when not NULL), else checkpoints/latest.safetensors of
 * the newest training run (sr_training_current_run_dir), read with
 * sr_checkpoint_read_meta().
 * Fails with SR_DELIVERY_ERROR_CHECKPOINT naming the file. */
gboolean sr_checkpoint_facts_lookup(SrProject *project, const char *checkpoint,
                                    SrCheckpointFacts *out, GError **error);
/* The path that sr_checkpoint_facts_lookup() reads: `checkpoint` when not NULL, else the
 * project's checkpoint, else latest.safetensors of the newest training run;
 * NULL when there is none. Caller frees. */
char *sr_checkpoint_facts_path(SrProject *project, const char *checkpoint);
void sr_checkpoint_facts_clear(SrCheckpointFacts *f);

/* Render pattern the render command writes for a project by default:
 * <output-folder>/render/<shot>_<version>_m<model id, 12 digits>.%0Nd.exr, N the
 * Source's padding (sr_delivery_frame_digits), the model being the project's
 * checkpoint (sr_checkpoint_facts_lookup). When that checkpoint cannot be
 * read, or only a render under the earlier name
 * <output-folder>/render/<name>_<version>.%06d.exr exists, that earlier name.
 * Caller frees; NULL without an output folder. */
char *sr_delivery_default_render_pattern(SrProject *project);
/* <output-folder>/render/<shot>_<version>_m<model_id_short>.%0Nd.exr: the
 * name a render by that model gets; a render of it begun under six-digit
 * names (before they followed the Source) keeps them. Caller frees; NULL
 * without an output folder. */
char *sr_delivery_render_pattern(SrProject *project, const char *model_id_short);
/* Digits of the frame numbers a render and a delivery write: the Source's
 * padding ("%04d" → 4), 4 when the Source is unpadded or a movie. */
int sr_delivery_frame_digits(SrProject *project);
/* Shot id for names: the provenance shot id, else the project name, made
 * safe for file names (letters, digits, '-', '_'). Caller frees. */
char *sr_delivery_shot_name(SrProject *project);
/* "SHOT_v001_m1a2b3c4d5e6" (caller frees). */
char *sr_delivery_base_name(SrProject *project, const char *model_id_short);

/* IPTC digital source type terms. */
#define SR_IPTC_TRAINED    "trainedAlgorithmicMedia"
#define SR_IPTC_COMPOSITE  "compositeWithTrainedAlgorithmicMedia"
#define SR_IPTC_URI_PREFIX "http://cv.iptc.org/newscodes/digitalsourcetype/"

/* Ordered provenance key/value pairs (EXR attribute names), as a
 * NULL-terminated strv of alternating keys and values (g_strfreev).
 * merged: the recovered crop was merged over the original frame. */
char **sr_delivery_provenance(SrProject *project, const SrCheckpointFacts *facts, int first,
                              int last, sr_colourspace space, const char *ocio_space,
                              gboolean merged, const char *date_iso);

typedef struct {
  const char *render_pattern;     /* NULL: sr_delivery_default_render_pattern() */
  const char *out_dir;            /* NULL: <output-folder>/delivery */
  int first, last;                /* first > last: the render's whole range */
  sr_exr_compression compression; /* SR_EXR_ZIP or SR_EXR_DWAA */
  sr_colourspace space;           /* default SR_CS_ACES2065_1 */
  /* Non-NULL: deliver in this space of the project's OpenColorIO config
   * instead of `space`; the masters then carry no chromaticities (the
   * config, not the file, defines the space) and name it and the config. */
  const char *ocio_space;
  const char *checkpoint; /* NULL: the project's */
  const char *note_path;  /* validation note to list in the sidecars, or NULL */
  /* Sign-off (sr-signoff.h): what QA found and whether a render runs. */
  SrGateInput gate;
  /* An override recorded in the project (sr_project_add_override); NULL:
   * the delivery is refused while the gate lists anything. */
  const SrOverride *override;
  /* Fixity (sr-fixity.h): manifest-sha256.txt always; MD5 beside it; the
   * delivery folder as a BagIt bag (masters and sidecars under data/). */
  gboolean md5;
  gboolean bagit;
} SrDeliveryOptions;

void sr_delivery_options_init(SrDeliveryOptions *o);

typedef struct {
  char *out_dir;
  char *master_pattern; /* printf pattern of the masters */
  char *json_path, *text_path;
  int first, last;
  int written, skipped;
  gboolean merged;
  SrCheckpointFacts facts;
  SrReelFacts reel;
  char **overridden;   /* the blockers an override let through (NULL: none) */
  char *manifest_path; /* manifest-sha256.txt */
  int n_manifested;    /* files the manifest lists for this delivery */
} SrDeliveryResult;

void sr_delivery_result_clear(SrDeliveryResult *r);

/* Called after each frame (status "written", "skipped", "verified"). */
typedef void (*SrDeliveryProgress)(int done, int total, int frame, const char *status,
                                   gpointer user_data);

gboolean sr_delivery_run(SrProject *project, const SrDeliveryOptions *opts,
                         SrDeliveryProgress progress, gpointer user_data, GCancellable *cancellable,
                         SrDeliveryResult *out, GError **error);

G_END_DECLS
