/* The daemon's probe primitives: see probe.c. */
#ifndef ROCKLET_PROBE_H
#define ROCKLET_PROBE_H

#include <node_api.h>

void register_probe_functions(napi_env env, napi_value exports);
void register_probe_engine_functions(napi_env env, napi_value exports);

/* A program started by clone(CLONE_VM | CLONE_VFORK) with stdin /dev/null and stdout+stderr on out_fd. */
struct spawn_job {
  const char *path;
  char **argv;
  /* cgroup.procs files the child writes itself into before it execs (NULL-terminated). */
  char **join;
  int out_fd;
  /* set by spawn_start: a sealed copy of `path` to exec instead (sealed-exec.c), or -1 */
  int exec_fd;
  int err;
  const char *failed_step;
  const char *failed_path;
};

/* Frees a NULL-terminated array of strings and each string (NULL: nothing). */
void free_strings(char **strings);

/* The child's PID once it exec'd; -1 with job->failed_step/err (the child failed) or *clone_errno set. */
int spawn_start(struct spawn_job *job, int *clone_errno);

#endif
