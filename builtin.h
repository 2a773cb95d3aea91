/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BUILTIN_H
#define COWBENCH_BUILTIN_H

int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif
