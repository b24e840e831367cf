/* SHA-256, JSON, safetensors and model checkpoints. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr-checkpoint.h"
#include "sr-json.h"
#include "sr-safetensors.h"
#include "sr-sha256.h"

static char *
sha_hex(const void *data, size_t len)
{
  uint8_t d[32];
  char hex[65];
  sr_sha256_digest(data, len, d);
  sr_sha256_hex(d, hex);
  return g_strdup(hex);
}

/* FIPS 180-2 appendix B vectors, plus the empty string. */
static void
test_sha256_vectors(void)
{
  char *h = sha_hex("abc", 3);
  g_assert_cmpstr(h, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_free(h);
  h = sha_hex("", 0);
  g_assert_cmpstr(h, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_free(h);
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  h = sha_hex(two, strlen(two));
  g_assert_cmpstr(h, ==, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  g_free(h);

  /* One million 'a', fed in uneven pieces to exercise the block buffer. */
  char *a = g_malloc(1000000);
  memset(a, 'a', 1000000);
  sr_sha256 ctx;
  sr_sha256_init(&ctx);
  size_t at = 0, step = 1;
  while (at < 1000000) {
    size_t n = MIN(step, 1000000 - at);
    sr_sha256_update(&ctx, a + at, n);
    at += n;
    step = step * 3 % 997 + 1;
  }
  uint8_t d[32];
  char hex[65];
  sr_sha256_final(&ctx, d);
  sr_sha256_hex(d, hex);
  g_assert_cmpstr(hex, ==, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  g_free(a);

  /* Lengths around the padding boundary (55, 56, 64 bytes) must match one-shot
   * and byte-by-byte hashing. */
  for (size_t n = 50; n < 130; n++) {
    char buf[130];
    memset(buf, 'x', n);
    uint8_t d1[32], d2[32];
    sr_sha256_digest(buf, n, d1);
    sr_sha256_init(&ctx);
    for (size_t i = 0; i < n; i++)
      sr_sha256_update(&ctx, buf + i, 1);
    sr_sha256_final(&ctx, d2);
    g_assert_cmpmem(d1, 32, d2, 32);
  }
  h = sha_hex("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 55);
  g_assert_cmpstr(h, ==, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
  g_free(h);
}

static void
expect_json_error(const char *text, const char *needle)
{
  sr_error err = {0};
  sr_json *j = sr_json_parse(text, strlen(text), "t", NULL, &err);
  if (j)
    g_error("accepted invalid JSON: %s", text);
  if (!strstr(err.message, needle))
    g_error("JSON %s: message '%s' lacks '%s'", text, err.message, needle);
}

static void
test_json_parse(void)
{
  const char *text =
      " {\"a\": [1, -2.5e1, true, false, null], \"s\": \"x\\n\\u00e9\\ud83d\\ude00\\\"\","
      " \"big\": 9007199254740993, \"o\": {}} ";
  sr_error err = {0};
  sr_json *j = sr_json_parse(text, strlen(text), "t", NULL, &err);
  g_assert_nonnull(j);
  const sr_json *a = sr_json_get(j, "a");
  g_assert_nonnull(a);
  g_assert_cmpint(a->length, ==, 5);
  g_assert_true(a->items[0]->is_int);
  g_assert_cmpint(a->items[0]->integer, ==, 1);
  g_assert_false(a->items[1]->is_int);
  g_assert_cmpfloat(a->items[1]->number, ==, -25.0);
  g_assert_true(a->items[2]->boolean);
  g_assert_cmpint(a->items[4]->type, ==, SR_JSON_NULL);
  g_assert_cmpstr(sr_json_get_string(j, "s"), ==, "x\n\xc3\xa9\xf0\x9f\x98\x80\"");
  int64_t big = 0;
  g_assert_true(sr_json_get_int(j, "big", &big));
  g_assert_cmpint(big, ==, 9007199254740993LL);

  /* Write and parse again: same structure. */
  size_t len;
  char *out = sr_json_write(j, &len);
  g_assert_nonnull(out);
  sr_json *k = sr_json_parse(out, len, "t2", NULL, &err);
  g_assert_nonnull(k);
  char *out2 = sr_json_write(k, NULL);
  g_assert_cmpstr(out, ==, out2);
  g_free(out);
  g_free(out2);
  sr_json_free(k);
  sr_json_free(j);

  expect_json_error("", "byte 0");
  expect_json_error("{\"a\":1,}", "byte 7");
  expect_json_error("{\"a\":1 \"b\":2}", "expected ','");
  expect_json_error("[01]", "leading zeros");
  expect_json_error("[1.]", "digit");
  expect_json_error("{\"a\":1,\"a\":2}", "duplicate key");
  expect_json_error("\"\\ud800\"", "surrogate");
  expect_json_error("\"\\u0000\"", "not allowed");
  expect_json_error("\"a\x01\"", "control character");
  expect_json_error("\"\xc0\xaf\"", "UTF-8");
  expect_json_error("\"abc", "unterminated");
  expect_json_error("[1] x", "after the JSON value");
  expect_json_error("tru", "unexpected character");
  expect_json_error("1e999", "out of range");
  expect_json_error("\"\\x\"", "unknown escape");

  /* Depth limit. */
  GString *deep = g_string_new(NULL);
  for (int i = 0; i < 100; i++)
    g_string_append_c(deep, '[');
  for (int i = 0; i < 100; i++)
    g_string_append_c(deep, ']');
  expect_json_error(deep->str, "too deep");
  g_string_free(deep, TRUE);

  /* Size limit. */
  sr_json_limits lim = {.max_input = 4};
  g_assert_null(sr_json_parse("[1,2,3]", 7, "t", &lim, &err));
  g_assert_nonnull(strstr(err.message, "limit"));
}

static void
test_json_build(void)
{
  sr_json *o = sr_json_new_object();
  g_assert_true(sr_json_set_string(o, "k", "a\"b\\c\x01"));
  g_assert_true(sr_json_set_int(o, "n", -42));
  g_assert_true(sr_json_set_number(o, "x", 0.5));
  g_assert_true(sr_json_set_number(o, "nan", NAN));
  g_assert_true(sr_json_set_bool(o, "b", true));
  g_assert_true(sr_json_set_int(o, "n", 7)); /* replaces */
  char *s = sr_json_write(o, NULL);
  g_assert_cmpstr(s, ==,
                  "{\"k\":\"a\\\"b\\\\c\\u0001\",\"n\":7,\"x\":0.5,\"nan\":null,\"b\":true}");
  g_free(s);
  sr_json_free(o);
}

/* ---- safetensors ------------------------------------------------------------ */

static char *tmpdir;

static char *
tmp_path(const char *name)
{
  return g_build_filename(tmpdir, name, NULL);
}

static void
write_raw(const char *path, const char *header, const void *data, size_t data_len)
{
  size_t hl = strlen(header);
  GByteArray *b = g_byte_array_new();
  uint8_t len8[8];
  for (int i = 0; i < 8; i++)
    len8[i] = (uint8_t)((uint64_t)hl >> (8 * i));
  g_byte_array_append(b, len8, 8);
  g_byte_array_append(b, (const guint8 *)header, (guint)hl);
  if (data_len)
    g_byte_array_append(b, data, (guint)data_len);
  g_assert_true(g_file_set_contents(path, (const char *)b->data, b->len, NULL));
  g_byte_array_free(b, TRUE);
}

static void
expect_st_error(const char *header, size_t data_len, const char *needle)
{
  char *path = tmp_path("hostile.safetensors");
  uint8_t *data = g_malloc0(data_len + 1);
  write_raw(path, header, data, data_len);
  sr_error err = {0};
  sr_safetensors *st = sr_safetensors_read(path, &err);
  if (st)
    g_error("accepted hostile header %s", header);
  if (!strstr(err.message, needle) || !strstr(err.message, path))
    g_error("header %s: message '%s' should name the file and contain '%s'", header, err.message,
            needle);
  g_free(data);
  g_free(path);
}

static void
test_safetensors_roundtrip(void)
{
  float a[6] = {1, 2, 3, 4, 5, -0.0f}, b[3] = {1e-30f, INFINITY, 7};
  sr_st_tensor t[2] = {
      {.name = "a", .ndim = 2, .shape = {2, 3}, .count = 6, .data = a},
      {.name = "b", .ndim = 1, .shape = {3}, .count = 3, .data = b},
  };
  sr_st_meta meta[2] = {{"format", "x"}, {"quote", "\"\n\xc3\xa9"}};
  char *path = tmp_path("rt.safetensors");
  sr_error err = {0};
  g_assert_true(sr_safetensors_write(path, t, 2, meta, 2, &err));
  sr_safetensors *st = sr_safetensors_read(path, &err);
  g_assert_nonnull(st);
  g_assert_cmpint(st->n_tensors, ==, 2);
  const sr_st_tensor *ra = sr_safetensors_find(st, "a"), *rb = sr_safetensors_find(st, "b");
  g_assert_nonnull(ra);
  g_assert_nonnull(rb);
  g_assert_cmpint(ra->ndim, ==, 2);
  g_assert_cmpint(ra->shape[1], ==, 3);
  g_assert_cmpmem(ra->data, 24, a, 24);
  g_assert_cmpmem(rb->data, 12, b, 12);
  g_assert_cmpstr(sr_safetensors_meta(st, "quote"), ==, "\"\n\xc3\xa9");
  sr_safetensors_free(st);

  /* The data starts 8-byte aligned and the header length is little-endian. */
  gchar *bytes;
  gsize len;
  g_assert_true(g_file_get_contents(path, &bytes, &len, NULL));
  uint64_t hl = 0;
  for (int i = 0; i < 8; i++)
    hl |= (uint64_t)(uint8_t)bytes[i] << (8 * i);
  g_assert_cmpuint(hl % 8, ==, 0);
  g_assert_cmpuint(8 + hl + 36, ==, len);
  float first;
  memcpy(&first, bytes + 8 + hl, 4);
  g_assert_cmpfloat(first, ==, 1.0f);

  /* Every truncation is rejected with a message naming the file. */
  char *cut = tmp_path("cut.safetensors");
  for (gsize n = 0; n < len; n += (n < 16 ? 1 : 7)) {
    g_assert_true(g_file_set_contents(cut, bytes, (gssize)n, NULL));
    st = sr_safetensors_read(cut, &err);
    g_assert_null(st);
    g_assert_nonnull(strstr(err.message, cut));
  }
  g_free(cut);
  g_free(bytes);
  g_free(path);
}

static void
test_safetensors_hostile(void)
{
  /* Header length larger than the file. */
  char *path = tmp_path("big.safetensors");
  uint8_t huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
  g_assert_true(g_file_set_contents(path, (const char *)huge, 10, NULL));
  sr_error err = {0};
  g_assert_null(sr_safetensors_read(path, &err));
  g_assert_nonnull(strstr(err.message, "header length"));
  /* Header length within the limit but past the end of the file. */
  uint8_t past[10] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
  g_assert_true(g_file_set_contents(path, (const char *)past, 10, NULL));
  g_assert_null(sr_safetensors_read(path, &err));
  g_assert_nonnull(strstr(err.message, "does not fit"));
  g_free(path);

  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, "byte");
  expect_st_error("[]", 0, "not a JSON object");
  expect_st_error("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype");
  expect_st_error("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype is missing");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                  "shape needs");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8,
                  "shape[0]");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8,
                  "outside");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "outside");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                  12, "overlaps");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "gap");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
                  "cover 4 bytes");
  expect_st_error("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__.k");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
                  "unknown field");
  expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                  "\"data_offsets\":[0,4]}}",
                  4, "shape");
}

/* ---- model checkpoints ------------------------------------------------------------ */

static sr_backend *
cpu_backend(void)
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(1, &err);
  if (!be)
    g_error("CPU backend: %s", err.message);
  return be;
}

static float *
export_block(sr_unet *net, sr_unet_block block)
{
  sr_error err = {0};
  float *h = g_new(float, sr_unet_total_params(net));
  if (!sr_unet_export(net, block, h, &err))
    g_error("export: %s", err.message);
  return h;
}

/* A small S network after one training step, so the Adam moments are not zero. */
static sr_unet *
trained_net(sr_backend *be, uint64_t seed)
{
  sr_error err = {0};
  sr_unet *net = sr_unet_new(SR_UNET_S, be, &err);
  g_assert_nonnull(net);
  g_assert_true(sr_unet_init(net, seed, &err));
  sr_unet_workspace *ws = sr_unet_workspace_new(net, 1, 16, 16, true, &err);
  g_assert_nonnull(ws);
  float src[16 * 16 * 3], gt[16 * 16 * 3];
  for (int i = 0; i < 16 * 16 * 3; i++) {
    src[i] = (float)((i * 37) % 101) / 100.0f;
    gt[i] = src[i] * 0.9f + 0.05f;
  }
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_adam_desc ad = sr_adam_defaults();
  double loss;
  g_assert_true(sr_unet_train_step_host(net, ws, src, gt, &ld, &ad, &loss, &err));
  sr_unet_workspace_free(ws);
  return net;
}

static void
fill_meta(sr_checkpoint_meta *m)
{
  static int pairs[3] = {1, 5, 9}, held[2] = {3, 7};
  sr_checkpoint_meta_init(m);
  m->size = SR_UNET_S;
  m->step = 1234;
  m->config_json = (char *)"{\"patch\":32}";
  strcpy(m->data_hash, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  m->pairs = pairs;
  m->n_pairs = 3;
  m->held_out = held;
  m->n_held_out = 2;
  m->preview_frame = 11;
  m->reference_offset = -2;
  m->prep.crop = (sr_rect){4, 6, 100, 80};
  m->prep.prefilter = SR_PREFILTER_MEDIAN3;
  m->prep.source_space = SR_CS_ACES2065_1;
  m->prep.reference_space = SR_CS_REC709;
  m->rng_state[0] = 0x0123456789abcdefULL;
  m->rng_state[3] = UINT64_MAX;
  m->loss = 0.0125;
  m->psnr_before = 30.5;
  m->psnr_after = 34.25;
}

static void
test_checkpoint_roundtrip(void)
{
  sr_backend *be = cpu_backend();
  sr_unet *net = trained_net(be, 7);
  sr_checkpoint_meta meta;
  fill_meta(&meta);
  char *path = tmp_path("model.safetensors");
  sr_error err = {0};
  char id[65];
  g_assert_true(sr_checkpoint_save(path, net, &meta, true, id, &err));
  g_assert_cmpuint(strlen(id), ==, 64);

  sr_checkpoint_meta back;
  bool has_adam = false;
  sr_unet *net2 = sr_checkpoint_load(path, be, &back, &has_adam, &err);
  if (!net2)
    g_error("load: %s", err.message);
  g_assert_true(has_adam);
  g_assert_cmpstr(back.model_id, ==, id);
  g_assert_cmpint(back.size, ==, SR_UNET_S);
  g_assert_cmpint(back.step, ==, 1234);
  g_assert_cmpstr(back.config_json, ==, "{\"patch\":32}");
  g_assert_cmpstr(back.data_hash, ==, meta.data_hash);
  g_assert_cmpint(back.n_pairs, ==, 3);
  g_assert_cmpint(back.pairs[2], ==, 9);
  g_assert_cmpint(back.n_held_out, ==, 2);
  g_assert_cmpint(back.held_out[1], ==, 7);
  g_assert_cmpint(back.preview_frame, ==, 11);
  g_assert_cmpint(back.reference_offset, ==, -2);
  g_assert_true(sr_rect_equal(back.prep.crop, meta.prep.crop));
  g_assert_cmpint(back.prep.prefilter, ==, SR_PREFILTER_MEDIAN3);
  g_assert_cmpint(back.prep.source_space, ==, SR_CS_ACES2065_1);
  g_assert_cmpint(back.prep.reference_space, ==, SR_CS_REC709);
  g_assert_cmpmem(back.rng_state, sizeof back.rng_state, meta.rng_state, sizeof meta.rng_state);
  g_assert_cmpfloat_with_epsilon(back.loss, 0.0125, 1e-9);
  g_assert_cmpfloat_with_epsilon(back.psnr_after, 34.25, 1e-9);
  g_assert_cmpuint(strlen(back.created), >, 10);
  g_assert_cmpuint(strlen(back.tool_version), >, 0);

  size_t n = sr_unet_total_params(net);
  static const sr_unet_block blocks[3] = {SR_UNET_PARAMS, SR_UNET_ADAM_M, SR_UNET_ADAM_V};
  for (int b = 0; b < 3; b++) {
    float *x = export_block(net, blocks[b]), *y = export_block(net2, blocks[b]);
    g_assert_cmpmem(x, n * sizeof *x, y, n * sizeof *y);
    g_free(x);
    g_free(y);
  }
  sr_checkpoint_meta_clear(&back);

  /* Metadata alone, without a backend. */
  g_assert_true(sr_checkpoint_read_meta(path, &back, &err));
  g_assert_cmpstr(back.model_id, ==, id);
  sr_checkpoint_meta_clear(&back);

  /* A held-out frame left identical to its ground truth: the infinite PSNR
   * is stored as such and reads back infinite, not unknown. */
  meta.psnr_after = INFINITY;
  g_assert_true(sr_checkpoint_save(path, net, &meta, false, id, &err));
  g_assert_true(sr_checkpoint_read_meta(path, &back, &err));
  g_assert_true(isinf(back.psnr_after) && back.psnr_after > 0);
  g_assert_cmpfloat_with_epsilon(back.psnr_before, 30.5, 1e-9);
  sr_checkpoint_meta_clear(&back);

  sr_unet_free(net2);
  sr_unet_free(net);
  sr_backend_close(be);
  g_free(path);
}

static void
test_model_id(void)
{
  sr_backend *be = cpu_backend();
  sr_unet *net = trained_net(be, 7), *same = trained_net(be, 7), *other = trained_net(be, 8);
  sr_error err = {0};
  char a[65], b[65], c[65];
  g_assert_true(sr_model_id(net, a, &err));
  g_assert_true(sr_model_id(same, b, &err));
  g_assert_true(sr_model_id(other, c, &err));
  g_assert_cmpstr(a, ==, b);
  g_assert_cmpstr(a, !=, c);

  /* Saving with or without Adam, with other metadata, keeps the id. */
  sr_checkpoint_meta meta;
  fill_meta(&meta);
  char *p1 = tmp_path("id1.safetensors"), *p2 = tmp_path("id2.safetensors");
  char s1[65], s2[65];
  g_assert_true(sr_checkpoint_save(p1, net, &meta, true, s1, &err));
  meta.step = 1;
  g_assert_true(sr_checkpoint_save(p2, net, &meta, false, s2, &err));
  g_assert_cmpstr(s1, ==, a);
  g_assert_cmpstr(s2, ==, a);
  bool has_adam = true;
  sr_unet *loaded = sr_checkpoint_load(p2, be, NULL, &has_adam, &err);
  g_assert_nonnull(loaded);
  g_assert_false(has_adam);
  sr_unet_free(loaded);

  /* One weight changed by one ulp changes the id. */
  float *w = export_block(net, SR_UNET_PARAMS);
  const sr_unet_param *p = sr_unet_param_info(net, 4);
  w[p->offset + 3] = nextafterf(w[p->offset + 3], 1.0f);
  g_assert_true(sr_unet_import(net, SR_UNET_PARAMS, w, &err));
  g_assert_true(sr_model_id(net, b, &err));
  g_assert_cmpstr(a, !=, b);
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(a, shrt);
  g_assert_cmpuint(strlen(shrt), ==, 12);
  g_assert_true(strncmp(shrt, a, 12) == 0);

  g_free(w);
  g_free(p1);
  g_free(p2);
  sr_unet_free(net);
  sr_unet_free(same);
  sr_unet_free(other);
  sr_backend_close(be);
}

/* Rewrites a valid checkpoint with one change and expects load to refuse it. */
typedef enum {
  EDIT_SHAPE,
  EDIT_MISSING,
  EDIT_EXTRA,
  EDIT_NAN,
  EDIT_ADAM_PARTIAL,
  EDIT_META,
  EDIT_META_DROP,
} edit_kind;

static void
expect_bad_checkpoint(const char *valid, edit_kind kind, const char *key, const char *value,
                      const char *needle)
{
  sr_error err = {0};
  sr_safetensors *st = sr_safetensors_read(valid, &err);
  g_assert_nonnull(st);
  int nt = st->n_tensors, nm = st->n_meta;
  sr_st_tensor *t = g_new0(sr_st_tensor, nt + 1);
  sr_st_meta *m = g_new0(sr_st_meta, nm);
  memcpy(t, st->tensors, (size_t)nt * sizeof *t);
  int k = 0;
  for (int i = 0; i < nm; i++) {
    if (kind == EDIT_META_DROP && strcmp(st->meta[i].key, key) == 0)
      continue;
    m[k] = st->meta[i];
    if (kind == EDIT_META && strcmp(st->meta[i].key, key) == 0)
      m[k].value = (char *)value;
    k++;
  }
  nm = k;
  float *nanbuf = NULL;
  const char *target = key;
  int ti = -1;
  for (int i = 0; i < nt; i++)
    if (target && strcmp(t[i].name, target) == 0)
      ti = i;
  switch (kind) {
  case EDIT_SHAPE:
    g_assert_cmpint(ti, >=, 0);
    g_assert_cmpint(t[ti].ndim, ==, 4);
    /* Same element count, different layout. */
    {
      int64_t tmp = t[ti].shape[0];
      t[ti].shape[0] = t[ti].shape[3];
      t[ti].shape[3] = tmp;
    }
    break;
  case EDIT_MISSING:
  case EDIT_ADAM_PARTIAL:
    g_assert_cmpint(ti, >=, 0);
    memmove(&t[ti], &t[ti + 1], (size_t)(nt - ti - 1) * sizeof *t);
    nt--;
    break;
  case EDIT_EXTRA:
    t[nt] = t[0];
    t[nt].name = (char *)"extra.weight";
    nt++;
    break;
  case EDIT_NAN:
    g_assert_cmpint(ti, >=, 0);
    nanbuf = g_memdup2(t[ti].data, t[ti].count * sizeof(float));
    nanbuf[0] = NAN;
    t[ti].data = nanbuf;
    break;
  default: break;
  }
  char *bad = tmp_path("bad.safetensors");
  g_assert_true(sr_safetensors_write(bad, t, nt, m, nm, &err));
  sr_backend *be = cpu_backend();
  sr_unet *net = sr_checkpoint_load(bad, be, NULL, NULL, &err);
  if (net)
    g_error("accepted a checkpoint edited with kind %d key %s", kind, key ? key : "");
  if (!strstr(err.message, needle) || !strstr(err.message, bad))
    g_error("message '%s' should name the file and contain '%s'", err.message, needle);
  sr_backend_close(be);
  g_free(nanbuf);
  g_free(bad);
  g_free(t);
  g_free(m);
  sr_safetensors_free(st);
}

static void
test_checkpoint_hostile(void)
{
  sr_backend *be = cpu_backend();
  sr_unet *net = trained_net(be, 9);
  sr_checkpoint_meta meta;
  fill_meta(&meta);
  char *valid = tmp_path("valid.safetensors");
  sr_error err = {0};
  g_assert_true(sr_checkpoint_save(valid, net, &meta, true, NULL, &err));
  sr_unet_free(net);
  sr_backend_close(be);

  expect_bad_checkpoint(valid, EDIT_SHAPE, "enc0.conv1.weight", NULL,
                        "enc0.conv1.weight\" has shape");
  expect_bad_checkpoint(valid, EDIT_MISSING, "head.bias", NULL, "\"head.bias\" is missing");
  expect_bad_checkpoint(valid, EDIT_EXTRA, NULL, NULL, "extra.weight");
  expect_bad_checkpoint(valid, EDIT_NAN, "mid.conv1.weight", NULL, "NaN");
  expect_bad_checkpoint(valid, EDIT_ADAM_PARTIAL, "adam.v.head.bias", NULL, "Adam moments");
  expect_bad_checkpoint(valid, EDIT_META, "model_size", "M", "has shape");
  expect_bad_checkpoint(valid, EDIT_META, "model_size", "XL", "model_size");
  expect_bad_checkpoint(valid, EDIT_META, "format", "pickle", "format");
  expect_bad_checkpoint(valid, EDIT_META, "format_version", "99", "format_version");
  expect_bad_checkpoint(valid, EDIT_META, "arch", "resnet", "arch");
  expect_bad_checkpoint(valid, EDIT_META, "step", "12x", "step");
  expect_bad_checkpoint(valid, EDIT_META, "pairs", "[1,", "pairs");
  expect_bad_checkpoint(valid, EDIT_META, "crop", "[1,2,3]", "crop");
  expect_bad_checkpoint(valid, EDIT_META, "rng_state", "zz", "rng_state");
  expect_bad_checkpoint(valid, EDIT_META, "source_colourspace", "cmyk", "source_colourspace");
  expect_bad_checkpoint(valid, EDIT_META_DROP, "arch", NULL, "arch is missing");
  /* A crop of zero width or height is no crop; only [0,0,0,0] means none. */
  expect_bad_checkpoint(valid, EDIT_META, "crop", "[4,4,0,32]", "no width or no height");
  expect_bad_checkpoint(valid, EDIT_META, "crop", "[4,4,32,0]", "no width or no height");

  /* Truncated anywhere: rejected with the file named. */
  gchar *bytes;
  gsize len;
  g_assert_true(g_file_get_contents(valid, &bytes, &len, NULL));
  char *cut = tmp_path("cut-model.safetensors");
  be = cpu_backend();
  gsize cuts[] = {0, 4, 8, 100, len / 2, len - 4, len - 1};
  for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
    g_assert_true(g_file_set_contents(cut, bytes, (gssize)cuts[i], NULL));
    g_assert_null(sr_checkpoint_load(cut, be, NULL, NULL, &err));
    g_assert_nonnull(strstr(err.message, cut));
  }
  /* A missing file. */
  g_assert_null(sr_checkpoint_load("/nonexistent/model.safetensors", be, NULL, NULL, &err));
  g_assert_nonnull(strstr(err.message, "/nonexistent/model.safetensors"));
  sr_backend_close(be);
  g_free(cut);
  g_free(bytes);
  g_free(valid);
}

/* A 2 GiB checkpoint (sparse on disk) of another architecture is refused
 * from its header alone: in a process allowed 1.5 GiB of address space,
 * reading its tensors first would fail for memory instead. */
static void
test_checkpoint_arch_before_tensors(void)
{
  if (!g_test_subprocess()) {
    g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    return;
  }
  const uint64_t count = 512u * 1024u * 1024u;
  g_autofree char *header = g_strdup_printf(
      "{\"__metadata__\":{\"format\":\"%s\",\"format_version\":\"1\",\"arch\":\"resnet\","
      "\"model_size\":\"S\"},\"w\":{\"dtype\":\"F32\",\"shape\":[%" G_GUINT64_FORMAT
      "],\"data_offsets\":[0,%" G_GUINT64_FORMAT "]}}",
      SR_CHECKPOINT_FORMAT, count, 4 * count);
  g_autofree char *path = tmp_path("huge-other-arch.safetensors");
  FILE *fp = fopen(path, "wb");
  g_assert_nonnull(fp);
  uint64_t n = strlen(header);
  unsigned char len8[8];
  for (int i = 0; i < 8; i++)
    len8[i] = (unsigned char)(n >> (8 * i));
  g_assert_cmpuint(fwrite(len8, 1, 8, fp), ==, 8);
  g_assert_cmpuint(fwrite(header, 1, n, fp), ==, n);
  g_assert_cmpint(ftruncate(fileno(fp), (off_t)(8 + n + 4 * count)), ==, 0);
  fclose(fp);
#if !defined(__SANITIZE_ADDRESS__)
  /* AddressSanitizer reserves terabytes of address space up front. */
  struct rlimit lim = {1536ull << 20, 1536ull << 20};
  g_assert_cmpint(setrlimit(RLIMIT_AS, &lim), ==, 0);
#endif
  sr_error err = {0};
  sr_backend *be = cpu_backend();
  g_assert_null(sr_checkpoint_load(path, be, NULL, NULL, &err));
  g_assert_nonnull(strstr(err.message, "arch"));
  g_assert_nonnull(strstr(err.message, "resnet"));
  sr_backend_close(be);
  g_remove(path);
}

/* A FIFO named as the checkpoint is refused instead of waited on. */
static void
test_checkpoint_fifo(void)
{
  g_autofree char *path = tmp_path("fifo.safetensors");
  g_assert_cmpint(mkfifo(path, 0600), ==, 0);
  sr_error err = {0};
  sr_backend *be = cpu_backend();
  g_assert_null(sr_checkpoint_load(path, be, NULL, NULL, &err));
  g_assert_nonnull(strstr(err.message, "not a regular file"));
  g_assert_nonnull(strstr(err.message, path));
  sr_backend_close(be);
  g_remove(path);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("sr-test-checkpoint-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_test_add_func("/sha256/vectors", test_sha256_vectors);
  g_test_add_func("/json/parse", test_json_parse);
  g_test_add_func("/json/build", test_json_build);
  g_test_add_func("/safetensors/roundtrip", test_safetensors_roundtrip);
  g_test_add_func("/safetensors/hostile", test_safetensors_hostile);
  g_test_add_func("/checkpoint/roundtrip", test_checkpoint_roundtrip);
  g_test_add_func("/checkpoint/model-id", test_model_id);
  g_test_add_func("/checkpoint/hostile", test_checkpoint_hostile);
  g_test_add_func("/checkpoint/bad-input/arch-before-tensors", test_checkpoint_arch_before_tensors);
  g_test_add_func("/checkpoint/bad-input/fifo", test_checkpoint_fifo);
  int rc = g_test_run();
  GDir *d = g_dir_open(tmpdir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = g_build_filename(tmpdir, name, NULL);
    g_remove(p);
    g_free(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(tmpdir);
  g_free(tmpdir);
  return rc;
}
