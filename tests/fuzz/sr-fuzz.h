/* sr-fuzz.h — what every fuzz target shares: the readers under test take a
 * path, so each input is written to one anonymous in-memory file (memfd)
 * per process and handed over as /proc/self/fd/N. The readers therefore run
 * exactly as they do on a user's file, with no second parsing path. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Replaces the memfd's contents with data[0..size) and returns its path
 * (static storage, valid until the next call). Aborts when the kernel
 * refuses: a fuzz run that cannot write its input must not pass silently. */
const char *sr_fuzz_file(const uint8_t *data, size_t size);

/* A private folder for the files a target writes besides its input (a
 * saved copy to load back, a folder to verify), made once per process with
 * mkdtemp and removed with everything in it at exit. Aborts when it cannot
 * be made. */
const char *sr_fuzz_scratch_dir(void);
