/* sr-memory.c — available memory (see sr-memory.h). */
#include "sr-memory.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

uint64_t
sr_memory_available(void)
{
  FILE *fp = fopen("/proc/meminfo", "r");
  if (fp) {
    char line[256];
    unsigned long long kb = 0;
    bool found = false;
    while (!found && fgets(line, sizeof line, fp))
      found = sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
    fclose(fp);
    if (found)
      return (uint64_t)kb * 1024u;
  }
  long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

void
sr_memory_format(uint64_t bytes, char *buf, int len)
{
  if (bytes >= 1000000000ull)
    snprintf(buf, (size_t)len, "%.1f GB", bytes / 1e9);
  else
    snprintf(buf, (size_t)len, "%.0f MB", bytes / 1e6 < 1 ? 1.0 : bytes / 1e6);
}
