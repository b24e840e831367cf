/* fuzz-safetensors.c — the .safetensors header and layout validation
 * (sr_safetensors_parse, which sr_safetensors_read calls on the file's
 * bytes). An accepted file must describe tensors that lie inside it. */
#include <stdint.h>
#include <string.h>

#include "sr-safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sr_error err = {0};
  sr_safetensors *st = sr_safetensors_parse(data, size, "fuzz.safetensors", &err);
  if (!st)
    return 0;
  volatile float sum = 0.0f;
  for (int i = 0; i < st->n_tensors; i++) {
    const sr_st_tensor *t = &st->tensors[i];
    for (size_t k = 0; k < t->count; k++)
      sum += t->data[k];
    if (sr_safetensors_find(st, t->name) == NULL)
      __builtin_trap();
  }
  for (int i = 0; i < st->n_meta; i++)
    if (sr_safetensors_meta(st, st->meta[i].key) == NULL)
      __builtin_trap();
  (void)sum;
  sr_safetensors_free(st);
  return 0;
}
