/* sr-frame-map-json.c — reading and writing the frame map's project members
 * (see sr-frame-map-json.h). */
#include "sr-frame-map-json.h"

#include <glib/gi18n.h>

#include "sr-project.h"

void
sr_frame_map_json_write(JsonBuilder *b, const sr_frame_map *m)
{
  if (m->cadence != SR_CADENCE_NONE) {
    json_builder_set_member_name(b, "cadence");
    json_builder_add_string_value(b, sr_cadence_name(m->cadence));
    json_builder_set_member_name(b, "cadence-phase");
    json_builder_add_int_value(b, m->phase);
  }
  if (m->n_breaks > 0) {
    json_builder_set_member_name(b, "breaks");
    json_builder_begin_array(b);
    for (int i = 0; i < m->n_breaks; i++) {
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "source-frame");
      json_builder_add_int_value(b, m->breaks[i].source_frame);
      json_builder_set_member_name(b, "shift");
      json_builder_add_int_value(b, m->breaks[i].shift);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
  }
}

static gboolean
fail(GError **error, const char *origin, const char *field, const char *msg)
{
  g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD, "%s: %s: %s", origin, field, msg);
  return FALSE;
}

static gboolean
read_int_member(JsonObject *o, const char *name, const char *origin, const char *field, gint64 lo,
                gint64 hi, int *out, GError **error)
{
  JsonNode *n = json_object_get_member(o, name);
  if (n == NULL)
    return fail(error, origin, field, _("missing"));
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return fail(error, origin, field, _("expected a whole number"));
  gint64 v = json_node_get_int(n);
  if (v < lo || v > hi) {
    g_autofree char *msg = g_strdup_printf(_("%lld is out of range (%lld to %lld)"), (long long)v,
                                           (long long)lo, (long long)hi);
    return fail(error, origin, field, msg);
  }
  *out = (int)v;
  return TRUE;
}

static gboolean
read_cadence(JsonObject *ref, const char *origin, sr_frame_map *out, GError **error)
{
  JsonNode *n = json_object_get_member(ref, "cadence");
  if (n == NULL)
    return TRUE;
  const char *name = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
                         ? json_node_get_string(n)
                         : NULL;
  if (name == NULL || !sr_cadence_from_name(name, &out->cadence))
    return fail(error, origin, "reference.cadence", _("expected \"none\", \"3:2\" or \"2:3:3:2\""));
  if (out->cadence == SR_CADENCE_NONE)
    return TRUE;
  return read_int_member(ref, "cadence-phase", origin, "reference.cadence-phase", 0, 3, &out->phase,
                         error);
}

static gboolean
read_breaks(JsonObject *ref, const char *origin, sr_frame_map *out, GError **error)
{
  JsonNode *n = json_object_get_member(ref, "breaks");
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return fail(error, origin, "reference.breaks", _("expected an array"));
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    g_autofree char *field = g_strdup_printf("reference.breaks[%u]", i);
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(e))
      return fail(error, origin, field, _("expected an object with source-frame and shift"));
    JsonObject *o = json_node_get_object(e);
    g_autofree char *f_frame = g_strdup_printf("%s.source-frame", field);
    g_autofree char *f_shift = g_strdup_printf("%s.shift", field);
    int frame, shift;
    if (!read_int_member(o, "source-frame", origin, f_frame, -SR_FRAME_MAP_MAX_OFFSET,
                         SR_FRAME_MAP_MAX_OFFSET, &frame, error) ||
        !read_int_member(o, "shift", origin, f_shift, -SR_FRAME_MAP_MAX_OFFSET,
                         SR_FRAME_MAP_MAX_OFFSET, &shift, error))
      return FALSE;
    if (shift == 0)
      return fail(error, origin, f_shift, _("0 is not a break; remove the entry"));
    if (out->n_breaks > 0 && frame <= out->breaks[out->n_breaks - 1].source_frame)
      return fail(error, origin, f_frame, _("breaks must be listed in frame order"));
    sr_error err = {0};
    if (!sr_frame_map_add_break(out, frame, shift, &err))
      return fail(error, origin, field, err.message);
  }
  return TRUE;
}

gboolean
sr_frame_map_json_read(JsonObject *reference, const char *origin, sr_frame_map *out, GError **error)
{
  if (!read_cadence(reference, origin, out, error) || !read_breaks(reference, origin, out, error)) {
    sr_frame_map_clear(out);
    return FALSE;
  }
  return TRUE;
}
