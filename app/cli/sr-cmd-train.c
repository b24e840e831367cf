#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_train(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli train: unavailable in this build\n");
  return 2;
}
