/* sr-ocio-none.c — sr-ocio.h for builds without OpenColorIO (meson option
 * `ocio` disabled or the library absent): every entry point says so, naming
 * what to install, and the project's own colour spaces keep working. */
#include "sr-ocio.h"
#include "sr-i18n.h"

static void
unavailable(sr_error *err)
{
  sr_error_set(err, SR_ERR_UNSUPPORTED,
               SR_("this build of Spatial Recovery has no OpenColorIO support; install "
                   "libopencolorio-dev and rebuild, or use the project's own colour spaces"));
}

bool
sr_ocio_available(void)
{
  return false;
}

const char *
sr_ocio_version(void)
{
  return "";
}

sr_ocio_config *
sr_ocio_config_open(const char *path, sr_error *err)
{
  unavailable(err);
  return NULL;
}

void
sr_ocio_config_free(sr_ocio_config *c)
{}

const char *
sr_ocio_config_path(const sr_ocio_config *c)
{
  return "";
}

const char *
sr_ocio_config_name(const sr_ocio_config *c)
{
  return "";
}

int
sr_ocio_config_space_count(const sr_ocio_config *c)
{
  return 0;
}

const char *
sr_ocio_space_name(const sr_ocio_config *c, int i)
{
  return "";
}

const char *
sr_ocio_space_family(const sr_ocio_config *c, int i)
{
  return "";
}

const char *
sr_ocio_space_aliases(const sr_ocio_config *c, int i)
{
  return "";
}

const char *
sr_ocio_config_resolve(const sr_ocio_config *c, const char *name, sr_error *err)
{
  unavailable(err);
  return NULL;
}

sr_ocio_processor *
sr_ocio_processor_new(const sr_ocio_config *c, const char *from, const char *to, sr_error *err)
{
  unavailable(err);
  return NULL;
}

void
sr_ocio_processor_free(sr_ocio_processor *p)
{}

void
sr_ocio_processor_apply(const sr_ocio_processor *p, float *pixels, size_t n, int channels)
{}
