/* sr-movie.c — movie files through libavformat/libavcodec/libswscale.
 *
 * The index (every frame's timestamp and keyframe flag, in presentation
 * order) is built by demuxing the video stream once, without decoding; it is
 * the only way to number frames reliably in containers whose own index holds
 * keyframes only (Matroska cues). sr-movie-index.c keeps it on disk.
 *
 * A read of frame N: when the decoder already stands before N with no
 * keyframe in between, decode on (sequential reads cost one decode each);
 * otherwise seek to the keyframe at or before N and decode forward, comparing
 * each picture's timestamp with N's. A picture past N means the container
 * seeked later than asked (open GOPs, edit lists): try again from the
 * keyframe before.
 */
#include "sr-movie.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-i18n.h"
#include "sr-movie-private.h"

struct sr_movie {
  atomic_int ref;
  pthread_mutex_t lock;
  char *path;
  sr_movie_info info;
  sr_movie_index index;
  AVFormatContext *fmt;
  AVCodecContext *dec;
  struct SwsContext *sws;
  AVPacket *pkt;
  AVFrame *frame;
  int stream;
  int position;   /* index of the last picture the decoder gave; -1: none */
  bool drained;   /* the decoder has been flushed to the end of the file */
  sr_image *last; /* the picture at `position`, converted */
};

static void
set_av_error(sr_error *err, sr_status code, int averr, const char *path, const char *what)
{
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(averr, buf, sizeof buf);
  sr_error_set(err, code, SR_("%s: %s (%s)"), path, what, buf);
}

bool
sr_movie_supported(void)
{
  return true;
}

sr_movie *
sr_movie_ref(sr_movie *m)
{
  if (m)
    atomic_fetch_add(&m->ref, 1);
  return m;
}

void
sr_movie_unref(sr_movie *m)
{
  if (!m || atomic_fetch_sub(&m->ref, 1) != 1)
    return;
  sws_freeContext(m->sws);
  av_frame_free(&m->frame);
  av_packet_free(&m->pkt);
  avcodec_free_context(&m->dec);
  avformat_close_input(&m->fmt);
  sr_image_free(m->last);
  sr_movie_index_clear(&m->index);
  pthread_mutex_destroy(&m->lock);
  free(m->path);
  free(m);
}

const sr_movie_info *
sr_movie_get_info(const sr_movie *m)
{
  return &m->info;
}

const char *
sr_movie_path(const sr_movie *m)
{
  return m->path;
}

/* Bit depth of the widest component of a pixel format. */
static int
format_depth(enum AVPixelFormat f)
{
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
  int depth = 8;
  for (int c = 0; d && c < d->nb_components; c++)
    if (d->comp[c].depth > depth)
      depth = d->comp[c].depth;
  return depth;
}

static bool
open_decoder(sr_movie *m, const sr_movie_options *opts, sr_error *err)
{
  AVStream *st = m->fmt->streams[m->stream];
  const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: this FFmpeg has no decoder for the video codec %s"), m->path,
                 avcodec_get_name(st->codecpar->codec_id));
    return false;
  }
  m->dec = avcodec_alloc_context3(codec);
  if (!m->dec) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  int rc = avcodec_parameters_to_context(m->dec, st->codecpar);
  if (rc >= 0) {
    m->dec->thread_count = opts && opts->threads > 0 ? opts->threads : 0;
    m->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    m->dec->pkt_timebase = st->time_base;
    rc = avcodec_open2(m->dec, codec, NULL);
  }
  if (rc < 0) {
    set_av_error(err, SR_ERR_FORMAT, rc, m->path, SR_("cannot open the video decoder"));
    return false;
  }
  return true;
}

static void
fill_info(sr_movie *m)
{
  AVStream *st = m->fmt->streams[m->stream];
  AVCodecParameters *par = st->codecpar;
  sr_movie_info *in = &m->info;
  in->width = par->width;
  in->height = par->height;
  in->n_frames = m->index.n;
  AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  in->rate_num = r.num;
  in->rate_den = r.den;
  snprintf(in->codec, sizeof in->codec, "%s", avcodec_get_name(par->codec_id));
  const char *pf = av_get_pix_fmt_name((enum AVPixelFormat)par->format);
  snprintf(in->pixel_format, sizeof in->pixel_format, "%s", pf ? pf : "unknown");
  in->bit_depth = format_depth((enum AVPixelFormat)par->format);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)par->format);
  in->is_rgb = d && ((d->flags & AV_PIX_FMT_FLAG_RGB) || d->nb_components <= 2);
  in->primaries = par->color_primaries;
  in->transfer = par->color_trc;
  in->matrix = par->color_space;
  in->full_range = par->color_range == AVCOL_RANGE_JPEG || (d && strstr(d->name, "yuvj"));
  switch (par->field_order) {
  case AV_FIELD_TT:
  case AV_FIELD_TB: in->scan = SR_SCAN_TOP_FIRST; break;
  case AV_FIELD_BB:
  case AV_FIELD_BT: in->scan = SR_SCAN_BOTTOM_FIRST; break;
  default: in->scan = SR_SCAN_PROGRESSIVE; break;
  }
}

/* The matrix to decode with: the tagged one, else what a grading system
 * assumes for the picture size (BT.709 from HD up, BT.601 below). */
static int
choose_matrix(const sr_movie_info *in)
{
  switch (in->matrix) {
  case AVCOL_SPC_BT709:
  case AVCOL_SPC_FCC:
  case AVCOL_SPC_BT470BG:
  case AVCOL_SPC_SMPTE170M:
  case AVCOL_SPC_SMPTE240M:
  case AVCOL_SPC_BT2020_NCL:
  case AVCOL_SPC_BT2020_CL: return in->matrix;
  default: return in->width >= 1280 || in->height > 576 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
  }
}

static int
sws_matrix(int spc)
{
  switch (spc) {
  case AVCOL_SPC_BT709: return SWS_CS_ITU709;
  case AVCOL_SPC_FCC: return SWS_CS_FCC;
  case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
  case AVCOL_SPC_BT2020_NCL:
  case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
  default: return SWS_CS_ITU601;
  }
}

static int
find_video_stream(sr_movie *m, sr_error *err)
{
  int s = av_find_best_stream(m->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (s < 0) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: the file holds no video stream"), m->path);
    return -1;
  }
  for (unsigned i = 0; i < m->fmt->nb_streams; i++)
    m->fmt->streams[i]->discard = (int)i == s ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  return s;
}

sr_movie *
sr_movie_open(const char *path, const sr_movie_options *opts, sr_error *err)
{
  sr_movie *m = calloc(1, sizeof *m);
  if (!m || !(m->path = strdup(path))) {
    free(m);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return NULL;
  }
  atomic_init(&m->ref, 1);
  pthread_mutex_init(&m->lock, NULL);
  m->position = -1;
  av_log_set_level(AV_LOG_QUIET);
  int rc = avformat_open_input(&m->fmt, path, NULL, NULL);
  if (rc < 0) {
    set_av_error(err, rc == AVERROR(ENOENT) ? SR_ERR_MISSING : SR_ERR_FORMAT, rc, path,
                 SR_("cannot open the movie"));
    goto fail;
  }
  rc = avformat_find_stream_info(m->fmt, NULL);
  if (rc < 0) {
    set_av_error(err, SR_ERR_FORMAT, rc, path, SR_("cannot read the movie's streams"));
    goto fail;
  }
  if ((m->stream = find_video_stream(m, err)) < 0)
    goto fail;
  if (!open_decoder(m, opts, err))
    goto fail;
  m->pkt = av_packet_alloc();
  m->frame = av_frame_alloc();
  if (!m->pkt || !m->frame) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    goto fail;
  }
  const char *dir = opts ? opts->index_dir : NULL;
  if (dir && sr_movie_index_load(&m->index, path, dir, m->stream)) {
    m->info.index_from_cache = true;
  } else {
    if (!sr_movie_index_build(&m->index, m->fmt, m->stream, path, err))
      goto fail;
    if (dir)
      sr_movie_index_save(&m->index, path, dir, m->stream); /* a cache only */
  }
  fill_info(m);
  m->info.used_matrix = choose_matrix(&m->info);
  if (!sr_image_check_size(m->info.width, m->info.height, 3, path, err))
    goto fail;
  /* Interlacing is flagged per picture in many codecs (ProRes, H.264)
   * while the container says nothing: look at the first one. */
  sr_image *first = sr_movie_read(m, 0, err);
  if (!first)
    goto fail;
  sr_image_free(first);
  return m;
fail:
  sr_movie_unref(m);
  return NULL;
}

/* ---- Conversion to float --------------------------------------------------- */

static const char *
or_unknown(const char *name)
{
  return name ? name : "?";
}

/* "primaries/transfer/matrix/range" as FFmpeg names them. */
static bool
set_tags(sr_image *img, const sr_movie_info *in, sr_error *err)
{
  char buf[96];
  snprintf(buf, sizeof buf, "%s/%s/%s/%s", or_unknown(av_color_primaries_name(in->primaries)),
           or_unknown(av_color_transfer_name(in->transfer)),
           or_unknown(av_color_space_name(in->matrix)),
           in->is_rgb       ? "rgb"
           : in->full_range ? "full"
                            : "video");
  return sr_image_set_attribute(img, "movie:colour", buf, err);
}

/* Whether every component is a 16-bit word (planar gbrp10/12/16, packed
 * rgb48): read directly instead of through av_read_image_line2(), several
 * times faster on 2K scans. */
static bool
words_only(const AVPixFmtDescriptor *d, int n)
{
  for (int c = 0; c < n; c++)
    if (d->comp[c].depth <= 8 || d->comp[c].step % 2 != 0 || d->comp[c].offset % 2 != 0)
      return false;
  return true;
}

static void
convert_words(const AVFrame *f, const AVPixFmtDescriptor *d, int n, sr_image *img)
{
  bool be = d->flags & AV_PIX_FMT_FLAG_BE;
  for (int c = 0; c < n; c++) {
    const AVComponentDescriptor *cd = &d->comp[c];
    const float maxv = (float)((1u << cd->depth) - 1u);
    const unsigned mask = (1u << cd->depth) - 1u;
    const int step = cd->step / 2;
    for (int y = 0; y < f->height; y++) {
      const uint16_t *src = (const uint16_t *)(f->data[cd->plane] +
                                               (ptrdiff_t)y * f->linesize[cd->plane] + cd->offset);
      float *row = sr_image_row(img, y);
      for (int x = 0; x < f->width; x++) {
        unsigned v = src[(ptrdiff_t)x * step];
        if (be)
          v = ((v & 0xff) << 8) | (v >> 8);
        float fv = (float)((v >> cd->shift) & mask) / maxv;
        if (n == 1)
          row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = fv;
        else
          row[3 * x + c] = fv;
      }
    }
  }
}

/* RGB and gray formats: every component read exactly, scaled by its depth. */
static sr_image *
convert_direct(sr_movie *m, const AVFrame *f, const AVPixFmtDescriptor *d, sr_error *err)
{
  sr_image *img = sr_image_new(f->width, f->height, 3, err);
  uint32_t *line = img ? malloc((size_t)f->width * sizeof *line) : NULL;
  if (img && !line) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    sr_image_free(img);
    return NULL;
  }
  if (!img)
    return NULL;
  bool gray = d->nb_components <= 2;
  if (words_only(d, gray ? 1 : 3)) {
    convert_words(f, d, gray ? 1 : 3, img);
    free(line);
    return img;
  }
  for (int c = 0; c < (gray ? 1 : 3); c++) {
    /* Divided, not multiplied by a reciprocal: the same floats the PNG and
     * TIFF readers give for the same codes. */
    float maxv = (float)((1u << d->comp[c].depth) - 1u);
    for (int y = 0; y < f->height; y++) {
      av_read_image_line2(line, (const uint8_t **)f->data, f->linesize, d, 0, y, c, f->width, 0, 4);
      float *row = sr_image_row(img, y);
      for (int x = 0; x < f->width; x++) {
        float v = (float)line[x] / maxv;
        if (gray)
          row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = v;
        else
          row[3 * x + c] = v;
      }
    }
  }
  free(line);
  return img;
}

/* YCbCr: libswscale to native 16-bit RGB with the stream's matrix and
 * range, chroma interpolated at full resolution. */
static sr_image *
convert_yuv(sr_movie *m, const AVFrame *f, sr_error *err)
{
  const int flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;
  m->sws = sws_getCachedContext(m->sws, f->width, f->height, (enum AVPixelFormat)f->format,
                                f->width, f->height, AV_PIX_FMT_RGB48, flags, NULL, NULL, NULL);
  if (!m->sws) {
    sr_error_set(err, SR_ERR_UNSUPPORTED, SR_("%s: cannot convert pixel format %s to RGB"), m->path,
                 av_get_pix_fmt_name((enum AVPixelFormat)f->format));
    return NULL;
  }
  const int *coef = sws_getCoefficients(sws_matrix(m->info.used_matrix));
  bool full = m->info.full_range || f->color_range == AVCOL_RANGE_JPEG;
  sws_setColorspaceDetails(m->sws, coef, full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                           1 << 16);
  sr_image *img = sr_image_new(f->width, f->height, 3, err);
  uint16_t *rgb = img ? malloc((size_t)f->width * (size_t)f->height * 6) : NULL;
  if (img && !rgb)
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
  if (!rgb) {
    sr_image_free(img);
    return NULL;
  }
  uint8_t *dst[4] = {(uint8_t *)rgb, NULL, NULL, NULL};
  int dst_stride[4] = {f->width * 6, 0, 0, 0};
  sws_scale(m->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_stride);
  size_t n = (size_t)f->width * (size_t)f->height * 3;
  for (size_t i = 0; i < n; i++)
    img->pixels[i] = (float)rgb[i] / 65535.0f;
  free(rgb);
  return img;
}

static sr_image *
convert_frame(sr_movie *m, const AVFrame *f, sr_error *err)
{
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)f->format);
  if (!d) {
    sr_error_set(err, SR_ERR_UNSUPPORTED, SR_("%s: unknown pixel format"), m->path);
    return NULL;
  }
  bool direct = !(d->flags & (AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_PAL |
                              AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_BAYER)) &&
                ((d->flags & AV_PIX_FMT_FLAG_RGB) || d->nb_components <= 2);
  sr_image *img = direct ? convert_direct(m, f, d, err) : convert_yuv(m, f, err);
  if (img && !set_tags(img, &m->info, err)) {
    sr_image_free(img);
    return NULL;
  }
  return img;
}

/* ---- Frame-accurate reads -------------------------------------------------- */

/* Notes what the first decoded picture says about its scan. */
static void
note_scan(sr_movie *m, const AVFrame *f)
{
  if (m->info.scan != SR_SCAN_PROGRESSIVE)
    return;
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
  bool interlaced = f->flags & AV_FRAME_FLAG_INTERLACED;
  bool tff = f->flags & AV_FRAME_FLAG_TOP_FIELD_FIRST;
#else
  bool interlaced = f->interlaced_frame;
  bool tff = f->top_field_first;
#endif
  if (interlaced)
    m->info.scan = tff ? SR_SCAN_TOP_FIRST : SR_SCAN_BOTTOM_FIRST;
}

/* Next decoded picture into m->frame: 1 got one, 0 end of stream, -1 error. */
static int
decode_next(sr_movie *m, sr_error *err)
{
  for (;;) {
    int rc = avcodec_receive_frame(m->dec, m->frame);
    if (rc == 0)
      return 1;
    if (rc == AVERROR_EOF) {
      m->drained = true;
      return 0;
    }
    if (rc != AVERROR(EAGAIN)) {
      set_av_error(err, SR_ERR_FORMAT, rc, m->path, SR_("the video cannot be decoded"));
      return -1;
    }
    rc = av_read_frame(m->fmt, m->pkt);
    if (rc == AVERROR_EOF) {
      avcodec_send_packet(m->dec, NULL);
      continue;
    }
    if (rc < 0) {
      set_av_error(err, SR_ERR_IO, rc, m->path, SR_("cannot read the movie"));
      return -1;
    }
    if (m->pkt->stream_index == m->stream) {
      rc = avcodec_send_packet(m->dec, m->pkt);
      if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_INVALIDDATA) {
        av_packet_unref(m->pkt);
        set_av_error(err, SR_ERR_FORMAT, rc, m->path, SR_("the video cannot be decoded"));
        return -1;
      }
    }
    av_packet_unref(m->pkt);
  }
}

static bool
seek_to(sr_movie *m, int key, sr_error *err)
{
  avcodec_flush_buffers(m->dec);
  m->drained = false;
  m->position = -1;
  int rc = av_seek_frame(m->fmt, m->stream, m->index.pts[key], AVSEEK_FLAG_BACKWARD);
  if (rc < 0) {
    set_av_error(err, SR_ERR_FORMAT, rc, m->path, SR_("cannot seek in the movie"));
    return false;
  }
  return true;
}

/* Decodes forward to frame `target`; 1 found, 0 overshot or ended, -1 error. */
static int
decode_to(sr_movie *m, int target, sr_error *err)
{
  int64_t want = m->index.pts[target];
  for (;;) {
    int rc = decode_next(m, err);
    if (rc <= 0)
      return rc;
    int64_t ts = m->frame->best_effort_timestamp != AV_NOPTS_VALUE ? m->frame->best_effort_timestamp
                                                                   : m->frame->pts;
    note_scan(m, m->frame);
    int at = sr_movie_index_find(&m->index, ts);
    if (ts == want) {
      m->position = target;
      return 1;
    }
    av_frame_unref(m->frame);
    if (ts > want || at > target)
      return 0;
    if (at >= 0)
      m->position = at;
  }
}

/* The keyframe at or before frame. */
static int
keyframe_before(const sr_movie_index *ix, int frame)
{
  while (frame > 0 && !ix->key[frame])
    frame--;
  return frame;
}

static sr_image *
read_locked(sr_movie *m, int frame, sr_error *err)
{
  if (m->last && m->position == frame)
    return sr_image_copy(m->last, err);
  int rc = 0;
  int key = keyframe_before(&m->index, frame);
  /* Decoding on is never more work than a seek when no keyframe lies past
   * the next frame (every frame of an intra codec is a keyframe). */
  if (m->position >= 0 && m->position < frame && !m->drained && key <= m->position + 1)
    rc = decode_to(m, frame, err);
  /* From the keyframe at or before the frame, then from earlier ones when the
   * container lands past it. */
  for (int tries = 0; rc == 0 && tries < 4; tries++) {
    if (!seek_to(m, key, err))
      return NULL;
    rc = decode_to(m, frame, err);
    key = keyframe_before(&m->index, key > 0 ? key - 1 : 0);
  }
  if (rc < 0)
    return NULL;
  if (rc == 0) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: frame %d cannot be decoded where the index puts it; the file may be "
                     "damaged (try remuxing it with ffmpeg -c copy)"),
                 m->path, frame);
    return NULL;
  }
  sr_image *img = convert_frame(m, m->frame, err);
  av_frame_unref(m->frame);
  sr_image_free(m->last);
  m->last = img ? sr_image_copy(img, NULL) : NULL;
  return img;
}

sr_image *
sr_movie_read(sr_movie *m, int frame, sr_error *err)
{
  if (frame < 0 || frame >= m->index.n) {
    sr_error_set(err, SR_ERR_MISSING, SR_("frame %d of %s is missing (the movie runs 0-%d)"), frame,
                 m->path, m->index.n - 1);
    return NULL;
  }
  pthread_mutex_lock(&m->lock);
  sr_image *img = read_locked(m, frame, err);
  pthread_mutex_unlock(&m->lock);
  return img;
}

/* ---- Colour tags ------------------------------------------------------------ */

bool
sr_movie_colourspace_hint(const sr_movie_info *in, sr_colourspace *out)
{
  if (in->primaries != AVCOL_PRI_BT709)
    return false;
  switch (in->transfer) {
  case AVCOL_TRC_BT709:
  case AVCOL_TRC_SMPTE170M:
  case AVCOL_TRC_BT2020_10:
  case AVCOL_TRC_GAMMA22: *out = SR_CS_REC709; return true;
  case AVCOL_TRC_IEC61966_2_1: *out = SR_CS_SRGB; return true;
  case AVCOL_TRC_LINEAR: *out = SR_CS_LINEAR_REC709; return true;
  default: return false;
  }
}

const char *
sr_movie_warning(const sr_movie *m, char *buf, size_t len)
{
  const sr_movie_info *in = &m->info;
  if (in->scan != SR_SCAN_PROGRESSIVE) {
    snprintf(buf, len,
             SR_("%s is interlaced (%s); each frame is read as its two fields woven together. "
                 "A telecine of film is usually matched by `sync`, which finds the field-mixed "
                 "frames"),
             m->path,
             in->scan == SR_SCAN_TOP_FIRST ? SR_("top field first") : SR_("bottom field first"));
    return buf;
  }
  if (!in->is_rgb && in->matrix != in->used_matrix) {
    snprintf(buf, len, SR_("%s carries no YCbCr matrix tag; it is read as %s (from its size)"),
             m->path, in->used_matrix == AVCOL_SPC_BT709 ? "BT.709" : "BT.601");
    return buf;
  }
  return NULL;
}
