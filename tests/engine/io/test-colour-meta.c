/* test-colour-meta.c — what frame headers say about colour: EXR
 * chromaticities, PNG sRGB/gAMA/cHRM/iCCP chunks, TIFF primaries and ICC
 * profiles, read into sr_image_info and turned into a suggested space or a
 * contradiction with a declared one. Files come from the engine's own
 * writers or are built here with libpng, libtiff and LittleCMS. */
#include <glib.h>
#include <glib/gstdio.h>
#include <lcms2.h>
#include <png.h>
#include <string.h>
#include <tiffio.h>

#include "sr-colour.h"
#include "sr-io.h"

static char *
tmp_file(const char *dir, const char *name)
{
  return g_build_filename(dir, name, NULL);
}

static sr_image *
grey_image(int channels)
{
  sr_image *img = sr_image_new(8, 4, channels, NULL);
  g_assert_nonnull(img);
  for (size_t i = 0; i < (size_t)8 * 4 * channels; i++)
    img->pixels[i] = 0.25f;
  return img;
}

static void
read_info(const char *path, sr_image_info *info)
{
  sr_error err = {0};
  g_assert_true(sr_image_read_info(path, info, &err));
}

/* Suggests `want` (or nothing when want == SR_CS_COUNT) and says so naming `field`. */
static void
assert_suggests(const sr_image_info *info, sr_colourspace want, const char *field)
{
  char why[512];
  sr_colourspace cs = SR_CS_COUNT;
  gboolean found = sr_image_info_suggest_colourspace(info, &cs, why, sizeof why);
  g_test_message("%s", why);
  g_assert_cmpint(found, ==, want != SR_CS_COUNT);
  g_assert_cmpint(cs, ==, want);
  if (field)
    g_assert_nonnull(strstr(why, field));
  if (found)
    g_assert_nonnull(strstr(why, sr_colourspace_label(want)));
}

static void
write_exr(const char *path, sr_colourspace cs)
{
  sr_image *img = grey_image(3);
  img->has_chromaticities = true;
  sr_colourspace_chromaticities(cs, img->chromaticities);
  sr_error err = {0};
  g_assert_true(sr_image_write(path, img, NULL, &err));
  sr_image_free(img);
}

static void
test_exr(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-cm-XXXXXX", NULL);
  g_autofree char *p = tmp_file(dir, "f.exr");
  sr_image_info info;
  char why[512];

  write_exr(p, SR_CS_ACES2065_1);
  read_info(p, &info);
  g_assert_true(info.has_chromaticities);
  g_assert_cmpstr(info.colour_field, ==, "EXR chromaticities");
  assert_suggests(&info, SR_CS_ACES2065_1, "AP0");
  /* Declared Rec.709 over AP0 frames: the contradiction the user must see. */
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_REC709, why, sizeof why));
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_ACESCG, why, sizeof why));
  g_assert_false(sr_image_info_contradicts(&info, SR_CS_ACES2065_1, why, sizeof why));

  write_exr(p, SR_CS_ACESCG);
  read_info(p, &info);
  assert_suggests(&info, SR_CS_ACESCG, "AP1");

  /* Rec.709 chromaticities: EXR is linear, but only primaries are stated,
   * so any Rec.709-primaries space agrees. */
  write_exr(p, SR_CS_LINEAR_REC709);
  read_info(p, &info);
  assert_suggests(&info, SR_CS_LINEAR_REC709, "Rec.709");
  g_assert_false(sr_image_info_contradicts(&info, SR_CS_SRGB, why, sizeof why));
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_ACES2065_1, why, sizeof why));

  /* No chromaticities: nothing to say, nothing contradicts. */
  sr_image *img = grey_image(3);
  sr_error err = {0};
  g_assert_true(sr_image_write(p, img, NULL, &err));
  sr_image_free(img);
  read_info(p, &info);
  g_assert_false(info.has_chromaticities);
  assert_suggests(&info, SR_CS_COUNT, NULL);
  g_assert_false(sr_image_info_contradicts(&info, SR_CS_REC709, why, sizeof why));
  g_unlink(p);
  g_rmdir(dir);
}

/* A 4×2 RGB PNG with the chunks asked for. */
static void
write_png(const char *path, gboolean srgb, double gamma, const double *chrm, const void *icc,
          png_uint_32 icc_len)
{
  FILE *f = fopen(path, "wb");
  g_assert_nonnull(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  g_assert_true(png && info);
  png_init_io(png, f);
  png_set_IHDR(png, info, 4, 2, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (srgb)
    png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
  if (gamma > 0)
    png_set_gAMA(png, info, gamma);
  if (chrm)
    png_set_cHRM(png, info, chrm[6], chrm[7], chrm[0], chrm[1], chrm[2], chrm[3], chrm[4], chrm[5]);
  if (icc)
    png_set_iCCP(png, info, "profile", PNG_COMPRESSION_TYPE_BASE, icc, icc_len);
  png_write_info(png, info);
  png_byte row[12] = {0};
  for (int y = 0; y < 2; y++)
    png_write_row(png, row);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  fclose(f);
}

/* A matrix-shaper RGB profile with these primaries (xy, white last). */
static void *
make_icc(const float xy[8], const char *description, cmsUInt32Number *len)
{
  cmsCIExyY white = {xy[6], xy[7], 1.0};
  cmsCIExyYTRIPLE prim = {{xy[0], xy[1], 1.0}, {xy[2], xy[3], 1.0}, {xy[4], xy[5], 1.0}};
  cmsToneCurve *lin = cmsBuildGamma(NULL, 1.0);
  cmsToneCurve *curves[3] = {lin, lin, lin};
  cmsHPROFILE p = cmsCreateRGBProfile(&white, &prim, curves);
  g_assert_nonnull(p);
  cmsMLU *mlu = cmsMLUalloc(NULL, 1);
  cmsMLUsetASCII(mlu, "en", "US", description);
  cmsWriteTag(p, cmsSigProfileDescriptionTag, mlu);
  cmsMLUfree(mlu);
  *len = 0;
  g_assert_true(cmsSaveProfileToMem(p, NULL, len));
  void *buf = g_malloc(*len);
  g_assert_true(cmsSaveProfileToMem(p, buf, len));
  cmsCloseProfile(p);
  cmsFreeToneCurve(lin);
  return buf;
}

static void
test_png(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-cm-XXXXXX", NULL);
  g_autofree char *p = tmp_file(dir, "f.png");
  sr_image_info info;
  char why[512];
  float rec709[8];
  double chrm[8];
  sr_colourspace_chromaticities(SR_CS_SRGB, rec709);

  /* The engine's own writer embeds an sRGB profile. */
  sr_image *img = grey_image(3);
  sr_error err = {0};
  g_assert_true(sr_image_write(p, img, NULL, &err));
  sr_image_free(img);
  read_info(p, &info);
  g_assert_cmpstr(info.colour_field, ==, "PNG iCCP profile");
  assert_suggests(&info, SR_CS_SRGB, "iCCP");
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_LINEAR_REC709, why, sizeof why));
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_CINEON, why, sizeof why));
  g_assert_false(sr_image_info_contradicts(&info, SR_CS_REC709, why, sizeof why));

  /* The sRGB chunk alone. */
  write_png(p, TRUE, 0, NULL, NULL, 0);
  read_info(p, &info);
  g_assert_true(info.srgb_chunk);
  assert_suggests(&info, SR_CS_SRGB, "sRGB chunk");

  /* cHRM with Rec.709 primaries: the gAMA decides the curve. */
  for (int i = 0; i < 8; i++)
    chrm[i] = rec709[i];
  write_png(p, FALSE, 1.0, chrm, NULL, 0);
  read_info(p, &info);
  assert_suggests(&info, SR_CS_LINEAR_REC709, "cHRM");
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_SRGB, why, sizeof why));
  write_png(p, FALSE, 1.0 / 2.4, chrm, NULL, 0);
  read_info(p, &info);
  assert_suggests(&info, SR_CS_REC709, "gAMA 0.41667");

  /* cHRM with P3 primaries (libpng refuses the ACES primaries in cHRM):
   * named, no space fits, and any declaration contradicts it. */
  const double p3[8] = {0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290};
  write_png(p, FALSE, 0, p3, NULL, 0);
  read_info(p, &info);
  assert_suggests(&info, SR_CS_COUNT, "P3");
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_SRGB, why, sizeof why));

  /* An embedded Rec.2020 profile: named, and no space fits. */
  const float bt2020[8] = {0.708f, 0.292f, 0.170f, 0.797f, 0.131f, 0.046f, 0.3127f, 0.3290f};
  cmsUInt32Number len;
  g_autofree void *icc = make_icc(bt2020, "Rec2020 linear", &len);
  write_png(p, FALSE, 0, NULL, icc, len);
  read_info(p, &info);
  g_assert_cmpstr(info.icc_description, ==, "Rec2020 linear");
  g_assert_cmpfloat_with_epsilon(info.chromaticities[0], 0.708, 0.001);
  g_assert_cmpfloat_with_epsilon(info.chromaticities[6], 0.3127, 0.001);
  assert_suggests(&info, SR_CS_COUNT, "Rec.2020");
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_SRGB, why, sizeof why));

  /* A broken or truncated profile is refused and leaves the facts alone. */
  unsigned char junk[200];
  memset(junk, 0x5a, sizeof junk);
  sr_image_info before = info;
  g_assert_false(sr_image_info_read_icc(&info, junk, sizeof junk, "test"));
  g_assert_false(sr_image_info_read_icc(&info, icc, 100, "test"));
  g_assert_false(sr_image_info_read_icc(&info, icc, len / 2, "test"));
  g_assert_cmpmem(&before, sizeof before, &info, sizeof info);
  g_unlink(p);
  g_rmdir(dir);
}

static void
write_tiff(const char *path, const float *prim_white, const void *icc, uint32_t icc_len)
{
  TIFF *t = TIFFOpen(path, "w");
  g_assert_nonnull(t);
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 4);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, 2);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 2);
  if (prim_white) {
    TIFFSetField(t, TIFFTAG_PRIMARYCHROMATICITIES, prim_white);
    TIFFSetField(t, TIFFTAG_WHITEPOINT, prim_white + 6);
  }
  if (icc)
    TIFFSetField(t, TIFFTAG_ICCPROFILE, icc_len, icc);
  unsigned char row[12] = {0};
  for (uint32_t y = 0; y < 2; y++)
    g_assert_cmpint(TIFFWriteScanline(t, row, y, 0), ==, 1);
  TIFFClose(t);
}

static void
test_tiff(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-cm-XXXXXX", NULL);
  g_autofree char *p = tmp_file(dir, "f.tif");
  sr_image_info info;
  char why[512];
  float ap1[8], rec709[8];
  sr_colourspace_chromaticities(SR_CS_ACESCG, ap1);
  sr_colourspace_chromaticities(SR_CS_SRGB, rec709);

  /* The engine's writer states nothing: the user chooses. */
  sr_image *img = grey_image(3);
  sr_error err = {0};
  g_assert_true(sr_image_write(p, img, NULL, &err));
  sr_image_free(img);
  read_info(p, &info);
  assert_suggests(&info, SR_CS_COUNT, NULL);

  /* PrimaryChromaticities + WhitePoint. */
  write_tiff(p, ap1, NULL, 0);
  read_info(p, &info);
  g_assert_true(info.has_chromaticities);
  assert_suggests(&info, SR_CS_ACESCG, "TIFF PrimaryChromaticities");

  /* An sRGB-described ICC profile with Rec.709 colorants. */
  cmsUInt32Number len;
  g_autofree void *icc = make_icc(rec709, "sRGB IEC61966-2.1", &len);
  write_tiff(p, NULL, icc, len);
  read_info(p, &info);
  g_assert_cmpstr(info.colour_field, ==, "TIFF ICC profile");
  assert_suggests(&info, SR_CS_SRGB, "TIFF ICC profile");
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_ACES2065_1, why, sizeof why));
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_LINEAR_REC709, why, sizeof why));
  g_assert_false(sr_image_info_contradicts(&info, SR_CS_SRGB, why, sizeof why));

  /* An AP0 profile (description says nothing known): primaries decide. */
  float ap0[8];
  sr_colourspace_chromaticities(SR_CS_ACES2065_1, ap0);
  g_autofree void *icc0 = make_icc(ap0, "scanner profile", &len);
  write_tiff(p, NULL, icc0, len);
  read_info(p, &info);
  assert_suggests(&info, SR_CS_ACES2065_1, "AP0");
  g_unlink(p);
  g_rmdir(dir);
}

/* DPX transfer codes keep their own account. */
static void
test_dpx_contradiction(void)
{
  sr_image_info info = {0};
  char why[512];
  info.format = SR_FORMAT_DPX;
  info.transfer = SR_DPX_PRINTING_DENSITY;
  info.colorimetric = SR_DPX_PRINTING_DENSITY;
  info.bit_depth = 10;
  g_assert_false(sr_image_info_contradicts(&info, SR_CS_CINEON, why, sizeof why));
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_REC709, why, sizeof why));
  g_assert_true(sr_image_info_contradicts(&info, SR_CS_ADX10, why, sizeof why));
  info.transfer = SR_DPX_USER_DEFINED;
  g_assert_false(sr_image_info_contradicts(&info, SR_CS_REC709, why, sizeof why));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/colour-meta/exr", test_exr);
  g_test_add_func("/colour-meta/png", test_png);
  g_test_add_func("/colour-meta/tiff", test_tiff);
  g_test_add_func("/colour-meta/dpx", test_dpx_contradiction);
  return g_test_run();
}
