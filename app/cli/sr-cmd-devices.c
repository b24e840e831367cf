#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_devices(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli devices: unavailable in this build\n");
  return 2;
}
