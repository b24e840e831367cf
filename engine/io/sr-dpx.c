/* sr-dpx.c — 10 and 16-bit DPX (SMPTE 268M), the forms film scanners write.
 *
 * Read: image element 0, 10 bits in "method A" filling (three samples per
 * 32-bit word in bits 31-22, 21-12, 11-2; the 2 low bits are padding) or 16
 * bits (one sample per 16-bit unit, as ADX16 scans are written), no
 * run-length encoding, descriptor RGB (50), RGBA (51) or luma (6), in either
 * byte order ("SDPX" big-endian, "XPDS" little-endian). Samples run on from
 * word to word within a line; each line starts on a word boundary.
 * Write: 10-bit RGB, method A, big-endian, which every DPX reader accepts,
 * with the transfer and colorimetric codes the caller gives.
 *
 * The transfer characteristic (801) and colorimetric (802) codes are read
 * into sr_image_info so the project can preselect the colour space; see
 * sr_dpx_suggest_colourspace() at the end (sr-colour-meta.c calls it).
 *
 * Header offsets used (bytes from the start of the file):
 *   0 magic, 4 image data offset, 16 file size,
 *   768 orientation (u16), 770 element count (u16), 772 pixels per line,
 *   776 lines per element, 780 element 0: 780 data sign, 800 descriptor (u8),
 *   803 bit size (u8), 804 packing (u16), 806 encoding (u16),
 *   808 data offset, 812 end-of-line padding.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-io-private.h"
#include "sr-i18n.h"

#define DPX_HEADER_SIZE   2048
#define DPX_UNDEFINED_U32 0xffffffffu

typedef struct dpx_header {
  bool big_endian;
  uint32_t data_offset;
  uint32_t width, height;
  int channels;
  int bits; /* 10 or 16 */
  int transfer, colorimetric;
  size_t line_bytes;
} dpx_header;

static uint32_t
get_u32(const unsigned char *p, bool be)
{
  return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
            : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t
get_u16(const unsigned char *p, bool be)
{
  return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static bool
full_pread(int fd, void *buf, size_t len, off_t off, ssize_t *got)
{
  size_t done = 0;
  while (done < len) {
    ssize_t r = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return false;
    if (r == 0)
      break;
    done += (size_t)r;
  }
  *got = (ssize_t)done;
  return true;
}

/* Reads and checks the header; on success *fd_out is open. */
static bool
dpx_open(const char *path, dpx_header *h, int *fd_out, off_t *file_size, sr_error *err)
{
  int fd = sr_open_regular(path, err);
  if (fd < 0)
    return false;
  struct stat st;
  unsigned char hd[DPX_HEADER_SIZE];
  ssize_t got = 0;
  if (fstat(fd, &st) != 0 || !full_pread(fd, hd, sizeof hd, 0, &got)) {
    sr_error_set_errno(err, errno, SR_("cannot read %s"), path);
    close(fd);
    return false;
  }
  /* The generic and industry headers end at byte 2048; element 0 ends at 852. */
  if (got < 852) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: truncated DPX header (%zd bytes, at least 852 needed)"), path, got);
    close(fd);
    return false;
  }
  memset(h, 0, sizeof *h);
  if (memcmp(hd, "SDPX", 4) == 0)
    h->big_endian = true;
  else if (memcmp(hd, "XPDS", 4) != 0) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: not a DPX file (bad magic number)"), path);
    close(fd);
    return false;
  }
  bool be = h->big_endian;
  uint16_t orientation = get_u16(hd + 768, be);
  uint16_t elements = get_u16(hd + 770, be);
  h->width = get_u32(hd + 772, be);
  h->height = get_u32(hd + 776, be);
  uint32_t sign = get_u32(hd + 780, be);
  uint8_t descriptor = hd[800];
  uint8_t bits = hd[803];
  uint16_t packing = get_u16(hd + 804, be);
  uint16_t encoding = get_u16(hd + 806, be);
  uint32_t offset = get_u32(hd + 808, be);
  uint32_t eol_pad = get_u32(hd + 812, be);
  const char *problem = NULL;
  char detail[160];
  if (elements < 1 || elements > 8) {
    snprintf(detail, sizeof detail, SR_("number of image elements is %u (1 to 8 expected)"),
             elements);
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: corrupt DPX header: %s"), path, detail);
    close(fd);
    return false;
  }
  if (bits != 10 && bits != 16) {
    snprintf(detail, sizeof detail, SR_("bit size %u (only 10 and 16-bit are read)"), bits);
    problem = detail;
  } else if (bits == 16 && packing > 1) {
    snprintf(detail, sizeof detail, SR_("16-bit packing %u (only 0 and 1 are read)"), packing);
    problem = detail;
  } else if (bits == 10 && packing != 1) {
    snprintf(detail, sizeof detail, SR_("packing %u (only 1, filled method A, is read)"), packing);
    problem = detail;
  } else if (encoding != 0) {
    snprintf(detail, sizeof detail, SR_("encoding %u (run-length encoded data is not read)"),
             encoding);
    problem = detail;
  } else if (descriptor != 50 && descriptor != 51 && descriptor != 6) {
    snprintf(detail, sizeof detail, SR_("descriptor %u (only 50 RGB, 51 RGBA and 6 luma are read)"),
             descriptor);
    problem = detail;
  } else if (sign != 0) {
    snprintf(detail, sizeof detail, SR_("data sign %u (only unsigned samples are read)"), sign);
    problem = detail;
  } else if (orientation != 0) {
    snprintf(detail, sizeof detail,
             SR_("orientation %u (only 0, left to right and top to bottom, is read)"), orientation);
    problem = detail;
  }
  if (problem) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: DPX %s; export 10 or 16-bit RGB DPX or 16-bit TIFF"), path, problem);
    close(fd);
    return false;
  }
  h->channels = descriptor == 50 ? 3 : descriptor == 51 ? 4 : 1;
  h->bits = bits;
  h->transfer = hd[801];
  h->colorimetric = hd[802];
  if (h->width == 0 || h->height == 0) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: corrupt DPX header: image size %ux%u"), path,
                 h->width, h->height);
    close(fd);
    return false;
  }
  int w = h->width > INT32_MAX ? INT32_MAX : (int)h->width;
  int ht = h->height > INT32_MAX ? INT32_MAX : (int)h->height;
  if (!sr_image_check_size(w, ht, h->channels, path, err)) {
    close(fd);
    return false;
  }
  if (offset == 0 || offset == DPX_UNDEFINED_U32)
    offset = get_u32(hd + 4, be);
  if (offset < 852 || offset == DPX_UNDEFINED_U32) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: corrupt DPX header: image data offset %u"), path,
                 offset);
    close(fd);
    return false;
  }
  h->data_offset = offset;
  size_t words = bits == 16 ? ((size_t)h->width * h->channels + 1) / 2
                            : ((size_t)h->width * h->channels + 2) / 3;
  h->line_bytes = words * 4;
  if (eol_pad != DPX_UNDEFINED_U32)
    h->line_bytes += eol_pad;
  *fd_out = fd;
  *file_size = st.st_size;
  return true;
}

bool
sr_dpx_read_info(const char *path, sr_image_info *info, sr_error *err)
{
  dpx_header h;
  int fd;
  off_t size;
  if (!dpx_open(path, &h, &fd, &size, err))
    return false;
  close(fd);
  info->format = SR_FORMAT_DPX;
  info->width = (int)h.width;
  info->height = (int)h.height;
  info->channels = h.channels;
  info->data_window = info->display_window = (sr_rect){0, 0, (int)h.width, (int)h.height};
  info->bit_depth = h.bits;
  info->transfer = h.transfer;
  info->colorimetric = h.colorimetric;
  return true;
}

sr_image *
sr_dpx_read(const char *path, sr_error *err)
{
  dpx_header h;
  int fd;
  off_t size;
  if (!dpx_open(path, &h, &fd, &size, err))
    return NULL;
  /* The last line needs no end-of-line padding after it. */
  size_t words = h.bits == 16 ? ((size_t)h.width * h.channels + 1) / 2
                              : ((size_t)h.width * h.channels + 2) / 3;
  unsigned long long need = (unsigned long long)h.line_bytes * (h.height - 1) + words * 4ull;
  if ((unsigned long long)size < h.data_offset || (unsigned long long)size - h.data_offset < need) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: truncated DPX file: %ux%u %d-bit pixels need %llu bytes from offset %u, "
                     "the file has %lld bytes"),
                 path, h.width, h.height, h.bits, need, h.data_offset, (long long)size);
    close(fd);
    return NULL;
  }
  sr_image *img = sr_image_new((int)h.width, (int)h.height, h.channels, err);
  unsigned char *line = malloc(words * 4); /* end-of-line padding is skipped, not read */
  if (!img || !line) {
    if (img)
      sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    sr_image_free(img);
    free(line);
    close(fd);
    return NULL;
  }
  size_t n_samples = (size_t)h.width * h.channels;
  for (uint32_t y = 0; y < h.height; y++) {
    ssize_t got = 0;
    off_t at = (off_t)h.data_offset + (off_t)y * (off_t)h.line_bytes;
    bool read_ok = full_pread(fd, line, words * 4, at, &got);
    if (!read_ok || (size_t)got < words * 4) {
      if (!read_ok)
        sr_error_set_errno(err, errno, SR_("cannot read %s"), path);
      else
        sr_error_set(err, SR_ERR_FORMAT, SR_("%s: truncated DPX file at line %u"), path, y);
      sr_image_free(img);
      free(line);
      close(fd);
      return NULL;
    }
    float *dst = sr_image_row(img, (int)y);
    if (h.bits == 16) {
      for (size_t s = 0; s < n_samples; s++)
        dst[s] = (float)get_u16(line + s * 2, h.big_endian) / 65535.0f;
      continue;
    }
    for (size_t s = 0; s < n_samples; s++) {
      uint32_t w = get_u32(line + (s / 3) * 4, h.big_endian);
      unsigned shift = 22 - 10 * (unsigned)(s % 3);
      dst[s] = (float)((w >> shift) & 0x3ff) / 1023.0f;
    }
  }
  free(line);
  close(fd);
  return img;
}

static void
put_u32(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static void
put_u16(unsigned char *p, uint16_t v)
{
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
}

bool
sr_dpx_write(const char *path, const char *temp_path, const sr_image *img,
             const sr_write_options *opts, sr_error *err)
{
  if (img->channels == 1) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: a one-channel image cannot be written as RGB DPX; use .exr or .tif"),
                 path);
    return false;
  }
  size_t line_bytes = (size_t)img->width * 4;
  unsigned long long data_size = (unsigned long long)line_bytes * img->height;
  if (data_size + DPX_HEADER_SIZE > 0xfffffffeull) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: image too large for a DPX file (4 GiB limit)"),
                 path);
    return false;
  }
  int fd = open(temp_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    return false;
  }
  /* The temporary was created private (0600); a delivered frame is not. */
  fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
  unsigned char hd[DPX_HEADER_SIZE];
  /* Undefined numeric fields are all ones; undefined text is zeros. */
  memset(hd, 0xff, sizeof hd);
  memset(hd + 8, 0, 8);    /* version */
  memset(hd + 36, 0, 664); /* file name, time, creator, project, copyright */
  memset(hd + 820, 0, 32); /* element 0 description */
  memcpy(hd, "SDPX", 4);
  put_u32(hd + 4, DPX_HEADER_SIZE);
  memcpy(hd + 8, "V2.0", 4);
  put_u32(hd + 16, (uint32_t)(DPX_HEADER_SIZE + data_size));
  put_u32(hd + 20, 1);                      /* ditto key: new frame */
  put_u32(hd + 24, 1664);                   /* generic header size */
  put_u32(hd + 28, DPX_HEADER_SIZE - 1664); /* industry header size */
  put_u32(hd + 32, 0);                      /* user data size */
  put_u16(hd + 768, 0);                     /* orientation */
  put_u16(hd + 770, 1);                     /* elements */
  put_u32(hd + 772, (uint32_t)img->width);
  put_u32(hd + 776, (uint32_t)img->height);
  put_u32(hd + 780, 0);    /* unsigned */
  put_u32(hd + 784, 0);    /* reference low code */
  put_u32(hd + 792, 1023); /* reference high code */
  hd[800] = 50;            /* RGB */
  hd[801] = (unsigned char)(opts ? opts->dpx_transfer : 0);
  hd[802] = (unsigned char)(opts ? opts->dpx_colorimetric : 0);
  hd[803] = 10;
  put_u16(hd + 804, 1); /* filled, method A */
  put_u16(hd + 806, 0); /* no RLE */
  put_u32(hd + 808, DPX_HEADER_SIZE);
  put_u32(hd + 812, 0);
  put_u32(hd + 816, 0);
  sr_io_sink sink = {fd, 0};
  bool ok = sr_io_sink_pwrite(&sink, hd, sizeof hd, 0);
  unsigned char *line = ok ? malloc(line_bytes) : NULL;
  if (ok && !line) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    close(fd);
    return false;
  }
  for (int y = 0; y < img->height && ok; y++) {
    const float *src = sr_image_row(img, y);
    for (int x = 0; x < img->width; x++) {
      uint32_t r = sr_io_quantize(src[0], 1023), g = sr_io_quantize(src[1], 1023),
               b = sr_io_quantize(src[2], 1023);
      put_u32(line + (size_t)x * 4, r << 22 | g << 12 | b << 2);
      src += img->channels;
    }
    ok = sr_io_sink_pwrite(&sink, line, line_bytes,
                           DPX_HEADER_SIZE + (uint64_t)y * (uint64_t)line_bytes);
  }
  free(line);
  if (!ok)
    sr_error_set_errno(err, sink.write_errno, SR_("cannot write %s"), path);
  if (close(fd) != 0 && ok) {
    sr_error_set_errno(err, errno, SR_("cannot write %s"), path);
    ok = false;
  }
  return ok;
}

/* ---- What the header says about colour ------------------------------------ */

static const char *
dpx_code_name(int code)
{
  switch (code) {
  case SR_DPX_USER_DEFINED: return "user defined";
  case SR_DPX_PRINTING_DENSITY: return "printing density";
  case SR_DPX_LINEAR: return "linear";
  case SR_DPX_LOGARITHMIC: return "logarithmic";
  case SR_DPX_UNSPECIFIED_VIDEO: return "unspecified video";
  case SR_DPX_SMPTE_274: return "SMPTE 274M";
  case SR_DPX_BT709: return "ITU-R BT.709";
  case SR_DPX_ADX: return "ADX";
  default: return "other";
  }
}

bool
sr_dpx_suggest_colourspace(const sr_image_info *info, sr_colourspace *space, char *why, size_t cap)
{
  int t = info->transfer, c = info->colorimetric;
  bool found = true;
  sr_colourspace cs = SR_CS_REC709;
  if (t == SR_DPX_PRINTING_DENSITY || t == SR_DPX_LOGARITHMIC)
    cs = SR_CS_CINEON;
  else if (t == SR_DPX_ADX)
    cs = info->bit_depth == 16 ? SR_CS_ADX16 : SR_CS_ADX10;
  else if (t == SR_DPX_BT709 || t == SR_DPX_SMPTE_274)
    cs = SR_CS_REC709;
  else if (t == SR_DPX_LINEAR && (c == SR_DPX_BT709 || c == SR_DPX_SMPTE_274))
    cs = SR_CS_LINEAR_REC709;
  else
    found = false;
  if (found)
    snprintf(why, cap, SR_("DPX header: transfer %d (%s), colorimetric %d (%s), %d-bit → %s"), t,
             dpx_code_name(t), c, dpx_code_name(c), info->bit_depth, sr_colourspace_label(cs));
  else
    snprintf(why, cap,
             SR_("DPX header: transfer %d (%s), colorimetric %d (%s) names no space; choose "
                 "the one the scanner wrote"),
             t, dpx_code_name(t), c, dpx_code_name(c));
  if (found && space)
    *space = cs;
  return found;
}
