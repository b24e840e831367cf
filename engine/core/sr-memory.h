/* sr-memory.h — how much memory the machine can give a job right now.
 *
 * Used to refuse work that would not fit (training keeps every pair
 * resident) with a message, instead of ending in the kernel's OOM kill.
 */
#pragma once

#include <stdint.h>

/* Bytes available without swapping: MemAvailable from /proc/meminfo, else
 * free pages × page size; 0 when neither can be read. */
uint64_t sr_memory_available(void);

/* Writes "1.5 GB"-style text for a byte count (decimal units) into buf. */
void sr_memory_format(uint64_t bytes, char *buf, int len);
