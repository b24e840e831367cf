/* sr-demo.h — the built-in demo project, generated on demand. */
#pragma once

#include <gio/gio.h>

#include "sr-job.h"

G_BEGIN_DECLS

/* Makes sure dir holds the demo project (Source and Reference sequences and
 * demo.srproj), generating it with the engine's simulator the first time.
 * Runs on a worker thread; job (may be NULL) receives progress and cancel.
 * Returns the project file's path (caller frees) or NULL with error. */
char *sr_demo_ensure(const char *dir, SrJob *job, GError **error);

G_END_DECLS
