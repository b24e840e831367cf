/* sr-delivery-reel.c — the Source's timecode and reel for a delivery (see
 * sr-delivery-reel.h). */
#include "sr-delivery-reel.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-io.h"
#include "sr-reel.h"

void
sr_reel_facts_clear(SrReelFacts *r)
{
  g_free(r->note);
  memset(r, 0, sizeof *r);
}

void
sr_reel_facts_lookup(SrProject *project, int first, SrReelFacts *out)
{
  memset(out, 0, sizeof *out);
  out->first_frame = first;
  /* The Source's own rate wins; else the project's (24 unless set). */
  out->fps = sr_project_timecode_fps(project);
  const char *pattern = sr_project_get_source_pattern(project);
  g_autofree char *resolved = sr_project_resolve_path(project, pattern);
  g_autofree char *path = resolved ? sr_pattern_format(resolved, first) : NULL;
  if (!path) {
    out->note = g_strdup(_("The project names no Source frames, so no timecode or reel name was "
                           "read; the masters carry none."));
    return;
  }
  sr_reel_info info;
  sr_error err = {0};
  if (!sr_image_read_reel(path, &info, &err)) {
    out->note = g_strdup_printf(_("The Source's timecode or reel name could not be used (%s); "
                                  "the masters carry none."),
                                err.message);
    return;
  }
  g_strlcpy(out->reel, info.reel, sizeof out->reel);
  if (info.fps > 0) {
    out->fps = info.fps;
    out->fps_stated = TRUE;
  }
  if (!info.has_timecode) {
    out->note = g_strdup_printf(_("Source frame %d (%s) records no timecode; none was derived."),
                                first, path);
    return;
  }
  if (!sr_timecode_check_rate(&info.timecode, out->fps, &err)) {
    out->note = g_strdup_printf(_("Source frame %d (%s): %s; the masters carry no timecode."),
                                first, path, err.message);
    return;
  }
  out->has_timecode = TRUE;
  out->first = info.timecode;
  char tc[SR_TIMECODE_TEXT_SIZE];
  sr_timecode_format(&info.timecode, tc);
  out->note = out->fps_stated
                  ? g_strdup_printf(_("Source frame %d records timecode %s at %d frames a "
                                      "second; each master counts on from it."),
                                    first, tc, out->fps)
                  : g_strdup_printf(_("Source frame %d records timecode %s but no frame rate; "
                                      "each master counts on from it at the project's %d frames "
                                      "a second."),
                                    first, tc, out->fps);
}

gboolean
sr_reel_facts_timecode(const SrReelFacts *r, int frame, char out[SR_TIMECODE_TEXT_SIZE])
{
  sr_timecode tc;
  if (!r->has_timecode || frame < r->first_frame ||
      !sr_timecode_add(&r->first, r->fps, frame - r->first_frame, &tc, NULL))
    return FALSE;
  sr_timecode_format(&tc, out);
  return TRUE;
}
