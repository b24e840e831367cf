#include "sr-json.h"
#include "sr-i18n.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const char *s;
  size_t len, pos;
  int depth, max_depth;
  const char *what;
  sr_error *err;
  bool failed;
  locale_t c_locale;
} parser;

static void
fail(parser *p, size_t at, const char *msg)
{
  if (p->failed)
    return;
  p->failed = true;
  sr_error_set(p->err, SR_ERR_FORMAT, SR_("%s: byte %zu: %s"), p->what, at, msg);
}

static void
skip_ws(parser *p)
{
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    p->pos++;
  }
}

static sr_json *
node_new(sr_json_type t)
{
  sr_json *j = calloc(1, sizeof *j);
  if (j)
    j->type = t;
  return j;
}

void
sr_json_free(sr_json *j)
{
  if (!j)
    return;
  for (size_t i = 0; i < j->length && j->items; i++) {
    sr_json_free(j->items[i]);
    if (j->keys)
      free(j->keys[i]);
  }
  free(j->items);
  free(j->keys);
  free(j->string);
  free(j);
}

static bool
grow(sr_json *j)
{
  if (j->length < j->capacity)
    return true;
  size_t cap = j->capacity ? j->capacity * 2 : 4;
  sr_json **items = realloc(j->items, cap * sizeof *items);
  if (!items)
    return false;
  j->items = items;
  if (j->type == SR_JSON_OBJECT) {
    char **keys = realloc(j->keys, cap * sizeof *keys);
    if (!keys)
      return false;
    j->keys = keys;
  }
  j->capacity = cap;
  return true;
}

static int
hex_digit(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool
read_hex4(parser *p, unsigned *out)
{
  if (p->len - p->pos < 4) {
    fail(p, p->pos, SR_("truncated \\u escape"));
    return false;
  }
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_digit(p->s[p->pos + (size_t)i]);
    if (d < 0) {
      fail(p, p->pos + (size_t)i, SR_("bad hex digit in \\u escape"));
      return false;
    }
    v = v * 16 + (unsigned)d;
  }
  p->pos += 4;
  *out = v;
  return true;
}

static size_t
put_utf8(char *o, unsigned cp)
{
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t
utf8_valid(const unsigned char *s, size_t n)
{
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t need;
  unsigned cp, min;
  if ((c & 0xE0) == 0xC0) {
    need = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    need = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    need = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < need)
    return 0;
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return need;
}

/* Parses a string literal at p->pos (which holds '"'); returns malloc'd UTF-8. */
static char *
parse_string(parser *p, size_t *out_len)
{
  size_t start = p->pos++;
  /* The decoded string is never longer than the literal. */
  size_t end = p->pos;
  while (end < p->len && p->s[end] != '"') {
    if (p->s[end] == '\\')
      end++;
    end++;
  }
  if (end >= p->len) {
    fail(p, start, SR_("unterminated string"));
    return NULL;
  }
  char *o = malloc(end - start + 1);
  if (!o) {
    fail(p, start, SR_("out of memory"));
    return NULL;
  }
  size_t n = 0;
  while (p->pos < p->len) {
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') {
      p->pos++;
      o[n] = '\0';
      *out_len = n;
      return o;
    }
    if (c < 0x20) {
      fail(p, p->pos, SR_("control character inside a string (must be escaped)"));
      break;
    }
    if (c == '\\') {
      size_t at = p->pos++;
      if (p->pos >= p->len) {
        fail(p, at, SR_("truncated escape"));
        break;
      }
      char e = p->s[p->pos++];
      switch (e) {
      case '"': o[n++] = '"'; break;
      case '\\': o[n++] = '\\'; break;
      case '/': o[n++] = '/'; break;
      case 'b': o[n++] = '\b'; break;
      case 'f': o[n++] = '\f'; break;
      case 'n': o[n++] = '\n'; break;
      case 'r': o[n++] = '\r'; break;
      case 't': o[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (!read_hex4(p, &cp))
          goto bad;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          fail(p, at, SR_("lone low surrogate in \\u escape"));
          goto bad;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
            fail(p, at, SR_("high surrogate not followed by a low surrogate"));
            goto bad;
          }
          p->pos += 2;
          if (!read_hex4(p, &lo))
            goto bad;
          if (lo < 0xDC00 || lo > 0xDFFF) {
            fail(p, at, SR_("high surrogate not followed by a low surrogate"));
            goto bad;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (cp == 0) {
          fail(p, at, SR_("\\u0000 is not allowed"));
          goto bad;
        }
        n += put_utf8(o + n, cp);
        break;
      }
      default: fail(p, at, SR_("unknown escape")); goto bad;
      }
      continue;
    }
    size_t k = utf8_valid((const unsigned char *)p->s + p->pos, p->len - p->pos);
    if (!k) {
      fail(p, p->pos, SR_("invalid UTF-8 inside a string"));
      break;
    }
    memcpy(o + n, p->s + p->pos, k);
    n += k;
    p->pos += k;
  }
bad:
  free(o);
  return NULL;
}

static sr_json *
parse_number(parser *p)
{
  size_t start = p->pos;
  const char *s = p->s;
  size_t i = p->pos;
  bool integral = true;
  if (i < p->len && s[i] == '-')
    i++;
  if (i >= p->len || !(s[i] >= '0' && s[i] <= '9')) {
    fail(p, i, SR_("expected a digit"));
    return NULL;
  }
  if (s[i] == '0') {
    i++;
    if (i < p->len && s[i] >= '0' && s[i] <= '9') {
      fail(p, i, SR_("leading zeros are not allowed"));
      return NULL;
    }
  } else {
    while (i < p->len && s[i] >= '0' && s[i] <= '9')
      i++;
  }
  if (i < p->len && s[i] == '.') {
    integral = false;
    i++;
    if (i >= p->len || !(s[i] >= '0' && s[i] <= '9')) {
      fail(p, i, SR_("expected a digit after '.'"));
      return NULL;
    }
    while (i < p->len && s[i] >= '0' && s[i] <= '9')
      i++;
  }
  if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
    integral = false;
    i++;
    if (i < p->len && (s[i] == '+' || s[i] == '-'))
      i++;
    if (i >= p->len || !(s[i] >= '0' && s[i] <= '9')) {
      fail(p, i, SR_("expected a digit in the exponent"));
      return NULL;
    }
    while (i < p->len && s[i] >= '0' && s[i] <= '9')
      i++;
  }
  size_t n = i - start;
  if (n > 400) {
    fail(p, start, SR_("number is too long"));
    return NULL;
  }
  char buf[401];
  memcpy(buf, s + start, n);
  buf[n] = '\0';
  sr_json *j = node_new(SR_JSON_NUMBER);
  if (!j) {
    fail(p, start, SR_("out of memory"));
    return NULL;
  }
  j->number = strtod_l(buf, NULL, p->c_locale);
  if (integral) {
    /* Exact int64 when it fits: offsets and steps must not go through double. */
    bool neg = buf[0] == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool fits = true;
    for (const char *c = buf + (neg ? 1 : 0); *c; c++) {
      unsigned d = (unsigned)(*c - '0');
      if (v > (lim - d) / 10) {
        fits = false;
        break;
      }
      v = v * 10 + d;
    }
    /* "-0" stays a double: as the integer 0 it would lose its sign and
     * write back as "0". */
    if (fits && !(neg && v == 0)) {
      j->is_int = true;
      j->integer = neg ? (int64_t)(0 - v) : (int64_t)v;
    }
  }
  if (!isfinite(j->number)) {
    sr_json_free(j);
    fail(p, start, SR_("number out of range"));
    return NULL;
  }
  p->pos = i;
  return j;
}

static bool
match_word(parser *p, const char *w)
{
  size_t n = strlen(w);
  if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
    p->pos += n;
    return true;
  }
  return false;
}

static sr_json *parse_value(parser *p);

static sr_json *
parse_container(parser *p, bool object)
{
  size_t start = p->pos++;
  if (++p->depth > p->max_depth) {
    fail(p, start, SR_("nesting is too deep"));
    return NULL;
  }
  sr_json *j = node_new(object ? SR_JSON_OBJECT : SR_JSON_ARRAY);
  if (!j) {
    fail(p, start, SR_("out of memory"));
    return NULL;
  }
  char close = object ? '}' : ']';
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    p->depth--;
    return j;
  }
  for (;;) {
    char *key = NULL;
    skip_ws(p);
    if (object) {
      if (p->pos >= p->len || p->s[p->pos] != '"') {
        fail(p, p->pos, SR_("expected a string key"));
        goto bad;
      }
      size_t key_at = p->pos, klen;
      key = parse_string(p, &klen);
      if (!key)
        goto bad;
      if (sr_json_get(j, key)) {
        char msg[160];
        snprintf(msg, sizeof msg, SR_("duplicate key \"%.100s\""), key);
        fail(p, key_at, msg);
        free(key);
        goto bad;
      }
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') {
        fail(p, p->pos, SR_("expected ':' after a key"));
        free(key);
        goto bad;
      }
      p->pos++;
    }
    sr_json *v = parse_value(p);
    if (!v) {
      free(key);
      goto bad;
    }
    if (!grow(j)) {
      free(key);
      sr_json_free(v);
      fail(p, p->pos, SR_("out of memory"));
      goto bad;
    }
    j->items[j->length] = v;
    if (object)
      j->keys[j->length] = key;
    j->length++;
    skip_ws(p);
    if (p->pos >= p->len) {
      fail(p, p->pos, object ? SR_("unterminated object") : SR_("unterminated array"));
      goto bad;
    }
    char c = p->s[p->pos];
    if (c == ',') {
      p->pos++;
      continue;
    }
    if (c == close) {
      p->pos++;
      p->depth--;
      return j;
    }
    fail(p, p->pos, object ? SR_("expected ',' or '}'") : SR_("expected ',' or ']'"));
    goto bad;
  }
bad:
  sr_json_free(j);
  return NULL;
}

static sr_json *
parse_value(parser *p)
{
  skip_ws(p);
  if (p->pos >= p->len) {
    fail(p, p->pos, SR_("unexpected end of input"));
    return NULL;
  }
  char c = p->s[p->pos];
  size_t at = p->pos;
  sr_json *j;
  switch (c) {
  case '{': return parse_container(p, true);
  case '[': return parse_container(p, false);
  case '"': {
    size_t n;
    char *s = parse_string(p, &n);
    if (!s)
      return NULL;
    j = node_new(SR_JSON_STRING);
    if (!j) {
      free(s);
      fail(p, at, SR_("out of memory"));
      return NULL;
    }
    j->string = s;
    j->length = n;
    return j;
  }
  case 't':
  case 'f':
    if (match_word(p, c == 't' ? "true" : "false")) {
      j = node_new(SR_JSON_BOOL);
      if (j)
        j->boolean = c == 't';
      else
        fail(p, at, SR_("out of memory"));
      return j;
    }
    break;
  case 'n':
    if (match_word(p, "null")) {
      j = node_new(SR_JSON_NULL);
      if (!j)
        fail(p, at, SR_("out of memory"));
      return j;
    }
    break;
  default:
    if (c == '-' || (c >= '0' && c <= '9'))
      return parse_number(p);
    break;
  }
  fail(p, at, SR_("unexpected character"));
  return NULL;
}

sr_json *
sr_json_parse(const char *text, size_t len, const char *what, const sr_json_limits *limits,
              sr_error *err)
{
  parser p = {.s = text, .len = len, .what = what ? what : "JSON", .err = err, .max_depth = 64};
  size_t max_input = 64u << 20;
  if (limits) {
    /* Parsing, freeing and writing recurse once per level: a caller's limit
     * is capped so no input can exhaust the stack. */
    if (limits->max_depth > 0)
      p.max_depth = limits->max_depth < SR_JSON_MAX_DEPTH ? limits->max_depth : SR_JSON_MAX_DEPTH;
    if (limits->max_input > 0)
      max_input = limits->max_input;
  }
  if (len > max_input) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: %zu bytes is larger than the %zu-byte limit"), p.what,
                 len, max_input);
    return NULL;
  }
  if (!text && len) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: no text"), p.what);
    return NULL;
  }
  p.c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  if (!p.c_locale) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: could not create the C locale"), p.what);
    return NULL;
  }
  sr_json *j = parse_value(&p);
  if (j) {
    skip_ws(&p);
    if (p.pos != p.len) {
      fail(&p, p.pos, SR_("unexpected data after the JSON value"));
      sr_json_free(j);
      j = NULL;
    }
  }
  freelocale(p.c_locale);
  return j;
}

const sr_json *
sr_json_get(const sr_json *obj, const char *key)
{
  if (!obj || obj->type != SR_JSON_OBJECT || !key)
    return NULL;
  for (size_t i = 0; i < obj->length; i++)
    if (strcmp(obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

const sr_json *
sr_json_at(const sr_json *arr, size_t i)
{
  if (!arr || (arr->type != SR_JSON_ARRAY && arr->type != SR_JSON_OBJECT) || i >= arr->length)
    return NULL;
  return arr->items[i];
}

const char *
sr_json_get_string(const sr_json *obj, const char *key)
{
  const sr_json *v = sr_json_get(obj, key);
  return v && v->type == SR_JSON_STRING ? v->string : NULL;
}

bool
sr_json_get_int(const sr_json *obj, const char *key, int64_t *out)
{
  const sr_json *v = sr_json_get(obj, key);
  if (!v || v->type != SR_JSON_NUMBER || !v->is_int)
    return false;
  *out = v->integer;
  return true;
}

bool
sr_json_get_number(const sr_json *obj, const char *key, double *out)
{
  const sr_json *v = sr_json_get(obj, key);
  if (!v || v->type != SR_JSON_NUMBER)
    return false;
  *out = v->number;
  return true;
}

bool
sr_json_get_bool(const sr_json *obj, const char *key, bool *out)
{
  const sr_json *v = sr_json_get(obj, key);
  if (!v || v->type != SR_JSON_BOOL)
    return false;
  *out = v->boolean;
  return true;
}

/* ---- Building ------------------------------------------------------------- */

sr_json *
sr_json_new_object(void)
{
  return node_new(SR_JSON_OBJECT);
}

sr_json *
sr_json_new_array(void)
{
  return node_new(SR_JSON_ARRAY);
}

sr_json *
sr_json_new_string(const char *s)
{
  sr_json *j = node_new(SR_JSON_STRING);
  if (!j)
    return NULL;
  j->string = strdup(s ? s : "");
  if (!j->string) {
    free(j);
    return NULL;
  }
  j->length = strlen(j->string);
  return j;
}

sr_json *
sr_json_new_int(int64_t v)
{
  sr_json *j = node_new(SR_JSON_NUMBER);
  if (j) {
    j->is_int = true;
    j->integer = v;
    j->number = (double)v;
  }
  return j;
}

sr_json *
sr_json_new_number(double v)
{
  sr_json *j = node_new(SR_JSON_NUMBER);
  if (j)
    j->number = v;
  return j;
}

sr_json *
sr_json_new_bool(bool v)
{
  sr_json *j = node_new(SR_JSON_BOOL);
  if (j)
    j->boolean = v;
  return j;
}

sr_json *
sr_json_new_null(void)
{
  return node_new(SR_JSON_NULL);
}

bool
sr_json_set(sr_json *obj, const char *key, sr_json *value)
{
  if (!value)
    return false;
  if (!obj || obj->type != SR_JSON_OBJECT || !key) {
    sr_json_free(value);
    return false;
  }
  for (size_t i = 0; i < obj->length; i++)
    if (strcmp(obj->keys[i], key) == 0) {
      sr_json_free(obj->items[i]);
      obj->items[i] = value;
      return true;
    }
  char *k = strdup(key);
  if (!k || !grow(obj)) {
    free(k);
    sr_json_free(value);
    return false;
  }
  obj->keys[obj->length] = k;
  obj->items[obj->length++] = value;
  return true;
}

bool
sr_json_append(sr_json *arr, sr_json *value)
{
  if (!value)
    return false;
  if (!arr || arr->type != SR_JSON_ARRAY || !grow(arr)) {
    sr_json_free(value);
    return false;
  }
  arr->items[arr->length++] = value;
  return true;
}

bool
sr_json_set_string(sr_json *obj, const char *key, const char *s)
{
  return sr_json_set(obj, key, sr_json_new_string(s));
}

bool
sr_json_set_int(sr_json *obj, const char *key, int64_t v)
{
  return sr_json_set(obj, key, sr_json_new_int(v));
}

bool
sr_json_set_number(sr_json *obj, const char *key, double v)
{
  return sr_json_set(obj, key, sr_json_new_number(v));
}

bool
sr_json_set_bool(sr_json *obj, const char *key, bool v)
{
  return sr_json_set(obj, key, sr_json_new_bool(v));
}

/* ---- Writing -------------------------------------------------------------- */

typedef struct strbuf {
  char *s;
  size_t len, cap;
  bool oom;
} strbuf;

static bool
sb_reserve(char **buf, size_t *len, size_t *cap, size_t extra)
{
  if (*len + extra + 1 <= *cap)
    return true;
  size_t ncap = *cap ? *cap : 64;
  while (ncap < *len + extra + 1)
    ncap *= 2;
  char *n = realloc(*buf, ncap);
  if (!n)
    return false;
  *buf = n;
  *cap = ncap;
  return true;
}

static void
sb_put(strbuf *b, const char *s, size_t n)
{
  if (b->oom || !sb_reserve(&b->s, &b->len, &b->cap, n)) {
    b->oom = true;
    return;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

bool
sr_json_escape_append(char **buf, size_t *len, size_t *cap, const char *s)
{
  size_t n = strlen(s);
  /* Worst case every byte becomes \u00XX. */
  if (!sb_reserve(buf, len, cap, n * 6 + 2))
    return false;
  char *o = *buf + *len;
  *o++ = '"';
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    switch (*c) {
    case '"':
      *o++ = '\\';
      *o++ = '"';
      break;
    case '\\':
      *o++ = '\\';
      *o++ = '\\';
      break;
    case '\n':
      *o++ = '\\';
      *o++ = 'n';
      break;
    case '\r':
      *o++ = '\\';
      *o++ = 'r';
      break;
    case '\t':
      *o++ = '\\';
      *o++ = 't';
      break;
    default:
      if (*c < 0x20) {
        o += sprintf(o, "\\u%04x", *c);
      } else {
        *o++ = (char)*c;
      }
    }
  }
  *o++ = '"';
  *o = '\0';
  *len = (size_t)(o - *buf);
  return true;
}

static void
write_value(strbuf *b, const sr_json *j)
{
  char num[64];
  switch (j->type) {
  case SR_JSON_NULL: sb_put(b, "null", 4); break;
  case SR_JSON_BOOL:
    if (j->boolean)
      sb_put(b, "true", 4);
    else
      sb_put(b, "false", 5);
    break;
  case SR_JSON_NUMBER:
    if (j->is_int) {
      int n = snprintf(num, sizeof num, "%lld", (long long)j->integer);
      sb_put(b, num, (size_t)n);
    } else if (!isfinite(j->number)) {
      sb_put(b, "null", 4);
    } else {
      int n = snprintf(num, sizeof num, "%.17g", j->number);
      /* %g never groups digits, so a ',' can only be a locale's decimal point. */
      for (int i = 0; i < n; i++)
        if (num[i] == ',')
          num[i] = '.';
      sb_put(b, num, (size_t)n);
    }
    break;
  case SR_JSON_STRING:
    if (!b->oom && !sr_json_escape_append(&b->s, &b->len, &b->cap, j->string))
      b->oom = true;
    break;
  case SR_JSON_ARRAY:
  case SR_JSON_OBJECT:
    sb_put(b, j->type == SR_JSON_OBJECT ? "{" : "[", 1);
    for (size_t i = 0; i < j->length; i++) {
      if (i)
        sb_put(b, ",", 1);
      if (j->type == SR_JSON_OBJECT) {
        if (!b->oom && !sr_json_escape_append(&b->s, &b->len, &b->cap, j->keys[i]))
          b->oom = true;
        sb_put(b, ":", 1);
      }
      write_value(b, j->items[i]);
    }
    sb_put(b, j->type == SR_JSON_OBJECT ? "}" : "]", 1);
    break;
  }
}

char *
sr_json_write(const sr_json *j, size_t *len)
{
  strbuf b = {0};
  if (!j)
    return NULL;
  write_value(&b, j);
  if (b.oom || !b.s) {
    free(b.s);
    return NULL;
  }
  if (len)
    *len = b.len;
  return b.s;
}
