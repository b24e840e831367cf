/* sr-rng.h — a small deterministic random generator (xoshiro256**).
 *
 * Its whole state is four 64-bit words, saved in checkpoints so a resumed
 * training run draws exactly the numbers an uninterrupted run would.
 */
#pragma once

#include <stdint.h>

typedef struct sr_rng {
  uint64_t s[4];
} sr_rng;

void sr_rng_seed(sr_rng *rng, uint64_t seed);
uint64_t sr_rng_next(sr_rng *rng);
/* Uniform in [0, 1). */
double sr_rng_uniform(sr_rng *rng);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint32_t sr_rng_below(sr_rng *rng, uint32_t n);
/* Standard normal (Box–Muller). */
double sr_rng_normal(sr_rng *rng);
