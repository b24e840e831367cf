/* sr-frame-map-json.h — the frame map in the project file.
 *
 * Inside "reference", beside "offset" (which holds the map's offset):
 *   "cadence": "3:2" | "2:3:3:2"   (absent: none)
 *   "cadence-phase": 0-3
 *   "breaks": [ { "source-frame": 97, "shift": -1 }, ... ]
 * Members are written only when set, so a plain offset reads as before.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "sr-frame-map.h"

G_BEGIN_DECLS

void sr_frame_map_json_write(JsonBuilder *b, const sr_frame_map *m);
/* Reads the optional members into out (offset untouched); errors name the
 * file (origin) and the field: "reel.srproj: reference.breaks[1].shift: ...". */
gboolean sr_frame_map_json_read(JsonObject *reference, const char *origin, sr_frame_map *out,
                                GError **error);

G_END_DECLS
