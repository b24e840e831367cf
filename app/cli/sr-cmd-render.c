#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_render(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli render: unavailable in this build\n");
  return 2;
}
