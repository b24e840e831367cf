/* fuzz-json.c — sr_json_parse on arbitrary bytes, with a round trip as the
 * oracle: whatever parses must serialise to text that parses again and
 * serialises to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sr-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sr_error err = {0};
  sr_json *j = sr_json_parse((const char *)data, size, "fuzz input", NULL, &err);
  if (!j)
    return 0;
  size_t len1 = 0, len2 = 0;
  char *text1 = sr_json_write(j, &len1);
  if (!text1)
    abort();
  sr_json *k = sr_json_parse(text1, len1, "round trip", NULL, &err);
  if (!k)
    __builtin_trap(); /* the writer produced something the reader refuses */
  char *text2 = sr_json_write(k, &len2);
  if (!text2 || len1 != len2 || memcmp(text1, text2, len1) != 0)
    __builtin_trap();
  free(text1);
  free(text2);
  sr_json_free(j);
  sr_json_free(k);
  return 0;
}
