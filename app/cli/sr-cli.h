/* sr-cli.h — the commands of spatial-recovery-cli.
 *
 * Each command lives in its own sr-cmd-NAME.c and has the signature below:
 * argv[0] is the command name; it returns the process exit status (0 on
 * success, 1 on a failed check or job, 2 on a usage error). Errors go to
 * stderr as one line per problem naming the file, frame or field.
 */
#pragma once

#include <glib.h>

int sr_cmd_demo(int argc, char **argv);
int sr_cmd_check(int argc, char **argv);
int sr_cmd_sync(int argc, char **argv);
int sr_cmd_prepare(int argc, char **argv);
int sr_cmd_train(int argc, char **argv);
int sr_cmd_render(int argc, char **argv);
int sr_cmd_devices(int argc, char **argv);
int sr_cmd_validate(int argc, char **argv);
int sr_cmd_deliver(int argc, char **argv);
int sr_cmd_farm(int argc, char **argv);
int sr_cmd_verify(int argc, char **argv);
