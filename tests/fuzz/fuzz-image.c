/* fuzz-image.c — the frame readers (sr_image_read_info, sr_image_read) on
 * arbitrary bytes. Built once per format with SR_FUZZ_FORMAT naming it:
 * inputs whose magic bytes pick another reader are skipped, so each target
 * spends its time in one reader. The header's colour facts and reel facts
 * (timecode, rate, reel name) and one string attribute are read too, as the
 * Project stage and delivery read them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sr-fuzz.h"
#include "sr-io.h"
#include "sr-reel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = sr_fuzz_file(data, size);
  if (sr_format_sniff(path, NULL) != SR_FUZZ_FORMAT)
    return -1; /* keep it out of the corpus */
  sr_error err = {0};
  sr_image_info info;
  bool have_info = sr_image_read_info(path, &info, &err);
  if (have_info) {
    /* What the header says about colour, as the Project stage reads it. */
    char why[512];
    sr_colourspace cs;
    sr_image_info_suggest_colourspace(&info, &cs, why, sizeof why);
    sr_image_info_contradicts(&info, SR_CS_REC709, why, sizeof why);
  }
  /* Timecode, rate and reel, as delivery reads them from a Source frame. */
  sr_reel_info reel;
  if (sr_image_read_reel(path, &reel, &err) &&
      strnlen(reel.reel, sizeof reel.reel) == sizeof reel.reel)
    __builtin_trap(); /* the reel name must come back terminated */
  /* One attribute from the header alone, as delivery reads a render's grain. */
  char *attr = NULL;
  if (sr_image_read_attribute(path, "spatialRecovery:grain", &attr, &err) && attr)
    (void)strlen(attr);
  free(attr);
  sr_image *img = sr_image_read(path, &err);
  if (img) {
    /* A reader that accepts a file must agree with its own header. */
    if (!have_info || info.width != img->width || info.height != img->height)
      __builtin_trap();
    /* Touch every sample so a short buffer shows up under ASan. */
    volatile float sum = 0.0f;
    size_t n = (size_t)img->width * (size_t)img->height * (size_t)img->channels;
    for (size_t i = 0; i < n; i++)
      sum += img->pixels[i];
    (void)sum;
    volatile size_t chars = 0;
    for (int i = 0; i < img->n_attributes; i++)
      chars += strlen(img->attributes[i].key) + strlen(img->attributes[i].value);
    (void)chars;
    sr_image_free(img);
  }
  return 0;
}
