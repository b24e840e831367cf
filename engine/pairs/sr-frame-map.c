/* sr-frame-map.c — Source↔Reference frame arithmetic: offset, pulldown
 * cadence, breaks (see sr-frame-map.h for the field model). */
#include "sr-frame-map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-i18n.h"

/* First field of each cycle position and the cycle length in fields. */
typedef struct cadence_table {
  int cum[5];
} cadence_table;

static const cadence_table tables[] = {
    [SR_CADENCE_NONE] = {{0, 2, 4, 6, 8}},
    [SR_CADENCE_32] = {{0, 2, 5, 7, 10}},
    [SR_CADENCE_2332] = {{0, 2, 5, 8, 10}},
};

static int
floor_div(int a, int b)
{
  int q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static const cadence_table *
table_of(const sr_frame_map *m)
{
  int c = (int)m->cadence;
  return &tables[c >= SR_CADENCE_NONE && c <= SR_CADENCE_2332 ? c : SR_CADENCE_NONE];
}

/* F(k): first field of film frame k. */
static long long
first_field(const cadence_table *t, int k)
{
  int q = floor_div(k, 4), j = k - 4 * q;
  return (long long)t->cum[4] * q + t->cum[j];
}

/* The film frame (F-space index) field g belongs to. */
static int
film_frame_of_field(const cadence_table *t, long long g)
{
  long long q = g >= 0 ? g / t->cum[4] : -((-g + t->cum[4] - 1) / t->cum[4]);
  long long rem = g - q * t->cum[4];
  int j = 0;
  while (j < 3 && rem >= t->cum[j + 1])
    j++;
  return (int)(4 * q + j);
}

static int
shift_upto(const sr_frame_map *m, int s, int *next_break)
{
  int sum = 0;
  *next_break = -1;
  for (int i = 0; i < m->n_breaks; i++) {
    if (m->breaks[i].source_frame > s) {
      *next_break = i;
      break;
    }
    sum += m->breaks[i].shift;
  }
  return sum;
}

/* A(s) for a given cumulative shift. */
static long long
start_field(const sr_frame_map *m, const cadence_table *t, int s, int shift)
{
  long long base = first_field(t, m->phase);
  return 2LL * ((long long)m->offset + shift) + first_field(t, s + m->phase) - 2 * (base / 2);
}

/* The first Reference frame of the regime that starts at break b. */
static long long
break_start(const sr_frame_map *m, const cadence_table *t, int b)
{
  int shift = 0;
  for (int i = 0; i <= b; i++)
    shift += m->breaks[i].shift;
  long long a = start_field(m, t, m->breaks[b].source_frame, shift);
  return a >= 0 ? a / 2 : -((-a + 1) / 2);
}

long long
sr_frame_map_first_field(const sr_frame_map *m, int s)
{
  int next;
  return start_field(m, table_of(m), s, shift_upto(m, s, &next));
}

int
sr_frame_map_reference(const sr_frame_map *m, int s)
{
  const cadence_table *t = table_of(m);
  int next;
  int shift = shift_upto(m, s, &next);
  long long a = start_field(m, t, s, shift);
  long long n = first_field(t, s + m->phase + 1) - first_field(t, s + m->phase);
  long long r = a >= 0 ? (a + 1) / 2 : -((-a) / 2); /* ceil(a/2) */
  if (2 * r + 1 > a + n - 1)
    return SR_NO_FRAME; /* no whole frame inside this film frame's fields */
  /* Frames dropped at the next break took this picture with them when the
   * new regime starts at or before its Reference frame. */
  if (next >= 0 && m->breaks[next].shift < 0 && r >= break_start(m, t, next))
    return SR_NO_FRAME;
  if (r < INT_MIN + 1 || r > INT_MAX)
    return SR_NO_FRAME;
  return (int)r;
}

/* The cumulative shift in force at Reference frame r. */
static int
shift_at_reference(const sr_frame_map *m, const cadence_table *t, int r)
{
  int shift = 0;
  for (int i = 0; i < m->n_breaks; i++) {
    if (break_start(m, t, i) > r)
      break;
    shift += m->breaks[i].shift;
  }
  return shift;
}

void
sr_frame_map_fields(const sr_frame_map *m, int r, int *top, int *bottom)
{
  const cadence_table *t = table_of(m);
  int shift = shift_at_reference(m, t, r);
  long long base = first_field(t, m->phase);
  long long g = 2LL * r - 2LL * ((long long)m->offset + shift) + 2 * (base / 2);
  *top = film_frame_of_field(t, g) - m->phase;
  *bottom = film_frame_of_field(t, g + 1) - m->phase;
}

bool
sr_frame_map_field_mixed(const sr_frame_map *m, int r)
{
  if (m->cadence == SR_CADENCE_NONE)
    return false;
  int top, bottom;
  sr_frame_map_fields(m, r, &top, &bottom);
  return top != bottom;
}

int
sr_frame_map_source(const sr_frame_map *m, int r)
{
  int top, bottom;
  sr_frame_map_fields(m, r, &top, &bottom);
  if (top != bottom || sr_frame_map_reference(m, top) != r)
    return SR_NO_FRAME;
  return top;
}

void
sr_frame_map_init(sr_frame_map *m, int offset)
{
  memset(m, 0, sizeof *m);
  m->offset = offset;
}

void
sr_frame_map_clear(sr_frame_map *m)
{
  if (!m)
    return;
  free(m->breaks);
  memset(m, 0, sizeof *m);
}

bool
sr_frame_map_copy(sr_frame_map *dst, const sr_frame_map *src, sr_error *err)
{
  *dst = *src;
  dst->breaks = NULL;
  if (src->n_breaks > 0) {
    dst->breaks = malloc((size_t)src->n_breaks * sizeof *dst->breaks);
    if (!dst->breaks) {
      dst->n_breaks = 0;
      sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
      return false;
    }
    memcpy(dst->breaks, src->breaks, (size_t)src->n_breaks * sizeof *dst->breaks);
  }
  return true;
}

bool
sr_frame_map_equal(const sr_frame_map *a, const sr_frame_map *b)
{
  return a->offset == b->offset && a->cadence == b->cadence && a->phase == b->phase &&
         a->n_breaks == b->n_breaks &&
         (a->n_breaks == 0 ||
          memcmp(a->breaks, b->breaks, (size_t)a->n_breaks * sizeof *a->breaks) == 0);
}

bool
sr_frame_map_add_break(sr_frame_map *m, int source_frame, int shift, sr_error *err)
{
  if (shift == 0)
    return true;
  int i = 0;
  while (i < m->n_breaks && m->breaks[i].source_frame < source_frame)
    i++;
  if (i < m->n_breaks && m->breaks[i].source_frame == source_frame) {
    m->breaks[i].shift += shift;
    if (m->breaks[i].shift == 0) {
      memmove(m->breaks + i, m->breaks + i + 1, (size_t)(m->n_breaks - i - 1) * sizeof *m->breaks);
      m->n_breaks--;
    }
    return true;
  }
  if (m->n_breaks >= SR_FRAME_MAP_MAX_BREAKS) {
    sr_error_set(err, SR_ERR_INVALID, SR_("frame map: more than %d breaks"),
                 SR_FRAME_MAP_MAX_BREAKS);
    return false;
  }
  sr_frame_break *nb = realloc(m->breaks, (size_t)(m->n_breaks + 1) * sizeof *nb);
  if (!nb) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  m->breaks = nb;
  memmove(nb + i + 1, nb + i, (size_t)(m->n_breaks - i) * sizeof *nb);
  nb[i] = (sr_frame_break){source_frame, shift};
  m->n_breaks++;
  return true;
}

bool
sr_frame_map_validate(const sr_frame_map *m, sr_error *err)
{
  if (m->offset < -SR_FRAME_MAP_MAX_OFFSET || m->offset > SR_FRAME_MAP_MAX_OFFSET) {
    sr_error_set(err, SR_ERR_INVALID, SR_("frame map offset %d is out of range (±%d)"), m->offset,
                 SR_FRAME_MAP_MAX_OFFSET);
    return false;
  }
  if ((int)m->cadence < SR_CADENCE_NONE || m->cadence > SR_CADENCE_2332) {
    sr_error_set(err, SR_ERR_INVALID, SR_("frame map: unknown cadence %d"), (int)m->cadence);
    return false;
  }
  if (m->phase < 0 || m->phase > 3 || (m->cadence == SR_CADENCE_NONE && m->phase != 0)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("frame map: cadence phase %d (0-3 with a cadence, 0 without)"), m->phase);
    return false;
  }
  if (m->n_breaks < 0 || m->n_breaks > SR_FRAME_MAP_MAX_BREAKS) {
    sr_error_set(err, SR_ERR_INVALID, SR_("frame map: more than %d breaks"),
                 SR_FRAME_MAP_MAX_BREAKS);
    return false;
  }
  for (int i = 0; i < m->n_breaks; i++) {
    const sr_frame_break *b = &m->breaks[i];
    if (b->shift == 0 || b->shift < -SR_FRAME_MAP_MAX_OFFSET ||
        b->shift > SR_FRAME_MAP_MAX_OFFSET) {
      sr_error_set(err, SR_ERR_INVALID, SR_("frame map break %d: shift %d (nonzero, within ±%d)"),
                   i + 1, b->shift, SR_FRAME_MAP_MAX_OFFSET);
      return false;
    }
    if (i > 0 && b->source_frame <= m->breaks[i - 1].source_frame) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("frame map break %d: Source frame %d does not follow the break before "
                       "(%d); list breaks in frame order"),
                   i + 1, b->source_frame, m->breaks[i - 1].source_frame);
      return false;
    }
  }
  return true;
}

const char *
sr_cadence_name(sr_cadence c)
{
  switch (c) {
  case SR_CADENCE_NONE: return "none";
  case SR_CADENCE_32: return "3:2";
  case SR_CADENCE_2332: return "2:3:3:2";
  }
  return "none";
}

bool
sr_cadence_from_name(const char *name, sr_cadence *out)
{
  if (!name)
    return false;
  if (strcmp(name, "none") == 0)
    *out = SR_CADENCE_NONE;
  else if (strcmp(name, "3:2") == 0 || strcmp(name, "2:3") == 0)
    *out = SR_CADENCE_32;
  else if (strcmp(name, "2:3:3:2") == 0)
    *out = SR_CADENCE_2332;
  else
    return false;
  return true;
}

void
sr_frame_map_describe(const sr_frame_map *m, char *buf, size_t len)
{
  if (!buf || len == 0)
    return;
  size_t used = (size_t)snprintf(buf, len, SR_("offset %d"), m->offset);
  if (used < len && m->cadence != SR_CADENCE_NONE)
    used += (size_t)snprintf(buf + used, len - used, SR_(", %s cadence phase %d"),
                             sr_cadence_name(m->cadence), m->phase);
  for (int i = 0; i < m->n_breaks && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%+d@%d", i ? " " : SR_(", breaks "),
                             m->breaks[i].shift, m->breaks[i].source_frame);
}
