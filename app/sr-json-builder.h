/* sr-json-builder.h — the app's JSON helpers: one way to add an object
 * member to a JsonBuilder, for every JSON file and line the app and the CLI
 * write (a missing string is JSON null, and a number JSON cannot hold is
 * written as the machine-readable outputs have always written it: NaN as
 * null, ±infinity as ±1e308), the text of such a document, and the checks
 * a JSON file from outside needs before json-glib reads it. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void sr_json_member_string(JsonBuilder *b, const char *key, const char *value);
void sr_json_member_int(JsonBuilder *b, const char *key, gint64 value);
void sr_json_member_bool(JsonBuilder *b, const char *key, gboolean value);
void sr_json_member_double(JsonBuilder *b, const char *key, double value);

/* The JSON text of `root` (indented by two spaces when `pretty`), for every
 * JSON file and line the app and the CLI write. json-glib 1.6 writes a
 * double whose shortest form has an exponent but no point with ".0" after
 * it ("1e-08.0", "1e+308.0"), which no JSON reader, json-glib included,
 * accepts; here such numbers are written as JSON has them ("1e-08"). `len`
 * (optional) receives the length. */
char *sr_json_text(JsonNode *root, gboolean pretty, gsize *len);
/* text[0..n) with those spoiled numbers ("1e-08.0") written as JSON has
 * them; the rest, strings included, as it is. For files an older version
 * wrote with json-glib's defect. `len` (optional) receives the length. */
char *sr_json_repair_exponents(const char *text, gsize n, gsize *len);
/* json_parser_load_from_data on text[0..n), and when that fails, once more
 * with the spoiled numbers repaired, so a file an older version wrote opens;
 * the first parse's error when neither does. */
gboolean sr_json_parser_load(JsonParser *parser, const char *text, gsize n, GError **error);

/* What json-glib cannot be trusted with in a file from outside, found by one
 * scan outside strings before it parses: returns the deepest nesting of
 * objects and arrays (json-glib parses by recursion, and a file nested
 * 100,000 levels deep overflows the stack before any error), stopping once
 * past `limit`; and sets *overflow_at to the offset of the first integer too
 * large for 64 bits (json-glib would read it back as -1), or -1. */
int sr_json_prescan(const char *json, gsize len, int limit, gssize *overflow_at);
/* A JSON file from outside into `parser`: refused, with a message saying
 * why, when it holds a NUL byte, nests deeper than max_nesting or holds an
 * integer past 64 bits (sr_json_prescan), then read by sr_json_parser_load.
 * For files with no need of the project's line-and-column messages. */
gboolean sr_json_load_outside(JsonParser *parser, const char *text, gsize n, int max_nesting,
                              GError **error);

G_END_DECLS
