#include "sr-cli.h"

#include <stdio.h>

int
sr_cmd_deliver(int argc, char **argv)
{
  fprintf(stderr, "spatial-recovery-cli deliver: unavailable in this build\n");
  return 2;
}
