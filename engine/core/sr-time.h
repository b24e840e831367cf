/* sr-time.h — the date written into checkpoints, masters, sidecars and
 * notes. One definition, so that every file of a run can be pinned to one
 * instant. */
#pragma once

/* The current UTC time as ISO 8601 ("2026-01-31T12:00:00Z") into out.
 * When SOURCE_DATE_EPOCH holds a number of seconds since 1970, that instant
 * is used instead (the reproducible-builds convention): two runs then write
 * byte-identical files, which the crash and render-farm tests compare. */
void sr_time_now_iso(char out[32]);
