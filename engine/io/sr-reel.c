/* sr-reel.c — timecode, frame rate and reel name from a frame's header
 * (see sr-reel.h): the dispatch and the DPX part. */
#include "sr-reel.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-i18n.h"
#include "sr-io.h"

#define DPX_INDUSTRY_END 2048

static uint32_t
dpx_u32(const unsigned char *p, bool be)
{
  return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
            : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static float
dpx_f32(const unsigned char *p, bool be)
{
  uint32_t u = dpx_u32(p, be);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* A DPX frame rate field: undefined (all ones, NaN, 0) reads as 0; a
 * defined rate must be a plausible film or video rate. */
static bool
dpx_rate(const char *path, const unsigned char *p, bool be, const char *field, sr_reel_info *out,
         sr_error *err)
{
  if (dpx_u32(p, be) == 0xffffffffu)
    return true;
  float r = dpx_f32(p, be);
  if (!isfinite(r) || r == 0.0f)
    return true;
  if (r < 1.0f || r > 120.0f) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: DPX %s is %g (1 to 120 frames a second expected)"),
                 path, field, (double)r);
    return false;
  }
  out->fps = (int)lroundf(r);
  out->rate = r;
  return true;
}

/* A fixed-size text field: undefined when it starts with NUL or 0xff;
 * otherwise printable ASCII up to the first NUL. */
static bool
dpx_text(const char *path, const unsigned char *p, size_t n, const char *field, char *out,
         size_t cap, sr_error *err)
{
  out[0] = '\0';
  if (p[0] == 0 || p[0] == 0xff)
    return true;
  size_t len = 0;
  while (len < n && p[len])
    len++;
  for (size_t i = 0; i < len; i++)
    if (p[i] < 0x20 || p[i] > 0x7e) {
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: DPX %s holds a control or non-ASCII byte (0x%02x at %zu); fix the "
                       "field in the scan's header or remove it"),
                   path, field, p[i], i);
      return false;
    }
  while (len > 0 && p[len - 1] == ' ')
    len--;
  if (len >= cap)
    len = cap - 1;
  memcpy(out, p, len);
  out[len] = '\0';
  return true;
}

static bool
dpx_read_reel(const char *path, sr_reel_info *out, sr_error *err)
{
  int fd = sr_open_regular(path, err);
  if (fd < 0)
    return false;
  unsigned char hd[DPX_INDUSTRY_END];
  ssize_t got = pread(fd, hd, sizeof hd, 0);
  int e = errno;
  close(fd);
  if (got < 0) {
    sr_error_set_errno(err, e, SR_("cannot read %s"), path);
    return false;
  }
  bool be = got >= 4 && memcmp(hd, "SDPX", 4) == 0;
  if (got < 4 || (!be && memcmp(hd, "XPDS", 4) != 0)) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: not a DPX file (bad magic number)"), path);
    return false;
  }
  /* The orientation header ends at 1664 and the industry headers at 2048;
   * a file whose header stops earlier records neither. */
  uint32_t generic = got >= 32 ? dpx_u32(hd + 24, be) : 0;
  uint32_t industry = got >= 32 ? dpx_u32(hd + 28, be) : 0;
  if (got >= 1664 && generic >= 1664 && generic != 0xffffffffu &&
      !dpx_text(path, hd + 1556, 32, SR_("input device name (reel)"), out->reel, sizeof out->reel,
                err))
    return false;
  if (got < DPX_INDUSTRY_END || generic < 1664 || generic == 0xffffffffu || industry < 384 ||
      industry == 0xffffffffu)
    return true;
  if (!dpx_rate(path, hd + 1724, be, SR_("film header frame rate"), out, err) ||
      !dpx_rate(path, hd + 1940, be, SR_("television header frame rate"), out, err))
    return false;
  uint32_t tc = dpx_u32(hd + 1920, be);
  if (tc == SR_TIMECODE_UNSET)
    return true;
  if (!sr_timecode_unpack(tc, false, &out->timecode, err)) {
    sr_error_prefix(err, SR_("%s: DPX television header time code: "), path);
    return false;
  }
  out->has_timecode = true;
  return true;
}

bool
sr_image_read_reel(const char *path, sr_reel_info *out, sr_error *err)
{
  memset(out, 0, sizeof *out);
  switch (sr_format_from_path(path)) {
  case SR_FORMAT_EXR: return sr_exr_read_reel(path, out, err);
  case SR_FORMAT_DPX: return dpx_read_reel(path, out, err);
  default: return true;
  }
}
