#include "sr-rng.h"

#include <math.h>

static inline uint64_t
rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* splitmix64 spreads one seed over the four state words. */
void
sr_rng_seed(sr_rng *rng, uint64_t seed)
{
  uint64_t z = seed;
  for (int i = 0; i < 4; i++) {
    z += 0x9e3779b97f4a7c15ULL;
    uint64_t x = z;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    rng->s[i] = x ^ (x >> 31);
  }
}

uint64_t
sr_rng_next(sr_rng *rng)
{
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double
sr_rng_uniform(sr_rng *rng)
{
  return (double)(sr_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t
sr_rng_below(sr_rng *rng, uint32_t n)
{
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do
    x = sr_rng_next(rng);
  while (x >= limit);
  return (uint32_t)(x % n);
}

double
sr_rng_normal(sr_rng *rng)
{
  double u1 = sr_rng_uniform(rng), u2 = sr_rng_uniform(rng);
  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
