/* sr-exr-meta.c — reading attributes from a header alone: the reel context
 * (timeCode, framesPerSecond and the reel name, sr-reel.h) and any one
 * string attribute (sr_image_read_attribute); and writing timeCode and
 * framesPerSecond typed, as the standard defines them, when a master is
 * written (sr-exr.c calls sr_exr_set_typed_attr). */
#include "sr-exr-private.h"
#include "sr-io-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-i18n.h"

/* The standard attributes that EXR types: timeCode ("HH:MM:SS:FF", see
 * sr-timecode.h) and framesPerSecond ("N" or "N/D") are written typed, as
 * Resolve and Nuke read them. 1: written, 0: not one of them, -1: error. */
int
sr_exr_set_typed_attr(exr_context_t ctxt, int part, const sr_attribute *a, const char *path,
                      sr_error *err)
{
  exr_result_t rv;
  if (strcmp(a->key, "timeCode") == 0) {
    sr_timecode tc;
    if (!sr_timecode_parse(a->value, &tc, err)) {
      sr_error_prefix(err, SR_("%s: attribute timeCode: "), path);
      return -1;
    }
    exr_attr_timecode_t t = {sr_timecode_pack(&tc), 0};
    rv = exr_attr_set_timecode(ctxt, part, "timeCode", &t);
  } else if (strcmp(a->key, "framesPerSecond") == 0) {
    unsigned num = 0, den = 1;
    char tail = 0;
    int n = a->value ? sscanf(a->value, "%u/%u%c", &num, &den, &tail) : 0;
    if (n < 1 || n > 2 || num == 0 || num > 1000000 || den == 0 || den > 1000000) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("%s: attribute framesPerSecond \"%s\" is not a rate (N or N/D)"), path,
                   a->value ? a->value : "");
      return -1;
    }
    exr_attr_rational_t r = {(int32_t)num, den};
    rv = exr_attr_set_rational(ctxt, part, "framesPerSecond", &r);
  } else {
    return 0;
  }
  if (rv != EXR_ERR_SUCCESS) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: cannot store attribute \"%s\" (%s)"), path, a->key,
                 exr_get_default_error_message(rv));
    return -1;
  }
  return 1;
}

bool
sr_exr_read_reel(const char *path, sr_reel_info *out, sr_error *err)
{
  exr_context_t ctxt;
  void *handle;
  if (!sr_exr_header_open(path, &ctxt, &handle, err))
    return false;
  bool ok = true;
  const exr_attribute_t *a = NULL;
  if (exr_get_attribute_by_name(ctxt, 0, "timeCode", &a) == EXR_ERR_SUCCESS && a) {
    if (a->type != EXR_ATTR_TIMECODE || !a->timecode) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: attribute timeCode has type %s, not timecode; fix or remove it"), path,
                   a->type_name ? a->type_name : "?");
      ok = false;
    } else if (!sr_timecode_unpack(a->timecode->time_and_flags, true, &out->timecode, err)) {
      sr_error_prefix(err, SR_("%s: attribute timeCode: "), path);
      ok = false;
    } else {
      out->has_timecode = true;
    }
  }
  if (ok && exr_get_attribute_by_name(ctxt, 0, "framesPerSecond", &a) == EXR_ERR_SUCCESS && a &&
      a->type == EXR_ATTR_RATIONAL && a->rational) {
    double fps = a->rational->denom ? (double)a->rational->num / a->rational->denom : 0;
    if (!(fps >= 1 && fps <= 120)) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: attribute framesPerSecond is %d/%u (1 to 120 frames a second "
                       "expected)"),
                   path, a->rational->num, a->rational->denom);
      ok = false;
    } else {
      out->fps = (int)lround(fps);
      out->rate = fps;
    }
  }
  static const char *const reel_names[] = {"reelName", "reel", "tapeName", "tape"};
  for (size_t i = 0; ok && i < sizeof reel_names / sizeof *reel_names && !out->reel[0]; i++)
    if (exr_get_attribute_by_name(ctxt, 0, reel_names[i], &a) == EXR_ERR_SUCCESS && a &&
        a->type == EXR_ATTR_STRING && a->string && a->string->str && a->string->length > 0) {
      size_t len = (size_t)a->string->length;
      for (size_t k = 0; ok && k < len; k++)
        if ((unsigned char)a->string->str[k] < 0x20 || a->string->str[k] == 0x7f) {
          sr_error_set(err, SR_ERR_FORMAT,
                       SR_("%s: attribute %s holds a control character; fix or remove it"), path,
                       reel_names[i]);
          ok = false;
        }
      if (ok)
        snprintf(out->reel, sizeof out->reel, "%.*s", (int)len, a->string->str);
    }
  sr_exr_header_close(&ctxt, handle);
  return ok;
}

bool
sr_exr_read_attribute(const char *path, const char *key, char **value, sr_error *err)
{
  *value = NULL;
  exr_context_t ctxt;
  void *handle;
  if (!sr_exr_header_open(path, &ctxt, &handle, err))
    return false;
  bool ok = true;
  const exr_attribute_t *a = NULL;
  if (exr_get_attribute_by_name(ctxt, 0, key, &a) == EXR_ERR_SUCCESS && a &&
      a->type == EXR_ATTR_STRING && a->string && a->string->str) {
    size_t len = a->string->length > 0 ? (size_t)a->string->length : 0;
    if (!(*value = strndup(a->string->str, len))) {
      sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
      ok = false;
    }
  }
  sr_exr_header_close(&ctxt, handle);
  return ok;
}
