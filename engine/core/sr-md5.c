/* sr-md5.c — MD5 as RFC 1321 specifies it: 64-byte blocks, four rounds of
 * sixteen steps, little-endian words and length. Checked against the RFC's
 * test suite (A.5) in tests/engine/core/test-core.c. */
#include "sr-md5.h"

#include <string.h>

/* Per-step left rotations, rounds 1–4 (RFC 1321, 3.4). */
static const uint8_t shift[64] = {
    7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 5,  9,  14, 20, 5,  9,
    14, 20, 5,  9,  14, 20, 5,  9,  14, 20, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
    4,  11, 16, 23, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21,
};

/* T[i] = floor(2^32 · |sin(i + 1)|). */
static const uint32_t sine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static uint32_t
rotl(uint32_t x, int n)
{
  return (x << n) | (x >> (32 - n));
}

static void
md5_block(uint32_t h[4], const uint8_t *p)
{
  uint32_t x[16];
  for (int i = 0; i < 16; i++)
    x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
           (uint32_t)p[4 * i + 3] << 24;
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  for (int i = 0; i < 64; i++) {
    uint32_t f;
    int k;
    if (i < 16) { /* F = (b & c) | (~b & d) */
      f = (b & c) | (~b & d);
      k = i;
    } else if (i < 32) { /* G = (b & d) | (c & ~d) */
      f = (b & d) | (c & ~d);
      k = (5 * i + 1) % 16;
    } else if (i < 48) { /* H = b ^ c ^ d */
      f = b ^ c ^ d;
      k = (3 * i + 5) % 16;
    } else { /* I = c ^ (b | ~d) */
      f = c ^ (b | ~d);
      k = (7 * i) % 16;
    }
    uint32_t t = d;
    d = c;
    c = b;
    b = b + rotl(a + f + sine[i] + x[k], shift[i]);
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
}

void
sr_md5_init(sr_md5 *ctx)
{
  ctx->h[0] = 0x67452301;
  ctx->h[1] = 0xefcdab89;
  ctx->h[2] = 0x98badcfe;
  ctx->h[3] = 0x10325476;
  ctx->length = 0;
  ctx->fill = 0;
}

void
sr_md5_update(sr_md5 *ctx, const void *data, size_t len)
{
  const uint8_t *p = data;
  ctx->length += len;
  while (len > 0) {
    if (ctx->fill == 0 && len >= 64) {
      md5_block(ctx->h, p);
      p += 64;
      len -= 64;
      continue;
    }
    size_t n = 64 - ctx->fill < len ? 64 - ctx->fill : len;
    memcpy(ctx->block + ctx->fill, p, n);
    ctx->fill += n;
    p += n;
    len -= n;
    if (ctx->fill == 64) {
      md5_block(ctx->h, ctx->block);
      ctx->fill = 0;
    }
  }
}

void
sr_md5_final(sr_md5 *ctx, uint8_t digest[SR_MD5_DIGEST_SIZE])
{
  /* Pad with 0x80, zeros to 56 mod 64, then the bit length, little-endian. */
  uint64_t bits = ctx->length * 8;
  static const uint8_t pad[64] = {0x80};
  size_t n = ctx->fill < 56 ? 56 - ctx->fill : 120 - ctx->fill;
  sr_md5_update(ctx, pad, n);
  uint8_t len[8];
  for (int i = 0; i < 8; i++)
    len[i] = (uint8_t)(bits >> (8 * i));
  sr_md5_update(ctx, len, 8);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      digest[4 * i + j] = (uint8_t)(ctx->h[i] >> (8 * j));
}

void
sr_md5_digest(const void *data, size_t len, uint8_t digest[SR_MD5_DIGEST_SIZE])
{
  sr_md5 ctx;
  sr_md5_init(&ctx);
  sr_md5_update(&ctx, data, len);
  sr_md5_final(&ctx, digest);
}

void
sr_md5_hex(const uint8_t digest[SR_MD5_DIGEST_SIZE], char out[SR_MD5_HEX_SIZE])
{
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < SR_MD5_DIGEST_SIZE; i++) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
  out[2 * SR_MD5_DIGEST_SIZE] = '\0';
}
