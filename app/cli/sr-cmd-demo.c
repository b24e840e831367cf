#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_demo(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli demo: unavailable in this build\n");
  return 2;
}
