/* sr-sha256.h — SHA-256 (FIPS 180-4), for model ids and data hashes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SR_SHA256_DIGEST_SIZE 32
#define SR_SHA256_HEX_SIZE    65 /* 64 hex digits + NUL */

typedef struct sr_sha256 {
  uint32_t h[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  size_t fill; /* bytes waiting in block */
} sr_sha256;

void sr_sha256_init(sr_sha256 *ctx);
void sr_sha256_update(sr_sha256 *ctx, const void *data, size_t len);
void sr_sha256_final(sr_sha256 *ctx, uint8_t digest[SR_SHA256_DIGEST_SIZE]);

/* One-shot digest. */
void sr_sha256_digest(const void *data, size_t len, uint8_t digest[SR_SHA256_DIGEST_SIZE]);
/* Lower-case hex of a digest into out (65 bytes). */
void sr_sha256_hex(const uint8_t digest[SR_SHA256_DIGEST_SIZE], char out[SR_SHA256_HEX_SIZE]);
