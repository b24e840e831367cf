/* sr-json-builder.c — see sr-json-builder.h. */
#include "sr-json-builder.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

void
sr_json_member_string(JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name(b, key);
  if (value)
    json_builder_add_string_value(b, value);
  else
    json_builder_add_null_value(b);
}

void
sr_json_member_int(JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, value);
}

void
sr_json_member_bool(JsonBuilder *b, const char *key, gboolean value)
{
  json_builder_set_member_name(b, key);
  json_builder_add_boolean_value(b, value);
}

void
sr_json_member_double(JsonBuilder *b, const char *key, double value)
{
  json_builder_set_member_name(b, key);
  if (isnan(value))
    json_builder_add_null_value(b);
  else if (isinf(value))
    json_builder_add_double_value(b, value > 0 ? 1e308 : -1e308);
  else
    json_builder_add_double_value(b, value);
}

/* ---- Scanning JSON text outside json-glib --------------------------------- */

/* The end of the string that starts at t[i] (a quote): just past its
 * closing quote, or n. */
static gsize
string_end(const char *t, gsize i, gsize n)
{
  for (i++; i < n; i++) {
    if (t[i] == '\\')
      i++;
    else if (t[i] == '"')
      return i + 1;
  }
  return n;
}

/* The end of the number-like token that starts at t[i] (a digit or '-'):
 * digits, letters (json-glib also reads hex), points, signs. */
static gsize
number_end(const char *t, gsize i, gsize n)
{
  for (i++; i < n && (g_ascii_isalnum(t[i]) || t[i] == '.' || t[i] == '+' || t[i] == '-'); i++)
    ;
  return i;
}

/* Whether the number token t[0..n) is an exponent form the generator
 * spoiled with a trailing ".0": an 'e' before the only point. */
static gboolean
spoiled_exponent(const char *t, gsize n)
{
  if (n < 4 || t[n - 2] != '.' || t[n - 1] != '0')
    return FALSE;
  const char *e = memchr(t, 'e', n);
  if (e == NULL)
    e = memchr(t, 'E', n);
  return e != NULL && memchr(t, '.', n - 2) == NULL;
}

char *
sr_json_repair_exponents(const char *text, gsize n, gsize *len)
{
  GString *out = g_string_sized_new(n + 1);
  for (gsize i = 0; i < n;) {
    gsize end;
    if (text[i] == '"') {
      end = string_end(text, i, n);
      g_string_append_len(out, text + i, (gssize)(end - i));
    } else if (text[i] == '-' || g_ascii_isdigit(text[i])) {
      end = number_end(text, i, n);
      gsize keep = end - i;
      if (spoiled_exponent(text + i, keep))
        keep -= 2;
      g_string_append_len(out, text + i, (gssize)keep);
    } else {
      end = i + 1;
      g_string_append_c(out, text[i]);
    }
    i = end;
  }
  if (len != NULL)
    *len = out->len;
  return g_string_free(out, FALSE);
}

gboolean
sr_json_parser_load(JsonParser *parser, const char *text, gsize n, GError **error)
{
  GError *local = NULL;
  if (json_parser_load_from_data(parser, text, (gssize)n, &local))
    return TRUE;
  gsize fixed_len = 0;
  g_autofree char *fixed = sr_json_repair_exponents(text, n, &fixed_len);
  if (fixed_len != n && json_parser_load_from_data(parser, fixed, (gssize)fixed_len, NULL)) {
    g_error_free(local);
    return TRUE;
  }
  g_propagate_error(error, local);
  return FALSE;
}

char *
sr_json_text(JsonNode *root, gboolean pretty, gsize *len)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  json_generator_set_pretty(gen, pretty);
  if (pretty)
    json_generator_set_indent(gen, 2);
  gsize n = 0;
  g_autofree char *raw = json_generator_to_data(gen, &n);
  return sr_json_repair_exponents(raw, n, len);
}

/* Whether the integer literal digits[0..n) (no sign) exceeds int64. */
static gboolean
int_literal_overflows(const char *digits, gsize n, gboolean negative)
{
  const char *max = negative ? "9223372036854775808" : "9223372036854775807";
  while (n > 1 && *digits == '0') {
    digits++;
    n--;
  }
  return n > 19 || (n == 19 && strncmp(digits, max, 19) > 0);
}

int
sr_json_prescan(const char *json, gsize len, int limit, gssize *overflow_at)
{
  int depth = 0, deepest = 0;
  *overflow_at = -1;
  for (gsize i = 0; i < len && deepest <= limit;) {
    char c = json[i];
    if (c == '"') {
      i = string_end(json, i, len);
    } else if (c == '-' || g_ascii_isdigit(c)) {
      gsize d0 = c == '-' ? i + 1 : i, d = d0;
      while (d < len && g_ascii_isdigit(json[d]))
        d++;
      gboolean integer = d == len || (json[d] != '.' && json[d] != 'e' && json[d] != 'E');
      if (integer && *overflow_at < 0 && int_literal_overflows(json + d0, d - d0, c == '-'))
        *overflow_at = (gssize)i;
      i = number_end(json, i, len);
    } else {
      if ((c == '{' || c == '[') && ++depth > deepest)
        deepest = depth;
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
      i++;
    }
  }
  return deepest;
}

gboolean
sr_json_load_outside(JsonParser *parser, const char *text, gsize n, int max_nesting, GError **error)
{
  gssize overflow_at = -1;
  if (memchr(text, '\0', n) != NULL) {
    g_set_error_literal(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                        _("binary data, not JSON text"));
    return FALSE;
  }
  if (sr_json_prescan(text, n, max_nesting, &overflow_at) > max_nesting) {
    g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                _("objects and lists nested deeper than %d levels"), max_nesting);
    return FALSE;
  }
  if (overflow_at >= 0) {
    g_set_error_literal(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                        _("a whole number too large for 64 bits"));
    return FALSE;
  }
  return sr_json_parser_load(parser, text, n, error);
}
