/* sr-ocio.cc — OpenColorIO configs and processors behind sr-ocio.h.
 *
 * The only C++ in the engine: it turns OCIO's exceptions into sr_error
 * messages that name the config and the space, and copies what the C side
 * lists (names, families, aliases) into plain strings owned by the config
 * handle. Processors are OCIO CPU processors optimised losslessly: OCIO's
 * default optimisation replaces log and power functions with fast
 * approximations, which would make a round trip through an OCIO space less
 * exact than the LittleCMS path it sits beside.
 */
#include "sr-ocio.h"

#include <OpenColorIO/OpenColorIO.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "sr-i18n.h"
}

namespace OCIO = OCIO_NAMESPACE;

struct sr_ocio_config {
  OCIO::ConstConfigRcPtr config;
  std::string path, name;
  std::vector<std::string> names, families, aliases;
};

struct sr_ocio_processor {
  OCIO::ConstCPUProcessorRcPtr cpu;
};

bool
sr_ocio_available(void)
{
  return true;
}

const char *
sr_ocio_version(void)
{
  return OCIO::GetVersion();
}

static void
fill_spaces(sr_ocio_config *c)
{
  const OCIO::ConstConfigRcPtr &cfg = c->config;
  int n = cfg->getNumColorSpaces(OCIO::SEARCH_REFERENCE_SPACE_ALL, OCIO::COLORSPACE_ACTIVE);
  for (int i = 0; i < n; i++) {
    const char *name =
        cfg->getColorSpaceNameByIndex(OCIO::SEARCH_REFERENCE_SPACE_ALL, OCIO::COLORSPACE_ACTIVE, i);
    OCIO::ConstColorSpaceRcPtr cs = cfg->getColorSpace(name);
    if (!cs)
      continue;
    std::string aliases;
    for (size_t a = 0; a < cs->getNumAliases(); a++) {
      if (!aliases.empty())
        aliases += ", ";
      aliases += cs->getAlias(a);
    }
    c->names.emplace_back(cs->getName());
    c->families.emplace_back(cs->getFamily() ? cs->getFamily() : "");
    c->aliases.push_back(aliases);
  }
}

sr_ocio_config *
sr_ocio_config_open(const char *path, sr_error *err)
{
  std::string file = path && *path ? path : "";
  if (file.empty()) {
    const char *env = std::getenv("OCIO");
    if (!env || !*env) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("no OpenColorIO config chosen and $OCIO is not set; choose a config file "
                       "in the Project stage or set $OCIO"));
      return nullptr;
    }
    file = env;
  }
  sr_ocio_config *c = new (std::nothrow) sr_ocio_config;
  if (!c) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory opening an OpenColorIO config"));
    return nullptr;
  }
  c->path = file;
  try {
    c->config = OCIO::Config::CreateFromFile(file.c_str());
    c->config->validate();
    if (!c->config->getColorSpace(SR_OCIO_INTERCHANGE_ROLE)) {
      sr_error_set(err, SR_ERR_UNSUPPORTED,
                   SR_("OpenColorIO config %s defines no '%s' role (ACES2065-1), which the "
                       "project needs to reach its training domain; every ACES config defines it"),
                   file.c_str(), SR_OCIO_INTERCHANGE_ROLE);
      delete c;
      return nullptr;
    }
    c->name = c->config->getName() ? c->config->getName() : "";
    fill_spaces(c);
  } catch (const std::exception &e) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("OpenColorIO config %s cannot be loaded: %s"),
                 file.c_str(), e.what());
    delete c;
    return nullptr;
  }
  return c;
}

void
sr_ocio_config_free(sr_ocio_config *c)
{
  delete c;
}

const char *
sr_ocio_config_path(const sr_ocio_config *c)
{
  return c->path.c_str();
}

const char *
sr_ocio_config_name(const sr_ocio_config *c)
{
  return c->name.c_str();
}

int
sr_ocio_config_space_count(const sr_ocio_config *c)
{
  return (int)c->names.size();
}

static bool
index_ok(const sr_ocio_config *c, int i)
{
  return i >= 0 && (size_t)i < c->names.size();
}

const char *
sr_ocio_space_name(const sr_ocio_config *c, int i)
{
  return index_ok(c, i) ? c->names[(size_t)i].c_str() : "";
}

const char *
sr_ocio_space_family(const sr_ocio_config *c, int i)
{
  return index_ok(c, i) ? c->families[(size_t)i].c_str() : "";
}

const char *
sr_ocio_space_aliases(const sr_ocio_config *c, int i)
{
  return index_ok(c, i) ? c->aliases[(size_t)i].c_str() : "";
}

const char *
sr_ocio_config_resolve(const sr_ocio_config *c, const char *name, sr_error *err)
{
  OCIO::ConstColorSpaceRcPtr cs;
  try {
    cs = name && *name ? c->config->getColorSpace(name) : nullptr;
  } catch (const std::exception &) {
    cs = nullptr;
  }
  /* The config owns its colour spaces, so the name lives as long as it. */
  if (cs)
    return cs->getName();
  sr_error_set(err, SR_ERR_INVALID,
               SR_("OpenColorIO config %s has no colour space '%s'; choose one the config "
                   "lists (names, aliases and roles are accepted)"),
               c->path.c_str(), name ? name : "");
  return nullptr;
}

sr_ocio_processor *
sr_ocio_processor_new(const sr_ocio_config *c, const char *from, const char *to, sr_error *err)
{
  if (!sr_ocio_config_resolve(c, from, err) || !sr_ocio_config_resolve(c, to, err))
    return nullptr;
  sr_ocio_processor *p = new (std::nothrow) sr_ocio_processor;
  if (!p) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory building an OpenColorIO processor"));
    return nullptr;
  }
  try {
    OCIO::ConstProcessorRcPtr proc = c->config->getProcessor(from, to);
    p->cpu = proc->getOptimizedCPUProcessor(OCIO::BIT_DEPTH_F32, OCIO::BIT_DEPTH_F32,
                                            OCIO::OPTIMIZATION_LOSSLESS);
  } catch (const std::exception &e) {
    sr_error_set(err, SR_ERR_BACKEND,
                 SR_("OpenColorIO config %s: conversion from '%s' to '%s' cannot be built: %s"),
                 c->path.c_str(), from, to, e.what());
    delete p;
    return nullptr;
  }
  return p;
}

void
sr_ocio_processor_free(sr_ocio_processor *p)
{
  delete p;
}

void
sr_ocio_processor_apply(const sr_ocio_processor *p, float *pixels, size_t n, int channels)
{
  if (!p || !pixels || n == 0 || (channels != 3 && channels != 4))
    return;
  /* One row of n pixels; OCIO takes long sizes, so split huge spans. */
  const size_t chunk = (size_t)1 << 24;
  for (size_t start = 0; start < n; start += chunk) {
    size_t m = n - start < chunk ? n - start : chunk;
    OCIO::PackedImageDesc img(pixels + start * (size_t)channels, (long)m, 1, channels);
    p->cpu->apply(img);
  }
}
