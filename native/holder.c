/*
 * Starts a pod's lock holder (`sleep infinity` with the pod lock as fd 3) without Node's
 * child_process: libuv's spawn fork()s the whole daemon (page tables of ~100 MB) on the main
 * thread, 10–30 ms per pod on the project's VMs, the largest single cost of a pod start.
 *
 * Double clone, both with CLONE_VM | CLONE_VFORK (nothing is copied): the intermediate child
 * starts a new session, clones the holder and _exit()s, so the holder is orphaned at once and
 * reparented to the nearest subreaper or init (systemd), which reaps it; the caller reaps only
 * the intermediate child. The holder resets every signal's disposition and its signal mask
 * before execve (the caller blocked all signals around the clone), as libuv does.
 */
#define _GNU_SOURCE
#include "holder.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int holder_child(void *arg) {
  struct holder_job *job = arg;
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    signal(sig, SIG_DFL);
  }
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    job->failed_step = "open";
    job->err = errno;
    _exit(127);
  }
  if (job->lock_fd == HOLDER_LOCK_FD) {
    int flags = fcntl(HOLDER_LOCK_FD, F_GETFD);
    if (flags < 0 || fcntl(HOLDER_LOCK_FD, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
      job->failed_step = "fcntl";
      job->err = errno;
      _exit(127);
    }
  } else if (dup2(job->lock_fd, HOLDER_LOCK_FD) < 0) {
    job->failed_step = "dup2";
    job->err = errno;
    _exit(127);
  }
  if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) {
    job->failed_step = "dup2";
    job->err = errno;
    _exit(127);
  }
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(job->path, job->argv, environ);
  job->failed_step = "execve";
  job->err = errno;
  _exit(127);
}

int holder_spawner_child(void *arg) {
  struct holder_job *job = arg;
  if (setsid() < 0) {
    job->failed_step = "setsid";
    job->err = errno;
    _exit(1);
  }
  pid_t pid = clone(holder_child, job->holder_stack + HOLDER_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, job);
  if (pid < 0) {
    job->failed_step = "clone";
    job->err = errno;
    _exit(1);
  }
  /* Resumed once the holder exec'd or died; a failed exec set failed_step. */
  job->pid = job->failed_step == NULL ? pid : 0;
  _exit(job->failed_step == NULL ? 0 : 1);
}
