/* sr-safetensors.h — reading and writing .safetensors files (F32 only).
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON, then the
 * raw little-endian tensor data. The JSON maps each tensor name to
 * {"dtype":"F32","shape":[...],"data_offsets":[begin,end]} (offsets relative
 * to the start of the data) and may hold "__metadata__", a string→string map.
 *
 * Reading validates the whole header before any tensor data is read: header
 * length against the file size, well-formed JSON, dtype F32 only, shapes
 * whose element count matches the byte range, offsets in range, and ranges
 * that are contiguous, non-overlapping and cover the data exactly. Nothing
 * in a file is ever executed or interpreted beyond this.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sr-error.h"

#define SR_TENSOR_MAX_DIMS 8
/* Headers larger than this are refused (the format's own limit is 100 MB). */
#define SR_SAFETENSORS_MAX_HEADER (16u << 20)
/* Files larger than this are refused. */
#define SR_SAFETENSORS_MAX_FILE (4ull << 30)

typedef struct sr_st_tensor {
  char *name;
  int ndim;
  int64_t shape[SR_TENSOR_MAX_DIMS];
  size_t count; /* product of shape */
  float *data;  /* count floats (owned by the file object when read) */
} sr_st_tensor;

typedef struct sr_st_meta {
  char *key;
  char *value;
} sr_st_meta;

typedef struct sr_safetensors {
  char *path;
  int n_tensors;
  sr_st_tensor *tensors; /* in data-offset order */
  int n_meta;
  sr_st_meta *meta;
  /* Between sr_safetensors_read_header() and _read_data(): the open file,
   * where its data starts, and each tensor's offset in the data. */
  FILE *fp;
  uint64_t data_start;
  size_t *offsets;
} sr_safetensors;

/* Writes tensors (data not owned) and metadata atomically; tensors are laid
 * out in the given order. Names must be unique and not "__metadata__". */
bool sr_safetensors_write(const char *path, const sr_st_tensor *tensors, int n_tensors,
                          const sr_st_meta *meta, int n_meta, sr_error *err);

/* Validates the header (see above); on success reads the data. */
sr_safetensors *sr_safetensors_read(const char *path, sr_error *err);
/* Validates the header only and keeps the file open: names, shapes and
 * metadata are there, every tensor's data is NULL. A caller checks what
 * the file claims to be before paying for its tensors. */
sr_safetensors *sr_safetensors_read_header(const char *path, sr_error *err);
/* Reads the tensors of a file opened by sr_safetensors_read_header(), one
 * at a time straight into their own buffers, and closes it. */
bool sr_safetensors_read_data(sr_safetensors *st, sr_error *err);
/* Parses a file image already in memory (used by the reader and tests). */
sr_safetensors *sr_safetensors_parse(const void *bytes, size_t len, const char *path,
                                     sr_error *err);
void sr_safetensors_free(sr_safetensors *st);

const sr_st_tensor *sr_safetensors_find(const sr_safetensors *st, const char *name);
const char *sr_safetensors_meta(const sr_safetensors *st, const char *key);
