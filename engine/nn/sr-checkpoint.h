/* sr-checkpoint.h — trained models on disk (.safetensors).
 *
 * A checkpoint holds every tensor of the U-Net under its stable name (see
 * sr-unet.h), optionally the Adam moments as "adam.m.<name>" and
 * "adam.v.<name>" so training resumes exactly, and in "__metadata__" the
 * facts that make it reproducible and traceable: format and version,
 * architecture and size, step, the full training configuration, the data
 * hash, pair / held-out / preview frames, crop, pre-filter, colour spaces and
 * training domain, the RNG state, creation date, tool version and model id.
 *
 * The model id is the SHA-256 of the configuration line (architecture,
 * size, width, levels) followed by every weight tensor's name, shape and
 * little-endian bytes, in parameter order; its first 12 hex digits are the
 * short id shown wherever a model is named. Adam moments and metadata do
 * not change it.
 *
 * Metadata keys (all strings): format ("spatial-recovery-checkpoint"),
 * format_version, arch, model_size, base_width, levels, step, config (JSON
 * object), data_hash, pairs / held_out (JSON arrays of Source frames),
 * preview_frame, reference_offset, crop (JSON [x, y, w, h], w 0 = whole
 * frame), prefilter, source_colourspace, reference_colourspace,
 * training_domain, ycbcr_matrix, rng_state (4 × 16 hex digits), loss,
 * psnr_y_before, psnr_y_after ("nan" when unknown, "inf" for identical), created, tool,
 * tool_version, adam ("true"/"false"), model_id; with a linear branch
 * (sr-linear.h) also linear_branch ("luma-9x9-cubic") and the tensors
 * "linear.filter" and "linear.tone", which the model id then covers too. A
 * checkpoint without them loads as a network without the branch.
 *
 * Loading validates the whole file (see sr-safetensors.h), then the
 * metadata, then that the tensor set is exactly the architecture's (names
 * and shapes, Adam moments all or none) before any value reaches a network.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sr-error.h"
#include "sr-pairs.h"
#include "sr-unet.h"

#define SR_CHECKPOINT_FORMAT  "spatial-recovery-checkpoint"
#define SR_CHECKPOINT_VERSION 1
#define SR_CHECKPOINT_ARCH    "luma-residual-unet"
#define SR_MODEL_ID_SHORT     12
#define SR_CHECKPOINT_LINEAR  "luma-9x9-cubic"

typedef struct sr_checkpoint_meta {
  sr_unet_size size;
  int64_t step;
  char *config_json;  /* the training configuration (sr_train_config_to_json) */
  char data_hash[65]; /* SHA-256 of the built pairs, hex */
  int *pairs;         /* training frames (Source numbering) */
  int n_pairs;
  int *held_out;
  int n_held_out;
  int preview_frame;     /* -1 when none */
  int reference_offset;  /* Reference frame = Source frame + offset */
  sr_prep_settings prep; /* crop, pre-filter, colour spaces, YCbCr matrix */
  uint64_t rng_state[4]; /* the trainer's RNG after `step` steps */
  double loss;           /* mean training loss near `step`; NaN if unknown */
  double psnr_before;    /* held-out PSNR of Y, Source vs Reference; NaN if none */
  double psnr_after;     /* held-out PSNR of Y, output vs Reference */
  char created[32];      /* UTC, ISO 8601 */
  char tool_version[32];
  char model_id[65]; /* filled by save and load */
} sr_checkpoint_meta;

/* Zeroes meta with NaN metrics, preview -1 and default prep settings. */
void sr_checkpoint_meta_init(sr_checkpoint_meta *meta);
/* Frees the owned arrays/strings and re-initialises. */
void sr_checkpoint_meta_clear(sr_checkpoint_meta *meta);
/* Deep copy into dst (which is overwritten, not cleared). */
bool sr_checkpoint_meta_copy(sr_checkpoint_meta *dst, const sr_checkpoint_meta *src, sr_error *err);

/* Model id of a network's current weights (hex, 64 digits + NUL). */
bool sr_model_id(sr_unet *net, char out[65], sr_error *err);
/* Same from host weights laid out as sr_unet_export(SR_UNET_PARAMS). */
void sr_model_id_from_host(sr_unet *net, const float *params, char out[65]);
/* First SR_MODEL_ID_SHORT hex digits of an id into out (13 bytes). */
void sr_model_id_short(const char *id, char out[SR_MODEL_ID_SHORT + 1]);

/* Writes the network (and with_adam: its Adam moments) atomically. `created`
 * and `tool_version` are filled when empty; meta->model_id is ignored and
 * the id written is returned in model_id_out (may be NULL). */
bool sr_checkpoint_save(const char *path, sr_unet *net, const sr_checkpoint_meta *meta,
                        bool with_adam, char model_id_out[65], sr_error *err);

/* Loads a checkpoint onto a backend: validates everything, then creates the
 * network and imports its weights (and Adam moments when present; *has_adam
 * tells, may be NULL). meta (may be NULL) receives the metadata. */
sr_unet *sr_checkpoint_load(const char *path, sr_backend *be, sr_checkpoint_meta *meta,
                            bool *has_adam, sr_error *err);

/* Validates a checkpoint and reads its metadata without any backend. */
bool sr_checkpoint_read_meta(const char *path, sr_checkpoint_meta *meta, sr_error *err);
