/* sr-time.c — the date stamped into written files (see sr-time.h). */
#include "sr-time.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

void
sr_time_now_iso(char out[32])
{
  time_t now = time(NULL);
  const char *epoch = getenv("SOURCE_DATE_EPOCH");
  if (epoch && *epoch) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(epoch, &end, 10);
    if (errno == 0 && *end == '\0' && v >= 0)
      now = (time_t)v;
  }
  struct tm tm;
  if (!gmtime_r(&now, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
    out[0] = '\0';
}
