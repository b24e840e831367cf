/* sr-error.h — how engine functions report failure.
 *
 * Every fallible engine function returns bool (true on success) or a pointer
 * (NULL on failure) and fills an sr_error the caller may pass as NULL. The
 * message is written for the archivist: it names the file, frame or field and
 * says what to do.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SR_ERROR_MESSAGE_MAX 1024

typedef enum sr_status {
  SR_OK = 0,
  SR_ERR_IO,          /* a file or folder could not be read or written */
  SR_ERR_FORMAT,      /* a file is corrupt, truncated or not what it claims */
  SR_ERR_INVALID,     /* a value or setting is out of range or inconsistent */
  SR_ERR_NOMEM,       /* an allocation failed or a size is absurd */
  SR_ERR_UNSUPPORTED, /* a valid file uses a feature we do not read */
  SR_ERR_NOSPACE,     /* the disk is full or a quota was hit */
  SR_ERR_CANCELLED,   /* the user stopped the work */
  SR_ERR_BACKEND,     /* a compute backend failed or is unavailable */
  SR_ERR_MISSING,     /* a frame or file that should exist does not */
} sr_status;

typedef struct sr_error {
  sr_status code;
  char message[SR_ERROR_MESSAGE_MAX];
} sr_error;

/* Sets err (if not NULL) to code and the formatted message. */
void sr_error_set(sr_error *err, sr_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets err from errno-style failure: "<what>: <strerror(errnum)>", choosing
 * SR_ERR_NOSPACE for ENOSPC/EDQUOT/EFBIG and SR_ERR_MISSING for ENOENT. */
void sr_error_set_errno(sr_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends context ("frame 12: ") to an existing message. */
void sr_error_prefix(sr_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void sr_error_clear(sr_error *err);
const char *sr_status_name(sr_status code);
