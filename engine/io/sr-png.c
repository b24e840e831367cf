/* sr-png.c — PNG through libpng.
 *
 * libpng reports errors by longjmp. Everything that must survive the jump
 * lives in a struct allocated before setjmp and is reached through a pointer
 * that never changes afterwards, so no local is clobbered.
 */
#include <errno.h>
#include <lcms2.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sr-fs.h"
#include "sr-io-private.h"
#include "sr-i18n.h"

typedef struct png_job {
  const char *path;
  FILE *fp;
  png_structp png;
  png_infop info;
  unsigned char *raw;
  png_bytep *rows;
  sr_image *img;
  void *icc;
  sr_error *err;
  bool err_set; /* err already holds a specific message */
  int write_errno;
  char message[256]; /* libpng's own message */
} png_job;

static void
png_error_cb(png_structp png, png_const_charp msg)
{
  png_job *job = png_get_error_ptr(png);
  snprintf(job->message, sizeof job->message, "%s", msg ? msg : SR_("unknown error"));
  png_longjmp(png, 1);
}

static void
png_warning_cb(png_structp png, png_const_charp msg)
{
  /* Warnings (e.g. an odd gamma chunk) do not stop the read; keep quiet. */
}

static void
png_read_cb(png_structp png, png_bytep data, size_t len)
{
  png_job *job = png_get_io_ptr(png);
  size_t n = fread(data, 1, len, job->fp);
  if (n != len) {
    if (ferror(job->fp))
      png_error(png, SR_("read error"));
    png_error(png, SR_("file is truncated"));
  }
}

static void
png_write_cb(png_structp png, png_bytep data, size_t len)
{
  png_job *job = png_get_io_ptr(png);
  if (fwrite(data, 1, len, job->fp) != len) {
    job->write_errno = errno ? errno : EIO;
    png_error(png, SR_("write failed"));
  }
}

static void
png_flush_cb(png_structp png)
{
  png_job *job = png_get_io_ptr(png);
  if (fflush(job->fp) != 0) {
    job->write_errno = errno ? errno : EIO;
    png_error(png, SR_("write failed"));
  }
}

static void
png_job_free(png_job *job, bool writing)
{
  if (job->png) {
    if (writing)
      png_destroy_write_struct(&job->png, &job->info);
    else
      png_destroy_read_struct(&job->png, &job->info, NULL);
  }
  free(job->rows);
  free(job->raw);
  free(job->icc);
  if (job->fp)
    fclose(job->fp);
  job->fp = NULL;
}

/* Header facts after libpng's transforms (expand to 8/16 bits, palette to
 * RGB, tRNS to alpha). */
typedef struct png_shape {
  png_uint_32 width, height;
  int bit_depth, color_type, png_channels, out_channels;
  int stored_bits; /* bits per pixel in the file, before any expansion */
} png_shape;

/* Runs up to png_read_update_info; false (with job->message) on error.
 * Must be called with setjmp armed by the caller. */
static void
png_setup_read(png_job *job, png_shape *sh)
{
  png_set_read_fn(job->png, job, png_read_cb);
  png_read_info(job->png, job->info);
  int bit_depth = png_get_bit_depth(job->png, job->info);
  int color_type = png_get_color_type(job->png, job->info);
  sh->stored_bits = bit_depth * png_get_channels(job->png, job->info);
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb(job->png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8(job->png);
  if (png_get_valid(job->png, job->info, PNG_INFO_tRNS))
    png_set_tRNS_to_alpha(job->png);
  if (png_get_interlace_type(job->png, job->info) != PNG_INTERLACE_NONE)
    png_set_interlace_handling(job->png);
  png_read_update_info(job->png, job->info);
  sh->width = png_get_image_width(job->png, job->info);
  sh->height = png_get_image_height(job->png, job->info);
  sh->bit_depth = png_get_bit_depth(job->png, job->info);
  sh->color_type = png_get_color_type(job->png, job->info);
  sh->png_channels = png_get_channels(job->png, job->info);
  /* Gray+alpha becomes RGBA: images hold 1, 3 or 4 channels. */
  sh->out_channels = sh->png_channels == 2 ? 4 : sh->png_channels;
}

static bool
png_open(png_job *job, const char *path, sr_error *err)
{
  memset(job, 0, sizeof *job);
  job->path = path;
  job->err = err;
  job->fp = sr_fopen_regular(path, err);
  if (!job->fp)
    return false;
  job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, png_error_cb, png_warning_cb);
  if (job->png)
    job->info = png_create_info_struct(job->png);
  if (!job->png || !job->info) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    png_job_free(job, false);
    return false;
  }
  return true;
}

static bool
png_read_header(png_job *job, png_shape *sh)
{
  if (setjmp(png_jmpbuf(job->png)))
    return false;
  png_setup_read(job, sh);
  return true;
}

/* The colour chunks after png_read_info: an iCCP profile (its colorants
 * and description), else cHRM primaries; sRGB and gAMA either way. */
static void
png_read_colour(png_job *job, sr_image_info *info)
{
  png_charp name = NULL;
  int compression = 0;
  png_bytep profile = NULL;
  png_uint_32 len = 0;
  double gamma = 0, c[8];
  int intent = 0;
  if (png_get_sRGB(job->png, job->info, &intent)) {
    info->srgb_chunk = true;
    snprintf(info->colour_field, sizeof info->colour_field, "%s", SR_("PNG sRGB chunk"));
  }
  if (png_get_gAMA(job->png, job->info, &gamma) && gamma > 0 && gamma < 100)
    info->gamma = (float)gamma;
  if (png_get_iCCP(job->png, job->info, &name, &compression, &profile, &len) && profile &&
      sr_image_info_read_icc(info, profile, len, SR_("PNG iCCP profile")))
    return;
  if (png_get_cHRM(job->png, job->info, &c[6], &c[7], &c[0], &c[1], &c[2], &c[3], &c[4], &c[5])) {
    for (int i = 0; i < 8; i++)
      info->chromaticities[i] = (float)c[i];
    info->has_chromaticities = true;
    /* With the sRGB chunk, cHRM only restates it. */
    if (!info->srgb_chunk)
      snprintf(info->colour_field, sizeof info->colour_field, "%s", SR_("PNG cHRM chunk"));
  }
  if (!info->colour_field[0] && info->gamma > 0)
    snprintf(info->colour_field, sizeof info->colour_field, "%s", SR_("PNG gAMA chunk"));
}

bool
sr_png_read_info(const char *path, sr_image_info *info, sr_error *err)
{
  png_job job;
  if (!png_open(&job, path, err))
    return false;
  png_shape sh;
  bool ok = png_read_header(&job, &sh);
  if (!ok)
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: corrupt or truncated PNG file: %s; copy or export it again"), path,
                 job.message);
  else if ((ok = sr_image_check_size((int)sh.width, (int)sh.height, sh.out_channels, path, err))) {
    info->format = SR_FORMAT_PNG;
    info->width = (int)sh.width;
    info->height = (int)sh.height;
    info->channels = sh.out_channels;
    info->data_window = info->display_window = (sr_rect){0, 0, (int)sh.width, (int)sh.height};
    info->bit_depth = sh.bit_depth;
    png_read_colour(&job, info);
  }
  png_job_free(&job, false);
  return ok;
}

/* Everything between setjmp and the end of decoding. */
static bool
png_decode(png_job *job)
{
  if (setjmp(png_jmpbuf(job->png)))
    return false;
  png_shape sh;
  png_setup_read(job, &sh);
  if (!sr_image_check_size((int)sh.width, (int)sh.height, sh.out_channels, job->path, job->err)) {
    job->err_set = true;
    return false;
  }
  size_t rowbytes = png_get_rowbytes(job->png, job->info);
  size_t bps = sh.bit_depth == 16 ? 2 : 1;
  if (rowbytes != (size_t)sh.width * sh.png_channels * bps) {
    snprintf(job->message, sizeof job->message, SR_("unexpected row size %zu"), rowbytes);
    return false;
  }
  /* Deflate cannot pass 1032:1, and each row also stores a filter byte: a
   * file shorter than that bound is truncated, and is refused before the
   * frame's memory is reserved (a few bytes could otherwise ask for
   * gigabytes). */
  struct stat st;
  double stored_row = ((double)sh.width * sh.stored_bits + 7) / 8 + 1;
  double needed = stored_row * sh.height / 1032.0;
  if (fstat(fileno(job->fp), &st) == 0 && S_ISREG(st.st_mode) && (double)st.st_size < needed) {
    sr_error_set(job->err, SR_ERR_FORMAT,
                 SR_("%s: the file is %lld bytes, too short for the %ux%u image its header "
                     "declares (at least %.0f bytes); the file is truncated or damaged, copy it "
                     "again"),
                 job->path, (long long)st.st_size, (unsigned)sh.width, (unsigned)sh.height, needed);
    job->err_set = true;
    return false;
  }
  job->raw = malloc(rowbytes * sh.height);
  job->rows = malloc(sizeof(png_bytep) * sh.height);
  job->img = sr_image_new((int)sh.width, (int)sh.height, sh.out_channels, job->err);
  if (!job->raw || !job->rows || !job->img) {
    if (!job->img)
      job->err_set = true;
    snprintf(job->message, sizeof job->message, SR_("out of memory"));
    return false;
  }
  for (png_uint_32 y = 0; y < sh.height; y++)
    job->rows[y] = job->raw + (size_t)y * rowbytes;
  png_read_image(job->png, job->rows);
  png_read_end(job->png, NULL);

  /* code / max, correctly rounded, so 16-bit values survive a float round trip */
  const float max = sh.bit_depth == 16 ? 65535.0f : 255.0f;
  int pc = sh.png_channels, oc = sh.out_channels;
  for (png_uint_32 y = 0; y < sh.height; y++) {
    const unsigned char *src = job->rows[y];
    float *dst = sr_image_row(job->img, (int)y);
    for (png_uint_32 x = 0; x < sh.width; x++) {
      float v[4];
      for (int c = 0; c < pc; c++) {
        const unsigned char *p = src + ((size_t)x * pc + c) * bps;
        unsigned code = bps == 2 ? (unsigned)p[0] << 8 | p[1] : p[0];
        v[c] = (float)code / max;
      }
      if (pc == 2) { /* gray, alpha → RGBA */
        dst[0] = dst[1] = dst[2] = v[0];
        dst[3] = v[1];
      } else {
        for (int c = 0; c < oc; c++)
          dst[c] = v[c];
      }
      dst += oc;
    }
  }
  return true;
}

sr_image *
sr_png_read(const char *path, sr_error *err)
{
  png_job job;
  if (!png_open(&job, path, err))
    return NULL;
  bool ok = png_decode(&job);
  sr_image *img = job.img;
  if (!ok) {
    if (!job.err_set)
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: corrupt or truncated PNG file: %s; copy or export it again"), path,
                   job.message);
    sr_image_free(img);
    img = NULL;
  }
  job.img = NULL;
  png_job_free(&job, false);
  return img;
}

/* An sRGB ICC profile from LittleCMS, serialised; NULL when it fails.
 * LittleCMS stamps the profile with the time it was made; a fixed date
 * (2000-01-01 00:00) instead keeps a re-rendered frame byte-identical to
 * the first render, as a resumed or farmed render must be. The header holds
 * no profile ID (MD5) over these bytes unless one is asked for. */
static void *
srgb_icc(cmsUInt32Number *len)
{
  static const unsigned char fixed_date[12] = {0x07, 0xd0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
  cmsHPROFILE p = cmsCreate_sRGBProfile();
  if (!p)
    return NULL;
  void *buf = NULL;
  cmsUInt32Number n = 0;
  if (cmsSaveProfileToMem(p, NULL, &n) && n > 0 && (buf = malloc(n)) &&
      !cmsSaveProfileToMem(p, buf, &n)) {
    free(buf);
    buf = NULL;
  }
  if (buf && n >= 36)
    memcpy((unsigned char *)buf + 24, fixed_date, sizeof fixed_date);
  cmsCloseProfile(p);
  *len = n;
  return buf;
}

static bool
png_encode(png_job *job, const sr_image *img, const sr_write_options *opts)
{
  if (setjmp(png_jmpbuf(job->png)))
    return false;
  int oc = img->channels == 1 ? 1 : (img->channels == 4 && opts->write_alpha ? 4 : 3);
  int color_type = oc == 1   ? PNG_COLOR_TYPE_GRAY
                   : oc == 3 ? PNG_COLOR_TYPE_RGB
                             : PNG_COLOR_TYPE_RGB_ALPHA;
  int depth = opts->bit_depth == 8 ? 8 : 16;
  png_set_write_fn(job->png, job, png_write_cb, png_flush_cb);
  png_set_IHDR(job->png, job->info, (png_uint_32)img->width, (png_uint_32)img->height, depth,
               color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  /* A gray image cannot carry an RGB profile; it gets the sRGB chunk only. */
  cmsUInt32Number icc_len = 0;
  if (oc != 1 && (job->icc = srgb_icc(&icc_len)))
    png_set_iCCP(job->png, job->info, "sRGB", PNG_COMPRESSION_TYPE_BASE, job->icc, icc_len);
  else
    png_set_sRGB_gAMA_and_cHRM(job->png, job->info, PNG_sRGB_INTENT_PERCEPTUAL);
  png_set_compression_level(job->png, 6);
  png_write_info(job->png, job->info);

  size_t bps = (size_t)depth / 8;
  size_t rowbytes = (size_t)img->width * oc * bps;
  job->raw = malloc(rowbytes);
  if (!job->raw) {
    snprintf(job->message, sizeof job->message, SR_("out of memory"));
    return false;
  }
  uint32_t max = depth == 16 ? 65535u : 255u;
  for (int y = 0; y < img->height; y++) {
    const float *src = sr_image_row(img, y);
    unsigned char *p = job->raw;
    for (int x = 0; x < img->width; x++) {
      for (int c = 0; c < oc; c++) {
        uint32_t q = sr_io_quantize(src[c], max);
        if (bps == 2) {
          *p++ = (unsigned char)(q >> 8);
          *p++ = (unsigned char)q;
        } else {
          *p++ = (unsigned char)q;
        }
      }
      src += img->channels;
    }
    png_write_row(job->png, job->raw);
  }
  png_write_end(job->png, job->info);
  return true;
}

bool
sr_png_write(const char *path, const char *temp_path, const sr_image *img,
             const sr_write_options *opts, sr_error *err)
{
  png_job job;
  memset(&job, 0, sizeof job);
  job.path = path;
  job.err = err;
  job.fp = fopen(temp_path, "wb");
  if (!job.fp) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    return false;
  }
  /* The temporary was created private (0600); a delivered frame is not. */
  fchmod(fileno(job.fp), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
  job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, png_error_cb, png_warning_cb);
  if (job.png)
    job.info = png_create_info_struct(job.png);
  if (!job.png || !job.info) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    png_job_free(&job, true);
    return false;
  }
  bool ok = png_encode(&job, img, opts);
  if (ok && (fflush(job.fp) != 0 || ferror(job.fp))) {
    job.write_errno = errno ? errno : EIO;
    ok = false;
  }
  if (!ok) {
    if (job.write_errno)
      sr_error_set_errno(err, job.write_errno, SR_("cannot write %s"), path);
    else
      sr_error_set(err, SR_ERR_IO, SR_("%s: PNG encoder failed: %s"), path, job.message);
  }
  FILE *fp = job.fp;
  job.fp = NULL;
  png_job_free(&job, true);
  if (fclose(fp) != 0 && ok) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    ok = false;
  }
  return ok;
}
