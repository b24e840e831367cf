/* sr-json-builder.c — see sr-json-builder.h. */
#include "sr-json-builder.h"

#include <math.h>

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
