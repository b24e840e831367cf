#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_check(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli check: unavailable in this build\n");
  return 2;
}
