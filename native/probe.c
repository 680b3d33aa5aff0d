/*
 * The daemon's probe primitives (issue 14), without a process per probe and without Node's
 * child_process (libuv's spawn fork()s the whole daemon: ~6 ms of CPU each with a 90 MB heap,
 * 60 % of a core for 1,000 pods with a 10 s exec probe):
 *
 * - netnsSocket(nsFile): a non-blocking TCP socket created inside the network namespace bound
 *   to nsFile. A socket belongs to the namespace it was created in, so the caller connects it
 *   (with Node's own net module) as if it were inside the pod. The calling thread enters the
 *   namespace, creates the socket and goes back, within this one call: a network namespace is
 *   per thread (setns(2) needs no single-threaded process for it, unlike mount and user
 *   namespaces), no JavaScript runs in between, and no other thread is affected. A clone child
 *   per socket cost the daemon ~5x the CPU (BENCHMARKS.md, probes). Should the way back ever
 *   fail, the process aborts rather than run on inside a pod's network.
 * - spawnCaptured(path, argv, cgroupProcs): starts a program (crun exec) with stdin /dev/null
 *   and stdout+stderr into a new pipe, by clone(CLONE_VM | CLONE_VFORK) as posix_spawn does,
 *   after writing itself into each cgroup.procs file given (the container's cgroups, so a
 *   probe's command is the container's, as with kubelet); returns [pid, readFd]. The caller reads the pipe to EOF and reaps the child with
 *   reapChild(pid) (libuv only waits for the PIDs it started, so nothing else takes it). The
 *   child has no exit signal (no SIGCHLD wakes the daemon for it): only a __WALL wait sees it.
 * - reapChild(pid): waitpid(WNOHANG): undefined while it runs, else [exitCode, signal].
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"
#include "sealed-exec.h"

#define PROBE_PATH_BYTES 4096
#define PROBE_MAX_ARGS 256
#define PROBE_STACK_BYTES (64 * 1024)
#define PROBE_MAX_CGROUPS 16

extern char **environ;

static napi_value probe_throw(napi_env env, int err, const char *syscall, const char *path) {
  napi_value error, msg, value;
  char message[PROBE_PATH_BYTES + 128];
  snprintf(message, sizeof message, "%s: %s%s%s", syscall, strerror(err), path != NULL ? " " : "", path != NULL ? path : "");
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name != NULL ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "code", value);
  napi_create_int32(env, -err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  if (path != NULL) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, error, "path", value);
  }
  napi_throw(env, error);
  return NULL;
}

static napi_value probe_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static int probe_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok) return -1;
  if (length + 1 >= size) return -1;
  return 0;
}

static napi_value js_netns_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[PROBE_PATH_BYTES];
  if (argc < 1 || probe_string(env, argv[0], path, sizeof path) != 0 || path[0] != '/') return probe_type_error(env, "netnsSocket(nsFile) takes an absolute path");
  int ns_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return probe_throw(env, errno, "open", path);
  int home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_fd < 0) {
    int err = errno;
    close(ns_fd);
    return probe_throw(env, err, "open", "/proc/thread-self/ns/net");
  }
  if (setns(ns_fd, CLONE_NEWNET) < 0) {
    int err = errno;
    close(home_fd);
    close(ns_fd);
    return probe_throw(env, err, "setns", path);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int socket_errno = errno;
  if (setns(home_fd, CLONE_NEWNET) < 0) {
    fprintf(stderr, "rocklet: cannot return to its own network namespace after creating a socket in %s: %s\n", path, strerror(errno));
    abort();
  }
  close(home_fd);
  close(ns_fd);
  if (fd < 0) return probe_throw(env, socket_errno, "socket", path);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static int spawn_child(void *arg) {
  struct spawn_job *job = arg;
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    signal(sig, SIG_DFL);
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(job->out_fd, 1) < 0 || dup2(job->out_fd, 2) < 0) {
    job->failed_step = "dup2";
    job->err = errno;
    _exit(127);
  }
  /* Before the exec, so crun and everything it starts belong to the container's cgroups. */
  for (char **procs = job->join; procs != NULL && *procs != NULL; procs++) {
    int fd = open(*procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      job->failed_step = "join cgroup";
      job->failed_path = *procs;
      job->err = errno;
      _exit(127);
    }
    close(fd);
  }
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* The sealed copy (sealed-exec.c); should that fail, the program's own file. */
  if (job->exec_fd >= 0) syscall(SYS_execveat, job->exec_fd, "", job->argv, environ, AT_EMPTY_PATH);
  execve(job->path, job->argv, environ);
  job->failed_step = "execve";
  job->err = errno;
  _exit(127);
}

/* Waits for nothing: the exec'd child runs on; clone returns once it exec'd (CLONE_VFORK). */
int spawn_start(struct spawn_job *job, int *clone_errno) {
  char *stack = malloc(PROBE_STACK_BYTES);
  if (stack == NULL) {
    *clone_errno = ENOMEM;
    return -1;
  }
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  /*
   * No exit signal: callers see the end through a pidfd or reapChild (waitpid with __WALL), and
   * a SIGCHLD would wake Node's signal handling for every probe run. The sealed copy's lock is
   * held until the child exec'd (CLONE_VFORK), so the copy stays open until then.
   */
  sealed_exec_lock();
  job->exec_fd = sealed_exec_fd(job->path);
  pid_t pid = clone(spawn_child, stack + PROBE_STACK_BYTES, CLONE_VM | CLONE_VFORK, job);
  *clone_errno = pid < 0 ? errno : 0;
  sealed_exec_unlock();
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  free(stack);
  if (pid > 0 && job->failed_step != NULL) {
    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {}
    return -1;
  }
  return pid;
}

/* Copies JS array `array` of strings into a new NULL-terminated array (*out); 0 or -1 (thrown). */
static int probe_strings(napi_env env, napi_value array, uint32_t count, char ***out) {
  char **strings = calloc(count + 1, sizeof *strings);
  *out = strings;
  if (strings == NULL) {
    probe_throw(env, ENOMEM, "spawnCaptured", NULL);
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    size_t length = 0;
    if (napi_get_element(env, array, i, &item) != napi_ok || napi_get_value_string_utf8(env, item, NULL, 0, &length) != napi_ok) {
      probe_type_error(env, "spawnCaptured: every argument and cgroup file must be a string");
      return -1;
    }
    strings[i] = malloc(length + 1);
    if (strings[i] == NULL || napi_get_value_string_utf8(env, item, strings[i], length + 1, &length) != napi_ok) {
      probe_throw(env, ENOMEM, "spawnCaptured", NULL);
      return -1;
    }
  }
  return 0;
}

void free_strings(char **strings) {
  if (strings == NULL) return;
  for (char **s = strings; *s != NULL; s++) free(*s);
  free(strings);
}

static napi_value js_spawn_captured(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false;
  uint32_t count = 0;
  uint32_t join_count = 0;
  if (argc < 2 || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok || count == 0 ||
      count > PROBE_MAX_ARGS) {
    return probe_type_error(env, "spawnCaptured(path, argv, cgroupProcs) takes an absolute path and 1-256 arguments");
  }
  if (argc >= 3 && (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &join_count) != napi_ok ||
      join_count > PROBE_MAX_CGROUPS)) {
    return probe_type_error(env, "spawnCaptured: cgroupProcs must be an array of at most 16 cgroup.procs paths");
  }
  char *path = malloc(PROBE_PATH_BYTES);
  char **args = NULL;
  char **join = NULL;
  napi_value result = NULL;
  int pipe_fds[2] = { -1, -1 };
  if (path == NULL) {
    probe_throw(env, ENOMEM, "spawnCaptured", NULL);
    goto done;
  }
  if (probe_string(env, argv[0], path, PROBE_PATH_BYTES) != 0 || path[0] != '/') {
    probe_type_error(env, "spawnCaptured: path must be an absolute path");
    goto done;
  }
  if (probe_strings(env, argv[1], count, &args) != 0) goto done;
  if (join_count > 0 && probe_strings(env, argv[2], join_count, &join) != 0) goto done;
  for (char **procs = join; procs != NULL && *procs != NULL; procs++) {
    if ((*procs)[0] != '/') {
      probe_type_error(env, "spawnCaptured: cgroupProcs must be absolute paths");
      goto done;
    }
  }
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
    probe_throw(env, errno, "pipe2", NULL);
    goto done;
  }
  struct spawn_job job = { .path = path, .argv = args, .join = join, .out_fd = pipe_fds[1], .err = 0, .failed_step = NULL, .failed_path = NULL };
  int clone_errno = 0;
  pid_t pid = spawn_start(&job, &clone_errno);
  close(pipe_fds[1]);
  pipe_fds[1] = -1;
  if (clone_errno != 0) probe_throw(env, clone_errno, "clone", NULL);
  else if (pid < 0) probe_throw(env, job.err, job.failed_step != NULL ? job.failed_step : "spawnCaptured", job.failed_path != NULL ? job.failed_path : path);
  else {
    int flags = fcntl(pipe_fds[0], F_GETFL);
    if (flags >= 0) fcntl(pipe_fds[0], F_SETFL, flags | O_NONBLOCK);
    napi_value pid_value, fd_value;
    napi_create_array_with_length(env, 2, &result);
    napi_create_int32(env, pid, &pid_value);
    napi_create_int32(env, pipe_fds[0], &fd_value);
    napi_set_element(env, result, 0, pid_value);
    napi_set_element(env, result, 1, fd_value);
    pipe_fds[0] = -1;
  }
done:
  if (pipe_fds[0] >= 0) close(pipe_fds[0]);
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  free_strings(args);
  free_strings(join);
  free(path);
  return result;
}

static napi_value js_reap_child(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t pid = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) return probe_type_error(env, "reapChild(pid) takes a PID");
  int status = 0;
  pid_t waited;
  do waited = waitpid(pid, &status, WNOHANG | __WALL);
  while (waited < 0 && errno == EINTR);
  if (waited < 0) return probe_throw(env, errno, "waitpid", NULL);
  napi_value result;
  if (waited == 0) {
    napi_get_undefined(env, &result);
    return result;
  }
  napi_value code, sig;
  napi_create_array_with_length(env, 2, &result);
  if (WIFEXITED(status)) {
    napi_create_int32(env, WEXITSTATUS(status), &code);
    napi_get_null(env, &sig);
  } else {
    napi_get_null(env, &code);
    napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0, &sig);
  }
  napi_set_element(env, result, 0, code);
  napi_set_element(env, result, 1, sig);
  return result;
}

void register_probe_functions(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "netnsSocket", NULL, js_netns_socket, NULL, NULL, NULL, napi_enumerable, NULL },
    { "spawnCaptured", NULL, js_spawn_captured, NULL, NULL, NULL, napi_enumerable, NULL },
    { "reapChild", NULL, js_reap_child, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
