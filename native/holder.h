/* A pod's lock holder started by a double clone: see holder.c. */
#ifndef ROCKLET_HOLDER_H
#define ROCKLET_HOLDER_H

#include <sys/types.h>

#define HOLDER_LOCK_FD 3
#define HOLDER_STACK_BYTES (64 * 1024)
#define HOLDER_MAX_ARGS 16

struct holder_job {
  /* Absolute path of the program; argv NULL-terminated, pointing into strings the caller owns. */
  const char *path;
  char *argv[HOLDER_MAX_ARGS + 1];
  int lock_fd;
  char *holder_stack;
  /* Set by the children: the holder's PID, or the failing step and errno. */
  pid_t pid;
  const char *failed_step;
  int err;
};

int holder_spawner_child(void *arg);

#endif
