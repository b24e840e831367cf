#include "sr-error.h"
#include "sr-i18n.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
sr_error_set(sr_error *err, sr_status code, const char *fmt, ...)
{
  if (!err)
    return;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

void
sr_error_set_errno(sr_error *err, int errnum, const char *fmt, ...)
{
  if (!err)
    return;
  char what[SR_ERROR_MESSAGE_MAX / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  sr_status code = SR_ERR_IO;
  if (errnum == ENOSPC || errnum == EDQUOT || errnum == EFBIG)
    code = SR_ERR_NOSPACE;
  else if (errnum == ENOENT)
    code = SR_ERR_MISSING;
  else if (errnum == ENOMEM)
    code = SR_ERR_NOMEM;
  const char *hint = "";
  if (code == SR_ERR_NOSPACE)
    hint = SR_(" (free some space or choose another output folder)");
  else if (errnum == EACCES || errnum == EPERM || errnum == EROFS)
    hint = SR_(" (check the folder's permissions or choose another one)");
  err->code = code;
  snprintf(err->message, sizeof err->message, "%s: %s%s", what, strerror(errnum), hint);
}

void
sr_error_prefix(sr_error *err, const char *fmt, ...)
{
  if (!err)
    return;
  char prefix[SR_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  size_t lp = (size_t)n < sizeof prefix ? (size_t)n : sizeof prefix - 1;
  size_t lm = strlen(err->message);
  if (lp + lm >= sizeof err->message)
    lm = sizeof err->message - 1 - lp;
  memmove(err->message + lp, err->message, lm);
  memcpy(err->message, prefix, lp);
  err->message[lp + lm] = '\0';
}

void
sr_error_clear(sr_error *err)
{
  if (!err)
    return;
  err->code = SR_OK;
  err->message[0] = '\0';
}

const char *
sr_status_name(sr_status code)
{
  switch (code) {
  case SR_OK: return "ok";
  case SR_ERR_IO: return "i/o error";
  case SR_ERR_FORMAT: return "bad file";
  case SR_ERR_INVALID: return "invalid value";
  case SR_ERR_NOMEM: return "out of memory";
  case SR_ERR_UNSUPPORTED: return "unsupported";
  case SR_ERR_NOSPACE: return "no space left";
  case SR_ERR_CANCELLED: return "cancelled";
  case SR_ERR_BACKEND: return "backend error";
  case SR_ERR_MISSING: return "missing";
  }
  return "error";
}
