#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_validate(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli validate: unavailable in this build\n");
  return 2;
}
