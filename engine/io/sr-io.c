/* sr-io.c — format names, sniffing, and the read/write entry points that
 * dispatch to the format modules. Writes go through a temporary file beside
 * the target (sr-fs.h) so a failed or interrupted write leaves the target as
 * it was. */
#include "sr-io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-io-private.h"
#include "sr-movie.h"
#include "sr-i18n.h"

void
sr_write_options_init(sr_write_options *opts)
{
  opts->compression = SR_EXR_ZIP;
  opts->dwa_level = 45.0f;
  opts->bit_depth = 16;
  opts->write_alpha = false;
  /* On grainy 2K scans level 4 is within 2% of level 6's size in about 60%
   * of the time, and level 1 costs 4% more size for another halving. */
  opts->zip_level = 4;
  opts->dpx_transfer = SR_DPX_USER_DEFINED;
  opts->dpx_colorimetric = SR_DPX_USER_DEFINED;
}

const char *
sr_format_name(sr_format f)
{
  switch (f) {
  case SR_FORMAT_EXR: return "OpenEXR";
  case SR_FORMAT_PNG: return "PNG";
  case SR_FORMAT_TIFF: return "TIFF";
  case SR_FORMAT_DPX: return "DPX";
  case SR_FORMAT_MOVIE: return SR_("movie");
  case SR_FORMAT_UNKNOWN: break;
  }
  return "unknown";
}

sr_format
sr_format_from_path(const char *path)
{
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(slash ? slash : path, '.');
  if (!dot)
    return SR_FORMAT_UNKNOWN;
  dot++;
  if (strcasecmp(dot, "exr") == 0)
    return SR_FORMAT_EXR;
  if (strcasecmp(dot, "png") == 0)
    return SR_FORMAT_PNG;
  if (strcasecmp(dot, "tif") == 0 || strcasecmp(dot, "tiff") == 0)
    return SR_FORMAT_TIFF;
  if (strcasecmp(dot, "dpx") == 0)
    return SR_FORMAT_DPX;
  return SR_FORMAT_UNKNOWN;
}

sr_format
sr_format_sniff(const char *path, sr_error *err)
{
  int fd = sr_open_regular(path, err);
  if (fd < 0)
    return SR_FORMAT_UNKNOWN;
  unsigned char m[8] = {0};
  ssize_t n = pread(fd, m, sizeof m, 0);
  int e = errno;
  close(fd);
  if (n < 0) {
    sr_error_set_errno(err, e, SR_("cannot read %s"), path);
    return SR_FORMAT_UNKNOWN;
  }
  if (n >= 4 && m[0] == 0x76 && m[1] == 0x2f && m[2] == 0x31 && m[3] == 0x01)
    return SR_FORMAT_EXR;
  if (n >= 8 && memcmp(m, "\x89PNG\r\n\x1a\n", 8) == 0)
    return SR_FORMAT_PNG;
  /* Classic TIFF (42) and BigTIFF (43), either byte order. */
  if (n >= 4 && ((m[0] == 'I' && m[1] == 'I' && (m[2] == 42 || m[2] == 43) && m[3] == 0) ||
                 (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && (m[3] == 42 || m[3] == 43))))
    return SR_FORMAT_TIFF;
  if (n >= 4 && (memcmp(m, "SDPX", 4) == 0 || memcmp(m, "XPDS", 4) == 0))
    return SR_FORMAT_DPX;
  if (sr_movie_sniff(path))
    return SR_FORMAT_MOVIE;
  if (n == 0)
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: the file is empty"), path);
  else
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: not an image this program reads (expected OpenEXR, PNG, TIFF or DPX; "
                     "first bytes %02x %02x %02x %02x)"),
                 path, m[0], m[1], m[2], m[3]);
  return SR_FORMAT_UNKNOWN;
}

bool
sr_movie_sniff(const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  unsigned char m[192] = {0};
  ssize_t n = pread(fd, m, sizeof m, 0);
  close(fd);
  if (n < 12)
    return false;
  static const char *const atoms[] = {"ftyp", "moov", "mdat", "wide", "free", "skip", "pnot"};
  for (size_t i = 0; i < sizeof atoms / sizeof *atoms; i++)
    if (memcmp(m + 4, atoms[i], 4) == 0)
      return true;                                                       /* QuickTime / MP4 */
  return memcmp(m, "\x1a\x45\xdf\xa3", 4) == 0 ||                        /* Matroska, WebM */
         memcmp(m, "\x06\x0e\x2b\x34", 4) == 0 ||                        /* MXF */
         (memcmp(m, "RIFF", 4) == 0 && memcmp(m + 8, "AVI ", 4) == 0) || /* AVI */
         memcmp(m, "nut/multimedia", 14) == 0 ||                         /* NUT */
         (n >= 189 && m[0] == 0x47 && m[188] == 0x47);                   /* MPEG-TS */
}

static const char *const compression_names[] = {
    [SR_EXR_ZIP] = "zip",
    [SR_EXR_DWAA] = "dwaa",
    [SR_EXR_PIZ] = "piz",
    [SR_EXR_NONE] = "none",
};

bool
sr_exr_compression_from_name(const char *name, sr_exr_compression *out)
{
  if (!name)
    return false;
  for (int c = SR_EXR_ZIP; c <= SR_EXR_NONE; c++) {
    if (strcasecmp(name, compression_names[c]) == 0) {
      *out = (sr_exr_compression)c;
      return true;
    }
  }
  return false;
}

const char *
sr_exr_compression_name(sr_exr_compression c)
{
  if ((int)c < SR_EXR_ZIP || c > SR_EXR_NONE)
    return "unknown";
  return compression_names[c];
}

int
sr_io_thread_count(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1)
    return 1;
  return n > 8 ? 8 : (int)n;
}

bool
sr_io_sink_pwrite(sr_io_sink *sink, const void *buf, size_t len, uint64_t offset)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t w = pwrite(sink->fd, p, len, (off_t)offset);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      if (!sink->write_errno)
        sink->write_errno = w < 0 ? errno : ENOSPC;
      return false;
    }
    p += w;
    len -= (size_t)w;
    offset += (uint64_t)w;
  }
  return true;
}

/* A movie's stream facts (its first frame's size): the index is not cached
 * here, as no project is known. */
static bool
movie_info(const char *path, sr_image_info *info, sr_error *err)
{
  sr_movie *m = sr_movie_open(path, NULL, err);
  if (!m)
    return false;
  const sr_movie_info *mi = sr_movie_get_info(m);
  info->format = SR_FORMAT_MOVIE;
  info->width = mi->width;
  info->height = mi->height;
  info->channels = 3;
  info->data_window = info->display_window = (sr_rect){0, 0, mi->width, mi->height};
  info->bit_depth = mi->bit_depth;
  sr_movie_unref(m);
  return true;
}

bool
sr_image_read_info(const char *path, sr_image_info *info, sr_error *err)
{
  memset(info, 0, sizeof *info);
  info->transfer = info->colorimetric = -1;
  sr_format f = sr_format_sniff(path, err);
  switch (f) {
  case SR_FORMAT_EXR: return sr_exr_read_info(path, info, err);
  case SR_FORMAT_PNG: return sr_png_read_info(path, info, err);
  case SR_FORMAT_TIFF: return sr_tiff_read_info(path, info, err);
  case SR_FORMAT_DPX: return sr_dpx_read_info(path, info, err);
  case SR_FORMAT_MOVIE: return movie_info(path, info, err);
  case SR_FORMAT_UNKNOWN: break;
  }
  return false;
}

bool
sr_image_read_attribute(const char *path, const char *key, char **value, sr_error *err)
{
  *value = NULL;
  sr_format f = sr_format_sniff(path, err);
  if (f == SR_FORMAT_EXR)
    return sr_exr_read_attribute(path, key, value, err);
  return f != SR_FORMAT_UNKNOWN;
}

sr_image *
sr_image_read(const char *path, sr_error *err)
{
  sr_format f = sr_format_sniff(path, err);
  switch (f) {
  case SR_FORMAT_EXR: return sr_exr_read(path, err);
  case SR_FORMAT_PNG: return sr_png_read(path, err);
  case SR_FORMAT_TIFF: return sr_tiff_read(path, err);
  case SR_FORMAT_DPX: return sr_dpx_read(path, err);
  case SR_FORMAT_MOVIE:
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s is a movie file; open it as a sequence to read its frames"), path);
    break;
  case SR_FORMAT_UNKNOWN: break;
  }
  return NULL;
}

bool
sr_image_write(const char *path, const sr_image *img, const sr_write_options *opts, sr_error *err)
{
  sr_write_options defaults;
  if (!opts) {
    sr_write_options_init(&defaults);
    opts = &defaults;
  }
  if (!img || !img->pixels) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: no image to write"), path);
    return false;
  }
  if (!sr_image_check_size(img->width, img->height, img->channels, path, err))
    return false;
  sr_format f = sr_format_from_path(path);
  if (f == SR_FORMAT_UNKNOWN) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s: unknown file type; name the output .exr, .png, .tif, .tiff or .dpx"),
                 path);
    return false;
  }
  if ((f == SR_FORMAT_PNG || f == SR_FORMAT_TIFF) && opts->bit_depth != 8 &&
      opts->bit_depth != 16) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: bit depth %d for %s (choose 8 or 16)"), path,
                 opts->bit_depth, sr_format_name(f));
    return false;
  }
  if (f == SR_FORMAT_EXR &&
      ((int)opts->compression < SR_EXR_ZIP || opts->compression > SR_EXR_NONE)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: unknown EXR compression %d"), path,
                 (int)opts->compression);
    return false;
  }
  /* The format writers open the temporary by name; the atomic file keeps
   * it locked meanwhile (see sr-fs.h) and fsyncs and renames it after. */
  sr_atomic_file af;
  if (!sr_atomic_open(&af, path, err))
    return false;
  bool ok = false;
  switch (f) {
  case SR_FORMAT_EXR: ok = sr_exr_write(path, af.temp_path, img, opts, err); break;
  case SR_FORMAT_PNG: ok = sr_png_write(path, af.temp_path, img, opts, err); break;
  case SR_FORMAT_TIFF: ok = sr_tiff_write(path, af.temp_path, img, opts, err); break;
  case SR_FORMAT_DPX: ok = sr_dpx_write(path, af.temp_path, img, opts, err); break;
  case SR_FORMAT_MOVIE:
  case SR_FORMAT_UNKNOWN: break;
  }
  if (ok)
    ok = sr_atomic_commit(&af, err); /* removes the temporary itself on failure */
  else
    sr_atomic_abort(&af);
  return ok;
}
