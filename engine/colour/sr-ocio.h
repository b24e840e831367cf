/* sr-ocio.h — colour spaces from an OpenColorIO config, behind a C interface.
 *
 * A config is opened once (a file, or the one $OCIO names) and lists its
 * colour spaces as the config spells them, with their families and aliases.
 * A processor converts between two of its spaces; it is built once and may
 * then be applied from any number of threads at once (OCIO's CPU processors
 * are immutable).
 *
 * How OCIO spaces meet the project's own: an OCIO space reaches the
 * training domain through the config's scene interchange role
 * (`aces_interchange`, ACES2065-1, which every ACES config defines):
 * OCIO converts the space to it, and the LittleCMS path takes ACES2065-1 on
 * from there (see sr_colour_transform_new_ocio in sr-colour.h). A config
 * without that role cannot be used, and says so.
 *
 * Built only with OpenColorIO (meson option `ocio`); without it every
 * function here fails with a message saying the build lacks it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "sr-error.h"

/* The OCIO role every config we use must define: ACES2065-1. */
#define SR_OCIO_INTERCHANGE_ROLE "aces_interchange"

typedef struct sr_ocio_config sr_ocio_config;
typedef struct sr_ocio_processor sr_ocio_processor;

/* Whether this build has OpenColorIO. */
bool sr_ocio_available(void);
/* The OpenColorIO library's version ("2.1.2"), or "" without it. */
const char *sr_ocio_version(void);

/* Opens and validates a config. `path` NULL or "" means the file $OCIO
 * names. Errors name the file and what is wrong; a config without the
 * aces_interchange role is refused. */
sr_ocio_config *sr_ocio_config_open(const char *path, sr_error *err);
void sr_ocio_config_free(sr_ocio_config *c);
/* The file the config came from, as given (or from $OCIO). */
const char *sr_ocio_config_path(const sr_ocio_config *c);
/* The config's own name field, "" when it has none. */
const char *sr_ocio_config_name(const sr_ocio_config *c);

/* The active colour spaces, in the config's order. */
int sr_ocio_config_space_count(const sr_ocio_config *c);
const char *sr_ocio_space_name(const sr_ocio_config *c, int i);
const char *sr_ocio_space_family(const sr_ocio_config *c, int i);  /* "" when none */
const char *sr_ocio_space_aliases(const sr_ocio_config *c, int i); /* "a, b" or "" */

/* The config's spelling of a space given by name, alias or role; NULL with
 * an error naming the config and the space when it has no such space. The
 * string lives as long as the config. */
const char *sr_ocio_config_resolve(const sr_ocio_config *c, const char *name, sr_error *err);

/* from → to, both names, aliases or roles of the config. */
sr_ocio_processor *sr_ocio_processor_new(const sr_ocio_config *c, const char *from, const char *to,
                                         sr_error *err);
void sr_ocio_processor_free(sr_ocio_processor *p);
/* In place, n pixels of `channels` (3 or 4) floats; alpha is left alone. */
void sr_ocio_processor_apply(const sr_ocio_processor *p, float *pixels, size_t n, int channels);

#ifdef __cplusplus
}
#endif
