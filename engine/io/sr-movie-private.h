/* sr-movie-private.h — the frame index of a movie, shared by sr-movie.c and
 * sr-movie-index.c (which builds it and keeps it on disk). */
#pragma once

#include <libavformat/avformat.h>
#include <stdbool.h>
#include <stdint.h>

#include "sr-error.h"

typedef struct sr_movie_index {
  int n;
  int64_t *pts; /* presentation timestamps, ascending, stream time base */
  uint8_t *key; /* 1 where the frame is a keyframe */
} sr_movie_index;

void sr_movie_index_clear(sr_movie_index *ix);
/* Demuxes the whole video stream once (no decoding) and leaves the file
 * positioned at its start. Fails for packets without timestamps, duplicate
 * timestamps, or a stream with no frame. */
bool sr_movie_index_build(sr_movie_index *ix, AVFormatContext *fmt, int stream, const char *path,
                          sr_error *err);
/* Index of the frame with this timestamp, or -1. */
int sr_movie_index_find(const sr_movie_index *ix, int64_t pts);
/* The cache: one file per movie in `dir`, valid while the movie keeps its
 * size and modification time. A missing, stale or damaged cache loads as
 * false; a cache that cannot be written is skipped. */
bool sr_movie_index_load(sr_movie_index *ix, const char *path, const char *dir, int stream);
void sr_movie_index_save(const sr_movie_index *ix, const char *path, const char *dir, int stream);
/* The cache file's path for a movie (caller frees). */
char *sr_movie_index_cache_path(const char *path, const char *dir);
