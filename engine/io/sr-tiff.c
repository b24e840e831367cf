/* sr-tiff.c — TIFF through libtiff.
 *
 * Files are opened with our own I/O callbacks and per-handle message
 * handlers (libtiff >= 4.5), so libtiff's messages become our error text and
 * a failed write keeps its errno. libtiff's process-wide handlers, which print
 * to stderr, are switched off once for the few paths that still use them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-io-private.h"
#include "sr-i18n.h"

typedef struct tiff_io {
  int fd;
  int read_errno;
  sr_io_sink sink;
  uint64_t pos;
  char message[256];
} tiff_io;

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void
silence_global_handlers(void)
{
  TIFFSetErrorHandler(NULL);
  TIFFSetWarningHandler(NULL);
}

/* libtiff's message format and arguments, as vprintf takes them. */
static int tiff_error_cb(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int
tiff_error_cb(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
  tiff_io *io = ud;
  if (!io->message[0]) {
    char text[200];
    vsnprintf(text, sizeof text, fmt, ap);
    if (module && module[0])
      snprintf(io->message, sizeof io->message, "%s: %s", module, text);
    else
      snprintf(io->message, sizeof io->message, "%s", text);
  }
  return 1;
}

static int
tiff_warning_cb(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
  return 1; /* unknown tags and the like: not worth a word */
}

static tmsize_t
tiff_read_cb(thandle_t h, void *buf, tmsize_t n)
{
  tiff_io *io = h;
  size_t done = 0;
  while (done < (size_t)n) {
    ssize_t r = pread(io->fd, (char *)buf + done, (size_t)n - done, (off_t)(io->pos + done));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      io->read_errno = errno;
      return -1;
    }
    if (r == 0)
      break;
    done += (size_t)r;
  }
  io->pos += done;
  return (tmsize_t)done;
}

static tmsize_t
tiff_write_cb(thandle_t h, void *buf, tmsize_t n)
{
  tiff_io *io = h;
  if (!sr_io_sink_pwrite(&io->sink, buf, (size_t)n, io->pos))
    return -1;
  io->pos += (uint64_t)n;
  return n;
}

static toff_t
tiff_seek_cb(thandle_t h, toff_t off, int whence)
{
  tiff_io *io = h;
  int64_t base = 0;
  if (whence == SEEK_CUR) {
    base = (int64_t)io->pos;
  } else if (whence == SEEK_END) {
    struct stat st;
    if (fstat(io->fd, &st) != 0)
      return (toff_t)-1;
    base = st.st_size;
  }
  int64_t p = base + (int64_t)off;
  if (p < 0)
    return (toff_t)-1;
  io->pos = (uint64_t)p;
  return (toff_t)p;
}

static int
tiff_close_cb(thandle_t h)
{
  return 0; /* the fd belongs to the caller */
}

static toff_t
tiff_size_cb(thandle_t h)
{
  tiff_io *io = h;
  struct stat st;
  return fstat(io->fd, &st) == 0 ? (toff_t)st.st_size : 0;
}

static int
tiff_map_cb(thandle_t h, void **base, toff_t *size)
{
  return 0;
}

static void
tiff_unmap_cb(thandle_t h, void *base, toff_t size)
{}

static TIFF *
tiff_open(tiff_io *io, int fd, const char *path, const char *mode)
{
  pthread_once(&quiet_once, silence_global_handlers);
  memset(io, 0, sizeof *io);
  io->fd = fd;
  io->sink.fd = fd;
  TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
  if (!o)
    return NULL;
  TIFFOpenOptionsSetErrorHandlerExtR(o, tiff_error_cb, io);
  /* No single libtiff buffer beyond what a 16K x 16K RGBA float strip needs. */
  TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)1 << 32);
  TIFFOpenOptionsSetWarningHandlerExtR(o, tiff_warning_cb, io);
  TIFF *tif = TIFFClientOpenExt(path, mode, io, tiff_read_cb, tiff_write_cb, tiff_seek_cb,
                                tiff_close_cb, tiff_size_cb, tiff_map_cb, tiff_unmap_cb, o);
  TIFFOpenOptionsFree(o);
  return tif;
}

static void
tiff_corrupt(sr_error *err, const tiff_io *io, const char *path, const char *what)
{
  if (io->read_errno)
    sr_error_set_errno(err, io->read_errno, SR_("cannot read %s"), path);
  else
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: corrupt or truncated TIFF file (%s)%s%s; copy or export it again"), path,
                 what, io->message[0] ? ": " : "", io->message);
}

/* ---- Reading ------------------------------------------------------------ */

typedef struct tiff_shape {
  uint32_t width, height;
  uint16_t spp, bps, format, planar, photometric;
  int colour;       /* colour samples: 1 or 3 */
  int alpha_sample; /* index of the alpha sample, -1 when none */
  int out_channels;
} tiff_shape;

static bool
tiff_read_shape(TIFF *tif, tiff_io *io, tiff_shape *sh, const char *path, sr_error *err)
{
  memset(sh, 0, sizeof *sh);
  if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &sh->width) ||
      !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &sh->height)) {
    tiff_corrupt(err, io, path, SR_("ImageWidth or ImageLength missing"));
    return false;
  }
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &sh->spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &sh->bps);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &sh->format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &sh->planar);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &sh->photometric))
    sh->photometric = sh->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  if (sh->photometric == PHOTOMETRIC_RGB)
    sh->colour = 3;
  else if (sh->photometric == PHOTOMETRIC_MINISBLACK || sh->photometric == PHOTOMETRIC_MINISWHITE)
    sh->colour = 1;
  else {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: TIFF PhotometricInterpretation %u is not read (only RGB and grayscale); "
                     "export the scan as RGB"),
                 path, sh->photometric);
    return false;
  }
  if (sh->spp < sh->colour || sh->spp > 16) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: TIFF SamplesPerPixel %u does not fit photometric %u"),
                 path, sh->spp, sh->photometric);
    return false;
  }
  bool int_ok = sh->format == SAMPLEFORMAT_UINT && (sh->bps == 8 || sh->bps == 16);
  bool float_ok = sh->format == SAMPLEFORMAT_IEEEFP && sh->bps == 32;
  if (!int_ok && !float_ok) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: TIFF BitsPerSample %u with SampleFormat %u is not read "
                     "(8 or 16-bit unsigned, or 32-bit float)"),
                 path, sh->bps, sh->format);
    return false;
  }
  sh->alpha_sample = -1;
  uint16_t n_extra = 0;
  uint16_t *extra = NULL;
  if (sh->spp > sh->colour && TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &n_extra, &extra) &&
      n_extra > 0 && extra &&
      (extra[0] == EXTRASAMPLE_ASSOCALPHA || extra[0] == EXTRASAMPLE_UNASSALPHA))
    sh->alpha_sample = sh->colour;
  sh->out_channels = sh->alpha_sample >= 0 ? 4 : sh->colour;
  int w = sh->width > INT32_MAX ? INT32_MAX : (int)sh->width;
  int h = sh->height > INT32_MAX ? INT32_MAX : (int)sh->height;
  return sr_image_check_size(w, h, sh->out_channels, path, err);
}

static inline float
sample_at(const unsigned char *p, size_t i, const tiff_shape *sh)
{
  if (sh->bps == 8)
    return (float)p[i] / 255.0f;
  if (sh->bps == 16) {
    uint16_t v;
    memcpy(&v, p + 2 * i, 2);
    return (float)v / 65535.0f;
  }
  float f;
  memcpy(&f, p + 4 * i, 4);
  return f;
}

/* Output channel of TIFF sample s (-1: not kept). */
static int
sample_target(const tiff_shape *sh, int s)
{
  if (s < sh->colour)
    return s;
  if (s == sh->alpha_sample)
    return 3;
  return -1;
}

/* Copies a block (strip or tile) of `rows` x `cols` pixels starting at
 * (x0, y0) from buf, whose rows are `stride` samples apart. plane < 0: all
 * samples interleaved; else only sample `plane`. */
static void
put_block(sr_image *img, const tiff_shape *sh, const unsigned char *buf, int x0, int y0, int cols,
          int rows, size_t stride_px, int plane)
{
  int spb = plane < 0 ? sh->spp : 1; /* samples per pixel in this buffer */
  bool white_is_zero = sh->photometric == PHOTOMETRIC_MINISWHITE;
  for (int r = 0; r < rows; r++) {
    float *dst = sr_image_row(img, y0 + r) + (size_t)x0 * img->channels;
    size_t base = (size_t)r * stride_px * spb;
    for (int x = 0; x < cols; x++) {
      for (int k = 0; k < spb; k++) {
        int s = plane < 0 ? k : plane;
        int o = sample_target(sh, s);
        if (o < 0)
          continue;
        float v = sample_at(buf, base + (size_t)x * spb + k, sh);
        if (white_is_zero && s == 0)
          v = 1.0f - v;
        if (sh->colour == 1 && img->channels == 4 && o == 0)
          dst[0] = dst[1] = dst[2] = v;
        else
          dst[o] = v;
      }
      dst += img->channels;
    }
  }
}

static bool
read_strips(TIFF *tif, tiff_io *io, const tiff_shape *sh, sr_image *img, const char *path,
            sr_error *err)
{
  uint32_t rps = 0;
  TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
  if (rps == 0 || rps > sh->height)
    rps = sh->height;
  int planes = sh->planar == PLANARCONFIG_SEPARATE ? sh->spp : 1;
  size_t spb = planes > 1 ? 1 : sh->spp;
  size_t row_bytes = (size_t)sh->width * spb * (sh->bps / 8);
  size_t buf_size = row_bytes * rps;
  unsigned char *buf = malloc(buf_size);
  if (!buf) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    return false;
  }
  bool ok = true;
  for (int p = 0; p < planes && ok; p++) {
    if (planes > 1 && sample_target(sh, p) < 0)
      continue;
    for (uint32_t row = 0; row < sh->height && ok; row += rps) {
      uint32_t rows = sh->height - row < rps ? sh->height - row : rps;
      uint32_t strip = TIFFComputeStrip(tif, row, (uint16_t)p);
      tmsize_t n = TIFFReadEncodedStrip(tif, strip, buf, (tmsize_t)buf_size);
      if (n < 0 || (size_t)n < row_bytes * rows) {
        char what[64];
        snprintf(what, sizeof what, SR_("strip %u"), strip);
        tiff_corrupt(err, io, path, what);
        ok = false;
        break;
      }
      put_block(img, sh, buf, 0, (int)row, (int)sh->width, (int)rows, sh->width,
                planes > 1 ? p : -1);
    }
  }
  free(buf);
  return ok;
}

static bool
read_tiles(TIFF *tif, tiff_io *io, const tiff_shape *sh, sr_image *img, const char *path,
           sr_error *err)
{
  uint32_t tw = 0, th = 0;
  TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
  TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
  /* Tiles may overhang the image, but not by more than a tile's worth. */
  if (tw == 0 || th == 0 || tw > 2 * (uint64_t)sh->width + 16 ||
      th > 2 * (uint64_t)sh->height + 16) {
    char what[96];
    snprintf(what, sizeof what, SR_("TileWidth %u or TileLength %u does not fit a %ux%u image"), tw,
             th, sh->width, sh->height);
    tiff_corrupt(err, io, path, what);
    return false;
  }
  int planes = sh->planar == PLANARCONFIG_SEPARATE ? sh->spp : 1;
  size_t spb = planes > 1 ? 1 : sh->spp;
  size_t buf_size = (size_t)tw * th * spb * (sh->bps / 8);
  unsigned char *buf = malloc(buf_size);
  if (!buf) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    return false;
  }
  bool ok = true;
  for (int p = 0; p < planes && ok; p++) {
    if (planes > 1 && sample_target(sh, p) < 0)
      continue;
    for (uint32_t y = 0; y < sh->height && ok; y += th) {
      for (uint32_t x = 0; x < sh->width; x += tw) {
        uint32_t tile = TIFFComputeTile(tif, x, y, 0, (uint16_t)p);
        tmsize_t n = TIFFReadEncodedTile(tif, tile, buf, (tmsize_t)buf_size);
        if (n < 0 || (size_t)n < buf_size) {
          char what[64];
          snprintf(what, sizeof what, SR_("tile %u"), tile);
          tiff_corrupt(err, io, path, what);
          ok = false;
          break;
        }
        uint32_t cols = sh->width - x < tw ? sh->width - x : tw;
        uint32_t rows = sh->height - y < th ? sh->height - y : th;
        put_block(img, sh, buf, (int)x, (int)y, (int)cols, (int)rows, tw, planes > 1 ? p : -1);
      }
    }
  }
  free(buf);
  return ok;
}

static TIFF *
tiff_open_read(tiff_io *io, const char *path, sr_error *err)
{
  int fd = sr_open_regular(path, err);
  if (fd < 0)
    return NULL;
  TIFF *tif = tiff_open(io, fd, path, "r");
  if (!tif) {
    tiff_corrupt(err, io, path, SR_("header"));
    close(fd);
  }
  return tif;
}

/* An embedded ICC profile (its colorants and description), else the
 * PrimaryChromaticities and WhitePoint tags. PhotometricInterpretation says
 * only RGB or gray, never which RGB. */
static void
tiff_read_colour(TIFF *tif, sr_image_info *info)
{
  uint32_t len = 0;
  void *icc = NULL;
  if (TIFFGetField(tif, TIFFTAG_ICCPROFILE, &len, &icc) && icc &&
      sr_image_info_read_icc(info, icc, len, SR_("TIFF ICC profile")))
    return;
  float *prim = NULL, *white = NULL;
  if (TIFFGetField(tif, TIFFTAG_PRIMARYCHROMATICITIES, &prim) && prim &&
      TIFFGetField(tif, TIFFTAG_WHITEPOINT, &white) && white) {
    memcpy(info->chromaticities, prim, 6 * sizeof(float));
    memcpy(info->chromaticities + 6, white, 2 * sizeof(float));
    info->has_chromaticities = true;
    snprintf(info->colour_field, sizeof info->colour_field, "%s",
             SR_("TIFF PrimaryChromaticities and WhitePoint"));
  }
}

bool
sr_tiff_read_info(const char *path, sr_image_info *info, sr_error *err)
{
  tiff_io io;
  TIFF *tif = tiff_open_read(&io, path, err);
  if (!tif)
    return false;
  tiff_shape sh;
  bool ok = tiff_read_shape(tif, &io, &sh, path, err);
  if (ok) {
    info->format = SR_FORMAT_TIFF;
    info->width = (int)sh.width;
    info->height = (int)sh.height;
    info->channels = sh.out_channels;
    info->data_window = info->display_window = (sr_rect){0, 0, (int)sh.width, (int)sh.height};
    info->bit_depth = sh.bps;
    tiff_read_colour(tif, info);
  }
  TIFFClose(tif);
  close(io.fd);
  return ok;
}

/* A file cannot hold more picture than its strips (or tiles) decode to:
 * the byte counts it lists, expanded at most by its compression's largest
 * ratio (PackBits 64:1; LZW and Deflate stay under 4096:1, and no scan
 * with grain comes near that with any codec). A header claiming a frame far
 * beyond that is refused before the frame's memory is allocated for it. */
static bool
tiff_check_data_size(TIFF *tif, tiff_io *io, const tiff_shape *sh, const char *path, sr_error *err)
{
  bool tiled = TIFFIsTiled(tif);
  uint32_t n = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
  uint64_t *counts = NULL;
  if (n == 0 ||
      !TIFFGetField(tif, tiled ? TIFFTAG_TILEBYTECOUNTS : TIFFTAG_STRIPBYTECOUNTS, &counts) ||
      !counts) {
    tiff_corrupt(err, io, path,
                 tiled ? SR_("TileByteCounts missing") : SR_("StripByteCounts missing"));
    return false;
  }
  /* The counts themselves may lie (or be libtiff's guess when the tag is
   * broken): no more is stored than the file holds. */
  struct stat st;
  uint64_t file_size = fstat(io->fd, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
  uint64_t stored = 0;
  for (uint32_t i = 0; i < n && stored < file_size; i++)
    stored += counts[i] < file_size ? counts[i] : file_size;
  if (stored > file_size)
    stored = file_size;
  uint16_t compression = COMPRESSION_NONE;
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  uint64_t ratio = compression == COMPRESSION_NONE       ? 1
                   : compression == COMPRESSION_PACKBITS ? 64
                                                         : 4096;
  uint64_t needed = (uint64_t)sh->width * sh->height * sh->spp * (sh->bps / 8u);
  if (stored * ratio >= needed)
    return true;
  char what[160];
  snprintf(what, sizeof what,
           SR_("its %ux%u picture needs %llu bytes, more than its %llu stored bytes can hold"),
           sh->width, sh->height, (unsigned long long)needed, (unsigned long long)stored);
  tiff_corrupt(err, io, path, what);
  return false;
}

sr_image *
sr_tiff_read(const char *path, sr_error *err)
{
  tiff_io io;
  TIFF *tif = tiff_open_read(&io, path, err);
  if (!tif)
    return NULL;
  tiff_shape sh;
  sr_image *img = NULL;
  if (tiff_read_shape(tif, &io, &sh, path, err) && tiff_check_data_size(tif, &io, &sh, path, err) &&
      (img = sr_image_new((int)sh.width, (int)sh.height, sh.out_channels, err))) {
    bool ok = TIFFIsTiled(tif) ? read_tiles(tif, &io, &sh, img, path, err)
                               : read_strips(tif, &io, &sh, img, path, err);
    if (!ok) {
      sr_image_free(img);
      img = NULL;
    }
  }
  TIFFClose(tif);
  close(io.fd);
  return img;
}

/* ---- Writing ------------------------------------------------------------ */

bool
sr_tiff_write(const char *path, const char *temp_path, const sr_image *img,
              const sr_write_options *opts, sr_error *err)
{
  int fd = open(temp_path, O_RDWR | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    return false;
  }
  /* The temporary was created private (0600); a delivered frame is not. */
  fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
  tiff_io io;
  TIFF *tif = tiff_open(&io, fd, path, "w");
  if (!tif) {
    sr_error_set(err, SR_ERR_IO, SR_("%s: cannot start a TIFF file: %s"), path, io.message);
    close(fd);
    return false;
  }
  int oc = img->channels == 1 ? 1 : (img->channels == 4 && opts->write_alpha ? 4 : 3);
  int depth = opts->bit_depth == 8 ? 8 : 16;
  size_t bps = (size_t)depth / 8;
  size_t row_bytes = (size_t)img->width * oc * bps;
  /* Strips of about 256 KiB: big enough for deflate, small enough to stream. */
  uint32_t rps = (uint32_t)(262144 / row_bytes);
  if (rps < 1)
    rps = 1;
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->height);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)oc);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)depth);
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, oc == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
  TIFFSetField(tif, TIFFTAG_ZIPQUALITY, 4); /* as for EXR: most of level 6's gain, faster */
  TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
  if (oc == 4) {
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
  }
  unsigned char *row = malloc(row_bytes);
  bool ok = row != NULL;
  uint32_t max = depth == 16 ? 65535u : 255u;
  for (int y = 0; y < img->height && ok; y++) {
    const float *src = sr_image_row(img, y);
    unsigned char *p = row;
    for (int x = 0; x < img->width; x++) {
      for (int c = 0; c < oc; c++) {
        uint32_t q = sr_io_quantize(src[c], max);
        if (bps == 2) {
          uint16_t v = (uint16_t)q; /* native order: libtiff records it */
          memcpy(p, &v, 2);
          p += 2;
        } else {
          *p++ = (unsigned char)q;
        }
      }
      src += img->channels;
    }
    if (TIFFWriteScanline(tif, row, (uint32_t)y, 0) < 0)
      ok = false;
  }
  if (ok && !TIFFFlush(tif))
    ok = false;
  TIFFClose(tif);
  free(row);
  if (!ok) {
    if (io.sink.write_errno)
      sr_error_set_errno(err, io.sink.write_errno, SR_("cannot write %s"), path);
    else if (!row)
      sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    else
      sr_error_set(err, SR_ERR_IO, SR_("%s: TIFF encoder failed: %s"), path, io.message);
  }
  if (close(fd) != 0 && ok) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    ok = false;
  }
  return ok;
}
