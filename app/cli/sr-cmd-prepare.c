#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_prepare(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli prepare: unavailable in this build\n");
  return 2;
}
