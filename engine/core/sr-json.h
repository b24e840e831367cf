/* sr-json.h — a small, strict JSON reader and writer (RFC 8259).
 *
 * Used for safetensors headers and engine-side reports, where a file may be
 * hostile: the parser enforces a nesting depth and an input size limit,
 * rejects duplicate object keys, invalid UTF-8, lone surrogates, "\u0000",
 * trailing garbage and anything outside the grammar, and reports the byte
 * offset of the first problem. Numbers are parsed independently of the
 * process locale; integers that fit in int64 are kept exactly.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sr-error.h"

/* The deepest nesting any parse accepts, whatever limit the caller asks. */
#define SR_JSON_MAX_DEPTH 512

typedef enum sr_json_type {
  SR_JSON_NULL = 0,
  SR_JSON_BOOL,
  SR_JSON_NUMBER,
  SR_JSON_STRING,
  SR_JSON_ARRAY,
  SR_JSON_OBJECT,
} sr_json_type;

typedef struct sr_json sr_json;
struct sr_json {
  sr_json_type type;
  bool boolean;
  bool is_int;     /* NUMBER written without fraction/exponent and fits int64 */
  int64_t integer; /* valid when is_int */
  double number;   /* always valid for NUMBER */
  char *string;    /* STRING: NUL-terminated UTF-8 (no embedded NUL) */
  size_t length;   /* STRING: bytes; ARRAY/OBJECT: element count */
  size_t capacity;
  sr_json **items; /* ARRAY/OBJECT elements, in order */
  char **keys;     /* OBJECT keys, parallel to items */
};

typedef struct sr_json_limits {
  int max_depth;    /* nesting of arrays/objects; default 64, at most SR_JSON_MAX_DEPTH */
  size_t max_input; /* bytes; default 64 MiB */
} sr_json_limits;

/* Parses text[0..len). `what` names the source in messages ("model.safetensors
 * header"); limits may be NULL for the defaults. Errors read
 * "<what>: byte N: <problem>". */
sr_json *sr_json_parse(const char *text, size_t len, const char *what, const sr_json_limits *limits,
                       sr_error *err);
void sr_json_free(sr_json *j);

/* Lookups (NULL when absent or j is not an object/array). */
const sr_json *sr_json_get(const sr_json *obj, const char *key);
const sr_json *sr_json_at(const sr_json *arr, size_t i);
/* Typed lookups: NULL / false when absent or of another type. */
const char *sr_json_get_string(const sr_json *obj, const char *key);
bool sr_json_get_int(const sr_json *obj, const char *key, int64_t *out);
bool sr_json_get_number(const sr_json *obj, const char *key, double *out);
bool sr_json_get_bool(const sr_json *obj, const char *key, bool *out);

/* Building. Constructors return NULL only when memory runs out; the add
 * functions take ownership of `value` (freeing it on failure) and return
 * false on no memory or when obj/arr has the wrong type. Setting an existing
 * key replaces its value. */
sr_json *sr_json_new_object(void);
sr_json *sr_json_new_array(void);
sr_json *sr_json_new_string(const char *s);
sr_json *sr_json_new_int(int64_t v);
sr_json *sr_json_new_number(double v); /* NaN/Inf are written as null */
sr_json *sr_json_new_bool(bool v);
sr_json *sr_json_new_null(void);
bool sr_json_set(sr_json *obj, const char *key, sr_json *value);
bool sr_json_append(sr_json *arr, sr_json *value);
/* Shorthands for sr_json_set with a new scalar. */
bool sr_json_set_string(sr_json *obj, const char *key, const char *s);
bool sr_json_set_int(sr_json *obj, const char *key, int64_t v);
bool sr_json_set_number(sr_json *obj, const char *key, double v);
bool sr_json_set_bool(sr_json *obj, const char *key, bool v);

/* Serialises compactly (no whitespace), keys in insertion order. Returns a
 * NUL-terminated string (caller frees) and its length, NULL on no memory. */
char *sr_json_write(const sr_json *j, size_t *len);
/* Appends s as a JSON string literal (quotes and escapes) to a malloc'd
 * buffer; returns false on no memory. Helper for streaming writers. */
bool sr_json_escape_append(char **buf, size_t *len, size_t *cap, const char *s);
