/* sr-fs.h — atomic file writes and small path helpers.
 *
 * Every file the product writes goes through here: data is written to a
 * temporary file beside the target (".name.XXXXXX.tmp"), flushed, fsynced,
 * then renamed over the target and the folder fsynced. A reader therefore sees
 * either the old file or the complete new one, never a half-written file, and
 * an interrupted write leaves at most a temporary file that the next write or
 * sr_fs_remove_stale_temps() cleans up.
 *
 * For the crash tests, SR_FAULT_KILL_AT=N in the environment kills the
 * process at the Nth step of its atomic writes (see sr-fs.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sr-error.h"

typedef struct sr_atomic_file {
  FILE *fp; /* write through this */
  char *final_path;
  char *temp_path;
} sr_atomic_file;

/* Creates the temporary file beside path and holds an exclusive lock on it
 * until commit or abort, so stale-temp cleanup in any process leaves it
 * alone while it is being written. Libraries that write by file name may
 * write to af->temp_path before the commit. */
bool sr_atomic_open(sr_atomic_file *af, const char *path, sr_error *err);
/* Flushes, fsyncs, closes and renames into place. On failure the temporary
 * is removed and the target left as it was. */
bool sr_atomic_commit(sr_atomic_file *af, sr_error *err);
/* Closes and removes the temporary; the target is untouched. Safe to call
 * after a failed commit or on a zeroed struct. */
void sr_atomic_abort(sr_atomic_file *af);

/* A fresh temporary path beside `path` (caller frees), not locked: prefer
 * sr_atomic_open. Write to it, then sr_atomic_finish(). */
char *sr_atomic_temp_name(const char *path, sr_error *err);
/* fsyncs temp_path, renames it to path, fsyncs the folder; removes temp_path
 * on failure. */
bool sr_atomic_finish(const char *temp_path, const char *path, sr_error *err);

/* Writes a whole buffer atomically. */
bool sr_write_file_atomic(const char *path, const void *data, size_t len, sr_error *err);
/* A claim on a file several processes may want to write at once (the
 * frames of a render farm, masters of a delivery started on several nodes):
 * an exclusive lock on ".NAME.LOCKED.tmp" beside it. The lock dies with its
 * process, kill -9 included, so a crashed writer never blocks the file; the
 * lock file it leaves is removed by the next claim or stale-temp cleanup. */
typedef struct sr_claim {
  int fd; /* -1 when not held */
  char *lock_path;
} sr_claim;

/* Takes the claim when no other process holds it: 1 when taken, 0 when
 * another holds it (try again later), -1 with err on failure. */
int sr_claim_try(sr_claim *c, const char *path, sr_error *err);
/* Removes the lock file and lets go; safe on a zeroed or released claim. */
void sr_claim_release(sr_claim *c);

/* Reads a whole file (NUL-terminated for convenience; *len excludes it).
 * Refuses files larger than max_len. Caller frees. */
void *sr_read_file(const char *path, size_t max_len, size_t *len, sr_error *err);

/* Opens a file for reading, refusing anything but a regular file (a
 * folder, FIFO or device) before a read could block; -1 on failure. */
int sr_open_regular(const char *path, sr_error *err);
/* The same as a stdio stream ("rb"). */
FILE *sr_fopen_regular(const char *path, sr_error *err);

/* mkdir -p; succeeds when the folder already exists. */
bool sr_mkdir_p(const char *path, sr_error *err);
bool sr_file_exists(const char *path);
bool sr_is_dir(const char *path);
/* Joins two path parts with one '/'. Caller frees. */
char *sr_path_join(const char *a, const char *b);
/* Folder part of a path ("." when none). Caller frees. */
char *sr_path_dirname(const char *path);
/* Removes ".*.tmp" files left in `dir` by interrupted atomic writes whose
 * name starts with "." + prefix (prefix may be "" for all); a temporary a
 * live process holds (sr_atomic_open) stays. Returns count. */
int sr_fs_remove_stale_temps(const char *dir, const char *prefix);
/* The same, but only temporaries whose target file name (".NAME.XXXXXX.tmp"
 * → "NAME") `owned` accepts: several processes may write into one folder
 * (a render farm), each must only clean up after itself, and two writing
 * the same frame at once must not remove each other's temporary (the one
 * being written is locked, so it stays). */
int sr_fs_remove_stale_temps_owned(const char *dir, bool (*owned)(const char *name, void *user),
                                   void *user);

/* The files a command reads (Source and Reference frames), kept by identity
 * so that an output naming one of them under any spelling — a symlinked
 * folder, "..", a hard link — is refused before any work. A file is known by
 * its device and inode, and by its folder's device and inode plus its name
 * (which also covers a file that does not exist yet). */
typedef struct sr_file_set sr_file_set;

sr_file_set *sr_file_set_new(void);
void sr_file_set_free(sr_file_set *s);
/* Records an input file; false only when out of memory. */
bool sr_file_set_add(sr_file_set *s, const char *path, sr_error *err);
/* The recorded input that writing `path` would replace, or NULL. */
const char *sr_file_set_find(sr_file_set *s, const char *path);
/* Fails with SR_ERR_INVALID naming both files when `output` is one of the
 * inputs. */
bool sr_file_set_refuse(sr_file_set *s, const char *output, sr_error *err);
