/* fuzz-checkpoint.c — the checkpoint loader (sr_checkpoint_load): file
 * validation, metadata, the architecture's tensor set and the import into
 * a network on the CPU backend, as render and train load a model. */
#include <stdint.h>
#include <stdlib.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static sr_backend *be;
  sr_error err = {0};
  if (!be && !(be = sr_backend_cpu_create(1, &err)))
    abort();
  const char *path = sr_fuzz_file(data, size);
  sr_checkpoint_meta meta;
  bool adam = false;
  sr_unet *net = sr_checkpoint_load(path, be, &meta, &adam, &err);
  if (!net)
    return 0;
  sr_checkpoint_meta_clear(&meta);
  sr_unet_free(net);
  return 0;
}
