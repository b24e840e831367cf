/* MD5 against the test suite of RFC 1321 (appendix A.5), fed whole and in
 * uneven pieces across block boundaries. */
#include <glib.h>
#include <string.h>

#include "sr-md5.h"

static const struct {
  const char *text, *md5;
} vectors[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890"
     "1234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

static void
test_rfc1321_vectors(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
    guint8 d[SR_MD5_DIGEST_SIZE];
    char hex[SR_MD5_HEX_SIZE];
    sr_md5_digest(vectors[i].text, strlen(vectors[i].text), d);
    sr_md5_hex(d, hex);
    g_assert_cmpstr(hex, ==, vectors[i].md5);
    /* The same bytes in pieces of 1, 7 and 63 bytes. */
    for (gsize piece = 1; piece < 64; piece += 31) {
      sr_md5 ctx;
      sr_md5_init(&ctx);
      gsize n = strlen(vectors[i].text);
      for (gsize at = 0; at < n; at += piece)
        sr_md5_update(&ctx, vectors[i].text + at, MIN(piece, n - at));
      sr_md5_final(&ctx, d);
      sr_md5_hex(d, hex);
      g_assert_cmpstr(hex, ==, vectors[i].md5);
    }
  }
}

/* A million 'a' (the long-message check most MD5 suites add): crosses many
 * blocks and the 56-byte padding edge. */
static void
test_long_message(void)
{
  sr_md5 ctx;
  sr_md5_init(&ctx);
  char block[1000];
  memset(block, 'a', sizeof block);
  for (int i = 0; i < 1000; i++)
    sr_md5_update(&ctx, block, sizeof block);
  guint8 d[SR_MD5_DIGEST_SIZE];
  char hex[SR_MD5_HEX_SIZE];
  sr_md5_final(&ctx, d);
  sr_md5_hex(d, hex);
  g_assert_cmpstr(hex, ==, "7707d6ae4e027c70eea2a935c2296f21");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/md5/rfc1321-vectors", test_rfc1321_vectors);
  g_test_add_func("/md5/million-a", test_long_message);
  return g_test_run();
}
