/* sr-telecine.c — weaving the simulator's film frames into video frames
 * along a pulldown cadence, with a dropped frame (see sr-telecine.h). */
#include "sr-telecine.h"

#include <string.h>

#include "sr-i18n.h"

void
sr_telecine_options_init(sr_telecine_options *o)
{
  memset(o, 0, sizeof *o);
  o->drop = -1;
  o->motion = 1;
}

bool
sr_telecine_film_frame(const sr_simulator_options *sim, const sr_telecine_options *t, int s,
                       sr_image **source, sr_image **reference, sr_error *err)
{
  int motion = t->motion > 0 ? t->motion : 1;
  return sr_simulator_render_frame(sim, s * motion, source, reference, err);
}

/* The transfer before the drop: offset and cadence only. */
static sr_frame_map
undropped(const sr_telecine_options *t)
{
  sr_frame_map m;
  sr_frame_map_init(&m, t->offset);
  m.cadence = t->cadence;
  m.phase = t->cadence == SR_CADENCE_NONE ? 0 : t->phase;
  return m;
}

bool
sr_telecine_truth(const sr_telecine_options *t, sr_frame_map *out, sr_error *err)
{
  *out = undropped(t);
  if (!sr_frame_map_validate(out, err))
    return false;
  if (t->drop < 0)
    return true;
  /* Film frames whose first field came after the lost frame move one frame
   * earlier: the first of them carries the break. */
  long long after = 2LL * (t->drop + 1);
  int s = (int)((after - 2LL * t->offset) * 2 / 5) - 8;
  while (sr_frame_map_first_field(out, s) < after)
    s++;
  return sr_frame_map_add_break(out, s, -1, err);
}

sr_image *
sr_telecine_render_frame(const sr_simulator_options *sim, const sr_telecine_options *t, int frame,
                         sr_error *err)
{
  sr_frame_map m = undropped(t);
  int video = t->drop >= 0 && frame >= t->drop ? frame + 1 : frame;
  int film[2];
  sr_frame_map_fields(&m, video, &film[0], &film[1]);
  sr_image *out = NULL;
  for (int f = 0; f < 2; f++) {
    if (f == 1 && film[1] == film[0])
      break;
    sr_image *src = NULL, *ref = NULL;
    if (!sr_telecine_film_frame(sim, t, film[f], &src, &ref, err)) {
      sr_image_free(out);
      return NULL;
    }
    sr_image_free(src);
    if (f == 0) {
      out = ref;
      continue;
    }
    for (int y = 1; y < out->height; y += 2) /* the bottom field */
      memcpy(sr_image_row(out, y), sr_image_row(ref, y),
             (size_t)out->width * (size_t)out->channels * sizeof(float));
    sr_image_free(ref);
  }
  if (out && film[0] != film[1] &&
      !sr_image_set_attribute(out, "spatialRecovery/fieldMixed", "1", err)) {
    sr_image_free(out);
    return NULL;
  }
  return out;
}
