/* sr-exr-private.h — what sr-exr.c shares with sr-exr-meta.c: opening a
 * header with the reader's safeguards (regular file, size, no chunk
 * reconstruction, library messages captured) and the typed attributes. */
#pragma once

#include <openexr.h>
#include <stdbool.h>

#include "sr-image.h"
#include "sr-reel.h"

/* Opens path's header; *handle goes back to sr_exr_header_close. */
bool sr_exr_header_open(const char *path, exr_context_t *ctxt, void **handle, sr_error *err);
void sr_exr_header_close(exr_context_t *ctxt, void *handle);
/* timeCode ("HH:MM:SS:FF") and framesPerSecond ("N" or "N/D") as typed
 * attributes: 1 written, 0 not one of them, -1 error (err set). */
int sr_exr_set_typed_attr(exr_context_t ctxt, int part, const sr_attribute *a, const char *path,
                          sr_error *err);
