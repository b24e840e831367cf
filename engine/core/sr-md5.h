/* sr-md5.h — MD5 (RFC 1321), only for fixity manifests that an archive's
 * systems ask for beside SHA-256. Not for anything that must resist
 * collisions: model ids and data hashes use SHA-256 (sr-sha256.h). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SR_MD5_DIGEST_SIZE 16
#define SR_MD5_HEX_SIZE    33 /* 32 hex digits + NUL */

typedef struct sr_md5 {
  uint32_t h[4];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  size_t fill; /* bytes waiting in block */
} sr_md5;

void sr_md5_init(sr_md5 *ctx);
void sr_md5_update(sr_md5 *ctx, const void *data, size_t len);
void sr_md5_final(sr_md5 *ctx, uint8_t digest[SR_MD5_DIGEST_SIZE]);

/* One-shot digest. */
void sr_md5_digest(const void *data, size_t len, uint8_t digest[SR_MD5_DIGEST_SIZE]);
/* Lower-case hex of a digest into out (33 bytes). */
void sr_md5_hex(const uint8_t digest[SR_MD5_DIGEST_SIZE], char out[SR_MD5_HEX_SIZE]);
