/* sr-movie-none.c — movie reading in a build made without FFmpeg's
 * libraries (meson option `ffmpeg` disabled or the libraries absent): every
 * open fails with a message saying how to get a build that reads movies. */
#include <stdlib.h>

#include "sr-i18n.h"
#include "sr-movie.h"

bool
sr_movie_supported(void)
{
  return false;
}

sr_movie *
sr_movie_open(const char *path, const sr_movie_options *opts, sr_error *err)
{
  (void)opts;
  sr_error_set(err, SR_ERR_UNSUPPORTED,
               SR_("%s: this build of Spatial Recovery reads no movie files (it was built "
                   "without FFmpeg's libraries); convert the movie to an image sequence, or "
                   "install libavformat/libavcodec/libswscale and rebuild"),
               path);
  return NULL;
}

sr_movie *
sr_movie_ref(sr_movie *m)
{
  return m;
}

void
sr_movie_unref(sr_movie *m)
{
  (void)m;
}

const sr_movie_info *
sr_movie_get_info(const sr_movie *m)
{
  (void)m;
  return NULL;
}

const char *
sr_movie_path(const sr_movie *m)
{
  (void)m;
  return NULL;
}

sr_image *
sr_movie_read(sr_movie *m, int frame, sr_error *err)
{
  (void)m;
  sr_error_set(err, SR_ERR_UNSUPPORTED, SR_("frame %d: this build reads no movie files"), frame);
  return NULL;
}

bool
sr_movie_colourspace_hint(const sr_movie_info *info, sr_colourspace *out)
{
  (void)info;
  (void)out;
  return false;
}

const char *
sr_movie_warning(const sr_movie *m, char *buf, size_t len)
{
  (void)m;
  (void)buf;
  (void)len;
  return NULL;
}
