#include "sr-safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sr-fs.h"
#include "sr-json.h"
#include "sr-i18n.h"

typedef struct pending {
  size_t begin, end;
  int index;
} pending;

static void
put_f32_le(uint8_t *o, float f)
{
  uint32_t u;
  memcpy(&u, &f, 4);
  o[0] = (uint8_t)u;
  o[1] = (uint8_t)(u >> 8);
  o[2] = (uint8_t)(u >> 16);
  o[3] = (uint8_t)(u >> 24);
}

static float
get_f32_le(const uint8_t *p)
{
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

void
sr_safetensors_free(sr_safetensors *st)
{
  if (!st)
    return;
  for (int i = 0; i < st->n_tensors; i++) {
    free(st->tensors[i].name);
    free(st->tensors[i].data);
  }
  free(st->tensors);
  for (int i = 0; i < st->n_meta; i++) {
    free(st->meta[i].key);
    free(st->meta[i].value);
  }
  free(st->meta);
  free(st->path);
  free(st->offsets);
  if (st->fp)
    fclose(st->fp);
  free(st);
}

const sr_st_tensor *
sr_safetensors_find(const sr_safetensors *st, const char *name)
{
  for (int i = 0; st && i < st->n_tensors; i++)
    if (strcmp(st->tensors[i].name, name) == 0)
      return &st->tensors[i];
  return NULL;
}

const char *
sr_safetensors_meta(const sr_safetensors *st, const char *key)
{
  for (int i = 0; st && i < st->n_meta; i++)
    if (strcmp(st->meta[i].key, key) == 0)
      return st->meta[i].value;
  return NULL;
}

/* ---- Writing -------------------------------------------------------------- */

bool
sr_safetensors_write(const char *path, const sr_st_tensor *tensors, int n_tensors,
                     const sr_st_meta *meta, int n_meta, sr_error *err)
{
  sr_json *root = sr_json_new_object();
  bool ok = root != NULL;
  if (ok && n_meta > 0) {
    sr_json *m = sr_json_new_object();
    for (int i = 0; m && i < n_meta; i++)
      if (!sr_json_set_string(m, meta[i].key, meta[i].value)) {
        sr_json_free(m);
        m = NULL;
      }
    ok = m && sr_json_set(root, "__metadata__", m);
  }
  size_t offset = 0;
  for (int i = 0; ok && i < n_tensors; i++) {
    const sr_st_tensor *t = &tensors[i];
    if (strcmp(t->name, "__metadata__") == 0 || sr_json_get(root, t->name)) {
      sr_json_free(root);
      sr_error_set(err, SR_ERR_INVALID, SR_("%s: tensor name \"%s\" is reserved or used twice"),
                   path, t->name);
      return false;
    }
    sr_json *e = sr_json_new_object(), *shape = sr_json_new_array(), *offs = sr_json_new_array();
    ok = e && shape && offs;
    size_t count = 1;
    for (int d = 0; ok && d < t->ndim; d++) {
      ok = sr_json_append(shape, sr_json_new_int(t->shape[d]));
      count *= (size_t)t->shape[d];
    }
    if (ok && count != t->count) {
      sr_json_free(e);
      sr_json_free(shape);
      sr_json_free(offs);
      sr_json_free(root);
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("%s: tensor \"%s\" has %zu values but its shape holds %zu"), path, t->name,
                   t->count, count);
      return false;
    }
    ok = ok && sr_json_append(offs, sr_json_new_int((int64_t)offset)) &&
         sr_json_append(offs, sr_json_new_int((int64_t)(offset + count * 4)));
    ok = ok && sr_json_set_string(e, "dtype", "F32");
    if (ok) {
      ok = sr_json_set(e, "shape", shape);
      shape = NULL;
      ok = ok && sr_json_set(e, "data_offsets", offs);
      offs = NULL;
      ok = ok && sr_json_set(root, t->name, e);
      e = NULL;
    }
    sr_json_free(e);
    sr_json_free(shape);
    sr_json_free(offs);
    offset += count * 4;
  }
  size_t hlen = 0;
  char *header = ok ? sr_json_write(root, &hlen) : NULL;
  sr_json_free(root);
  if (!header) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory building the header"), path);
    return false;
  }
  /* Pad the header with spaces so tensor data starts 8-byte aligned. */
  size_t padded = (hlen + 7) & ~(size_t)7;
  sr_atomic_file af = {0};
  if (!sr_atomic_open(&af, path, err)) {
    free(header);
    return false;
  }
  uint8_t len8[8];
  for (int i = 0; i < 8; i++)
    len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
  bool wok = fwrite(len8, 1, 8, af.fp) == 8 && fwrite(header, 1, hlen, af.fp) == hlen;
  for (size_t i = hlen; wok && i < padded; i++)
    wok = fputc(' ', af.fp) != EOF;
  free(header);
  uint8_t chunk[4096];
  for (int i = 0; wok && i < n_tensors; i++) {
    const sr_st_tensor *t = &tensors[i];
    for (size_t k = 0; wok && k < t->count; k += 1024) {
      size_t n = t->count - k < 1024 ? t->count - k : 1024;
      for (size_t j = 0; j < n; j++)
        put_f32_le(chunk + 4 * j, t->data[k + j]);
      wok = fwrite(chunk, 4, n, af.fp) == n;
    }
  }
  if (!wok) {
    int e = errno ? errno : EIO;
    sr_atomic_abort(&af);
    sr_error_set_errno(err, e, SR_("cannot write %s"), path);
    return false;
  }
  return sr_atomic_commit(&af, err);
}

/* ---- Reading -------------------------------------------------------------- */

static int
cmp_pending(const void *a, const void *b)
{
  const pending *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* Validates the header JSON and fills st (names, shapes, counts) without data.
 * On success *offsets holds each tensor's byte begin (parallel to st->tensors,
 * which end up sorted by offset). */
static bool
parse_header(sr_safetensors *st, const char *json, size_t hlen, uint64_t data_len, size_t **offsets,
             sr_error *err)
{
  const char *path = st->path;
  char what[512];
  snprintf(what, sizeof what, "%s: header", path);
  sr_json_limits lim = {.max_depth = 8, .max_input = SR_SAFETENSORS_MAX_HEADER};
  sr_json *root = sr_json_parse(json, hlen, what, &lim, err);
  if (!root)
    return false;
  bool ok = false;
  pending *pend = NULL;
  if (root->type != SR_JSON_OBJECT) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: header: top level is not a JSON object"), path);
    goto out;
  }
  int n_tensors = 0;
  for (size_t i = 0; i < root->length; i++)
    if (strcmp(root->keys[i], "__metadata__") != 0)
      n_tensors++;
  st->tensors = calloc((size_t)n_tensors + 1, sizeof *st->tensors);
  pend = calloc((size_t)n_tensors + 1, sizeof *pend);
  if (!st->tensors || !pend) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    goto out;
  }
  for (size_t i = 0; i < root->length; i++) {
    const char *key = root->keys[i];
    const sr_json *v = root->items[i];
    if (strcmp(key, "__metadata__") == 0) {
      if (v->type != SR_JSON_OBJECT) {
        sr_error_set(err, SR_ERR_FORMAT, SR_("%s: header field __metadata__ is not an object"),
                     path);
        goto out;
      }
      st->meta = calloc(v->length + 1, sizeof *st->meta);
      if (!st->meta) {
        sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
        goto out;
      }
      for (size_t k = 0; k < v->length; k++) {
        if (v->items[k]->type != SR_JSON_STRING) {
          sr_error_set(err, SR_ERR_FORMAT,
                       SR_("%s: header field __metadata__.%.100s is not a string"), path,
                       v->keys[k]);
          goto out;
        }
        st->meta[k].key = strdup(v->keys[k]);
        st->meta[k].value = strdup(v->items[k]->string);
        st->n_meta++;
        if (!st->meta[k].key || !st->meta[k].value) {
          sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
          goto out;
        }
      }
      continue;
    }
    if (v->type != SR_JSON_OBJECT) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: header field \"%.100s\" is not a tensor description"), path, key);
      goto out;
    }
    for (size_t k = 0; k < v->length; k++)
      if (strcmp(v->keys[k], "dtype") != 0 && strcmp(v->keys[k], "shape") != 0 &&
          strcmp(v->keys[k], "data_offsets") != 0) {
        sr_error_set(err, SR_ERR_FORMAT, SR_("%s: tensor \"%.100s\": unknown field \"%.60s\""),
                     path, key, v->keys[k]);
        goto out;
      }
    const char *dtype = sr_json_get_string(v, "dtype");
    if (!dtype) {
      sr_error_set(err, SR_ERR_FORMAT, SR_("%s: tensor \"%.100s\": field dtype is missing"), path,
                   key);
      goto out;
    }
    if (strcmp(dtype, "F32") != 0) {
      sr_error_set(err, SR_ERR_UNSUPPORTED,
                   SR_("%s: tensor \"%.100s\": field dtype is \"%.20s\"; only F32 checkpoints "
                       "are read"),
                   path, key, dtype);
      goto out;
    }
    const sr_json *shape = sr_json_get(v, "shape");
    if (!shape || shape->type != SR_JSON_ARRAY || shape->length > SR_TENSOR_MAX_DIMS) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: tensor \"%.100s\": field shape is missing or not an array of at most "
                       "%d sizes"),
                   path, key, SR_TENSOR_MAX_DIMS);
      goto out;
    }
    sr_st_tensor *t = &st->tensors[st->n_tensors];
    t->ndim = (int)shape->length;
    uint64_t count = 1;
    for (size_t d = 0; d < shape->length; d++) {
      const sr_json *s = shape->items[d];
      if (s->type != SR_JSON_NUMBER || !s->is_int || s->integer < 0 ||
          s->integer > (int64_t)SR_SAFETENSORS_MAX_FILE) {
        sr_error_set(err, SR_ERR_FORMAT,
                     SR_("%s: tensor \"%.100s\": field shape[%zu] is not a size"), path, key, d);
        goto out;
      }
      t->shape[d] = s->integer;
      count *= (uint64_t)s->integer;
      if (count > SR_SAFETENSORS_MAX_FILE) {
        sr_error_set(err, SR_ERR_FORMAT,
                     SR_("%s: tensor \"%.100s\": field shape is absurdly large"), path, key);
        goto out;
      }
    }
    const sr_json *offs = sr_json_get(v, "data_offsets");
    if (!offs || offs->type != SR_JSON_ARRAY || offs->length != 2 ||
        offs->items[0]->type != SR_JSON_NUMBER || !offs->items[0]->is_int ||
        offs->items[1]->type != SR_JSON_NUMBER || !offs->items[1]->is_int) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: tensor \"%.100s\": field data_offsets is not two integers"), path, key);
      goto out;
    }
    int64_t b = offs->items[0]->integer, e = offs->items[1]->integer;
    if (b < 0 || e < b || (uint64_t)e > data_len) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: tensor \"%.100s\": field data_offsets [%lld, %lld] lies outside the "
                       "%llu bytes of data"),
                   path, key, (long long)b, (long long)e, (unsigned long long)data_len);
      goto out;
    }
    if ((uint64_t)(e - b) != count * 4) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: tensor \"%.100s\": field data_offsets spans %lld bytes but shape needs "
                       "%llu"),
                   path, key, (long long)(e - b), (unsigned long long)(count * 4));
      goto out;
    }
    t->count = (size_t)count;
    t->name = strdup(key);
    if (!t->name) {
      sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
      goto out;
    }
    pend[st->n_tensors] = (pending){(size_t)b, (size_t)e, st->n_tensors};
    st->n_tensors++;
  }
  qsort(pend, (size_t)st->n_tensors, sizeof *pend, cmp_pending);
  size_t at = 0;
  for (int i = 0; i < st->n_tensors; i++) {
    const char *name = st->tensors[pend[i].index].name;
    if (pend[i].begin < at) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: tensor \"%.100s\": field data_offsets overlaps another "
                       "tensor"),
                   path, name);
      goto out;
    }
    if (pend[i].begin > at) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: tensor \"%.100s\": field data_offsets leaves a gap "
                       "before it"),
                   path, name);
      goto out;
    }
    at = pend[i].end;
  }
  if (at != data_len) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: the tensors cover %zu bytes but the file holds %llu bytes of data"), path,
                 at, (unsigned long long)data_len);
    goto out;
  }
  /* Reorder tensors by offset so data can be read in one pass. */
  sr_st_tensor *sorted = calloc((size_t)st->n_tensors + 1, sizeof *sorted);
  *offsets = calloc((size_t)st->n_tensors + 1, sizeof **offsets);
  if (!sorted || !*offsets) {
    free(sorted);
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    goto out;
  }
  for (int i = 0; i < st->n_tensors; i++) {
    sorted[i] = st->tensors[pend[i].index];
    (*offsets)[i] = pend[i].begin;
  }
  free(st->tensors);
  st->tensors = sorted;
  ok = true;
out:
  free(pend);
  sr_json_free(root);
  return ok;
}

static bool
fill_data(sr_safetensors *st, const uint8_t *data, const size_t *offsets, sr_error *err)
{
  for (int i = 0; i < st->n_tensors; i++) {
    sr_st_tensor *t = &st->tensors[i];
    t->data = malloc(t->count ? t->count * sizeof(float) : 1);
    if (!t->data) {
      sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory for tensor \"%s\""), st->path,
                   t->name);
      return false;
    }
    const uint8_t *p = data + offsets[i];
    for (size_t k = 0; k < t->count; k++)
      t->data[k] = get_f32_le(p + 4 * k);
  }
  return true;
}

static sr_safetensors *
new_st(const char *path, sr_error *err)
{
  sr_safetensors *st = calloc(1, sizeof *st);
  if (st)
    st->path = strdup(path ? path : "checkpoint");
  if (!st || !st->path) {
    free(st);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return NULL;
  }
  return st;
}

static bool
check_header_len(const char *path, uint64_t n, uint64_t file_len, sr_error *err)
{
  if (file_len < 8) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: file is truncated (%llu bytes; a safetensors file starts "
                     "with an 8-byte header length)"),
                 path, (unsigned long long)file_len);
    return false;
  }
  if (n > SR_SAFETENSORS_MAX_HEADER) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: header length %llu is larger than the %u-byte limit"),
                 path, (unsigned long long)n, SR_SAFETENSORS_MAX_HEADER);
    return false;
  }
  if (n < 2 || n > file_len - 8) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: header length %llu does not fit in the file (%llu bytes); "
                     "the file is truncated or not a safetensors file"),
                 path, (unsigned long long)n, (unsigned long long)file_len);
    return false;
  }
  return true;
}

static uint64_t
get_u64_le(const uint8_t *p)
{
  uint64_t n = 0;
  for (int i = 0; i < 8; i++)
    n |= (uint64_t)p[i] << (8 * i);
  return n;
}

sr_safetensors *
sr_safetensors_parse(const void *bytes, size_t len, const char *path, sr_error *err)
{
  sr_safetensors *st = new_st(path, err);
  if (!st)
    return NULL;
  const uint8_t *b = bytes;
  uint64_t n = len >= 8 ? get_u64_le(b) : 0;
  size_t *offsets = NULL;
  if (!check_header_len(st->path, n, len, err) ||
      !parse_header(st, (const char *)b + 8, (size_t)n, len - 8 - n, &offsets, err) ||
      !fill_data(st, b + 8 + n, offsets, err)) {
    free(offsets);
    sr_safetensors_free(st);
    return NULL;
  }
  free(offsets);
  return st;
}

sr_safetensors *
sr_safetensors_read_header(const char *path, sr_error *err)
{
  FILE *fp = sr_fopen_regular(path, err);
  if (!fp) {
    sr_error_prefix(err, SR_("checkpoint: "));
    return NULL;
  }
  struct stat sb;
  if (fstat(fileno(fp), &sb) != 0) {
    fclose(fp);
    sr_error_set_errno(err, errno, SR_("cannot read the checkpoint %s"), path);
    return NULL;
  }
  uint64_t file_len = (uint64_t)sb.st_size;
  if (file_len > SR_SAFETENSORS_MAX_FILE) {
    fclose(fp);
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: %llu bytes is larger than any model we write"), path,
                 (unsigned long long)file_len);
    return NULL;
  }
  sr_safetensors *st = new_st(path, err);
  uint8_t len8[8] = {0};
  char *header = NULL;
  if (!st) {
    fclose(fp);
    return NULL;
  }
  st->fp = fp;
  size_t got = fread(len8, 1, 8, fp);
  uint64_t n = got == 8 ? get_u64_le(len8) : 0;
  if (!check_header_len(path, n, got == 8 ? file_len : got, err))
    goto fail;
  header = malloc((size_t)n);
  if (!header) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory for the header"), path);
    goto fail;
  }
  if (fread(header, 1, (size_t)n, fp) != n) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: the header is truncated"), path);
    goto fail;
  }
  if (!parse_header(st, header, (size_t)n, file_len - 8 - n, &st->offsets, err))
    goto fail;
  st->data_start = 8 + n;
  free(header);
  return st;
fail:
  free(header);
  sr_safetensors_free(st);
  return NULL;
}

bool
sr_safetensors_read_data(sr_safetensors *st, sr_error *err)
{
  if (!st->fp || !st->offsets) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: internal: the tensor data was already read"),
                 st->path);
    return false;
  }
  bool ok = true;
  for (int i = 0; ok && i < st->n_tensors; i++) {
    sr_st_tensor *t = &st->tensors[i];
    t->data = malloc(t->count ? t->count * sizeof(float) : 1);
    if (!t->data) {
      sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory for tensor \"%s\""), st->path,
                   t->name);
      ok = false;
      break;
    }
    if (fseeko(st->fp, (off_t)(st->data_start + st->offsets[i]), SEEK_SET) != 0 ||
        fread(t->data, sizeof(float), t->count, st->fp) != t->count) {
      sr_error_set(err, SR_ERR_FORMAT, SR_("%s: the tensor data is truncated"), st->path);
      ok = false;
      break;
    }
    /* The file is little-endian; on such a host this is a no-op copy. */
    const uint8_t *raw = (const uint8_t *)t->data;
    for (size_t k = 0; k < t->count; k++)
      t->data[k] = get_f32_le(raw + 4 * k);
  }
  fclose(st->fp);
  st->fp = NULL;
  free(st->offsets);
  st->offsets = NULL;
  return ok;
}

sr_safetensors *
sr_safetensors_read(const char *path, sr_error *err)
{
  sr_safetensors *st = sr_safetensors_read_header(path, err);
  if (st && !sr_safetensors_read_data(st, err)) {
    sr_safetensors_free(st);
    return NULL;
  }
  return st;
}
