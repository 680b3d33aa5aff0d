/*
 * The daemon's probe engine (issue 14): periodic exec, httpGet (plain HTTP) and tcpSocket probes
 * run by one native thread, so a probe run costs the daemon a few system calls instead of
 * JavaScript timers, promises, Node's HTTP client and a spawn wrapped in streams (~1.5 ms of
 * the main thread per run: 1,000 pods with two probes each took a third of a core).
 *
 * The thread owns every registered probe's schedule (first run after a delay, then every
 * period at a fixed rate; a run that overruns its period starts the next one at once, never
 * overlapping), its timeout, and the I/O of each run on one epoll set:
 *
 * - tcp: a non-blocking socket made inside the pod's network namespace (the thread enters it
 *   for the socket(2) call only: a network namespace is per thread), connected; connected is
 *   success.
 * - http: the same, then the request the caller rendered is written and the status line read;
 *   200-399 is success. Nothing else of the answer is read.
 * - exec: crun exec started by clone(CLONE_VM | CLONE_VFORK) in the container's cgroups
 *   (probe.c's spawn_start), its output read from a pipe (first 10 KiB; the thread holds the
 *   pipe's write end too, so a silent run wakes it once), its end seen through a
 *   pidfd; exit 0 is success. A timeout SIGKILLs it.
 *
 * Results go back to JavaScript only when they matter to kubelet's thresholds: every failure,
 * and successes until `reportSuccesses` in a row were reported (the readiness probe's
 * successThreshold). A container whose probes keep passing costs the main thread nothing.
 * Lateness (how late each run started against its schedule) is counted here for every run.
 *
 * JavaScript calls probeEngineAdd/Remove under a mutex the thread also holds while it works;
 * results are queued and handed over through one thread-safe function call per batch.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

enum probe_kind { KIND_TCP = 0, KIND_HTTP = 1, KIND_EXEC = 2 };
/* What a run found; mapped to kubelet's messages in src/pod/probe/native-probes.ts. */
enum outcome { OUT_OK = 0, OUT_TIMEOUT = 1, OUT_ERRNO = 2, OUT_STATUS = 3, OUT_EXIT = 4, OUT_SIGNAL = 5, OUT_SPAWN = 6, OUT_HANGUP = 7, OUT_BAD_ANSWER = 8 };
enum phase { PHASE_IDLE, PHASE_CONNECT, PHASE_SEND, PHASE_READ, PHASE_EXEC };

#define OUTPUT_LIMIT (10 * 1024)
#define STATUS_LINE_LIMIT 1024
#define FD_MAIN 0u
#define FD_PIDFD 1u
#define WAKE_TAG UINT64_MAX
/*
 * Runs start on a 25 ms grid: the thread wakes at most 40 times a second to start runs, each
 * time for all that are due (a wakeup from idle costs about as much as a run's own work on a
 * VM), and a run starts at most 25 ms late.
 */
#define START_GRID_MS 25
/* An exec probe's process outliving its SIGKILL this long is given up on (reaped later by no one). */
#define KILL_WAIT_MS 30000

struct probe {
  uint32_t gen;
  uint32_t slot;
  /* Its one timer: the next run's start (idle) or the run's deadline; its place in `timers`. */
  int64_t timer_at;
  int32_t timer_index;
  enum probe_kind kind;
  bool removed;
  /* tcp/http */
  char *netns; /* NULL: this process's network */
  struct sockaddr_in addr;
  char *request;
  size_t request_len;
  /* exec */
  char *path;
  char **argv;
  char **join;
  /* schedule */
  int64_t period_ms;
  int64_t timeout_ms;
  int64_t due;
  uint32_t report_successes;
  uint32_t ok_streak;
  /* the run in flight */
  enum phase phase;
  int64_t deadline;
  bool reported; /* the run's result went out already (an exec probe that timed out, waiting to be reaped) */
  int fd;
  bool watched; /* fd is in the epoll set (false whenever fd is -1: close_run_fds) */
  int write_fd; /* an exec probe's pipe, the thread's copy of its write end */
  int pidfd;
  pid_t pid;
  size_t sent;
  char *buf;
  size_t buf_len;
};

struct event {
  double handle;
  enum outcome outcome;
  int32_t detail;
  char *text;
};

/* The probe table (slots and every probe's state). Never held across a spawn: see start_exec. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The results queue alone, so handing results to the main thread never waits for the table. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static bool started;
/* pidfd_open(2) works here (Linux 5.3+): exec probes need it to see their process end. */
static bool can_exec;
static int epoll_fd = -1;
static int wake_fd = -1;
static int home_netns = -1;
static napi_threadsafe_function tsfn;
static struct probe **slots;
static uint32_t slot_count;
static uint32_t probe_count;
/*
 * Every probe's timer in one binary min-heap on timer_at, so a wakeup touches only the probes
 * whose time has come: a scan of the whole table after every wakeup (I/O included) cost the
 * thread a cache miss per probe, ~12 % of its time at 400 probes and growing with their square.
 * Its room is reserved when a probe is added, so arming a timer never allocates.
 */
static struct probe **timers;
static uint32_t timer_count, timer_cap;
static uint32_t next_gen = 1;
static struct event *queue;
static size_t queue_len, queue_cap;
static bool queue_signalled;
static struct {
  double runs, max_late, past_period, over_second;
} stats;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double handle_of(uint32_t slot, uint32_t gen) {
  return (double)gen * 1048576.0 + slot;
}

static uint64_t tag_of(uint32_t slot, uint32_t gen, uint32_t which) {
  return ((uint64_t)gen << 32) | ((uint64_t)slot << 1) | which;
}

static void timer_swap(uint32_t a, uint32_t b) {
  struct probe *t = timers[a];
  timers[a] = timers[b];
  timers[b] = t;
  timers[a]->timer_index = (int32_t)a;
  timers[b]->timer_index = (int32_t)b;
}

static void timer_sift_up(uint32_t i) {
  while (i > 0 && timers[(i - 1) / 2]->timer_at > timers[i]->timer_at) {
    timer_swap(i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

static void timer_sift_down(uint32_t i) {
  for (;;) {
    uint32_t least = i, l = 2 * i + 1, r = l + 1;
    if (l < timer_count && timers[l]->timer_at < timers[least]->timer_at) least = l;
    if (r < timer_count && timers[r]->timer_at < timers[least]->timer_at) least = r;
    if (least == i) return;
    timer_swap(i, least);
    i = least;
  }
}

static void timer_clear(struct probe *p) {
  if (p->timer_index < 0) return;
  uint32_t i = (uint32_t)p->timer_index;
  p->timer_index = -1;
  if (i == --timer_count) return;
  timers[i] = timers[timer_count];
  timers[i]->timer_index = (int32_t)i;
  timer_sift_up(i);
  timer_sift_down((uint32_t)timers[i]->timer_index);
}

/* (Re)arms `p`'s timer for `at`; room for it was reserved by js_add. */
static void timer_set(struct probe *p, int64_t at) {
  timer_clear(p);
  p->timer_at = at;
  p->timer_index = (int32_t)timer_count;
  timers[timer_count++] = p;
  timer_sift_up((uint32_t)p->timer_index);
}

/* Grows `*table` (`*cap` probe pointers; new ones NULL) to hold `need`; false when out of memory. */
static bool reserve_probes(struct probe ***table, uint32_t *cap, uint32_t need) {
  if (need <= *cap) return true;
  uint32_t count = *cap == 0 ? 256 : *cap * 2;
  struct probe **grown = realloc(*table, count * sizeof *grown);
  if (grown == NULL) return false;
  memset(grown + *cap, 0, (count - *cap) * sizeof *grown);
  *table = grown;
  *cap = count;
  return true;
}

/* An idle probe's next start: its due time, rounded up to the start grid. */
static void arm_next_start(struct probe *p) {
  timer_set(p, (p->due + START_GRID_MS - 1) / START_GRID_MS * START_GRID_MS);
}

static void free_probe(struct probe *p) {
  free(p->netns);
  free(p->request);
  free(p->path);
  free_strings(p->argv);
  free_strings(p->join);
  free(p->buf);
  free(p);
}

/* Queues a result for JavaScript (under the lock); `text` is copied. */
static void emit(uint32_t slot, struct probe *p, enum outcome outcome, int32_t detail, const char *text, size_t text_len) {
  if (outcome == OUT_OK) {
    p->ok_streak++;
    if (p->ok_streak > p->report_successes) return;
  } else {
    p->ok_streak = 0;
  }
  char *copy = NULL;
  if (text != NULL) {
    copy = malloc(text_len + 1);
    if (copy != NULL) {
      memcpy(copy, text, text_len);
      copy[text_len] = '\0';
    }
  }
  pthread_mutex_lock(&queue_lock);
  if (queue_len == queue_cap) {
    size_t cap = queue_cap == 0 ? 64 : queue_cap * 2;
    struct event *grown = realloc(queue, cap * sizeof *grown);
    if (grown == NULL) {
      /* out of memory: the result is lost, the next run reports again */
      pthread_mutex_unlock(&queue_lock);
      free(copy);
      return;
    }
    queue = grown;
    queue_cap = cap;
  }
  queue[queue_len++] = (struct event){ .handle = handle_of(slot, p->gen), .outcome = outcome, .detail = detail, .text = copy };
  bool signal_js = !queue_signalled;
  queue_signalled = true;
  pthread_mutex_unlock(&queue_lock);
  if (signal_js) napi_call_threadsafe_function(tsfn, NULL, napi_tsfn_nonblocking);
}

/*
 * Each descriptor leaves the epoll set explicitly: close(2) alone removes it only once no other
 * descriptor refers to the same open file, and a child being cloned at that moment holds copies
 * until its exec (the set would keep reporting a pidfd that is gone from here).
 */
static void close_run_fds(struct probe *p) {
  if (p->fd >= 0) {
    if (p->watched) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
  }
  if (p->pidfd >= 0) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, p->pidfd, NULL);
    close(p->pidfd);
  }
  if (p->write_fd >= 0) close(p->write_fd);
  p->write_fd = -1;
  p->fd = -1;
  p->watched = false;
  p->pidfd = -1;
}

/* Ends the run in flight: schedules the next one at a fixed rate (or at once after an overrun). */
static void end_run(struct probe *p, int64_t now) {
  close_run_fds(p);
  p->phase = PHASE_IDLE;
  p->pid = 0;
  p->reported = false;
  if (p->kind == KIND_EXEC) {
    /* 10 KiB a probe would stay allocated between runs for output that is rarely there. */
    free(p->buf);
    p->buf = NULL;
  }
  p->buf_len = 0;
  p->sent = 0;
  p->due = p->due + p->period_ms >= now ? p->due + p->period_ms : now;
  /* A removed probe's slot goes at the next turn of the loop. */
  if (p->removed) timer_set(p, 0);
  else arm_next_start(p);
}

static void finish(uint32_t slot, struct probe *p, int64_t now, enum outcome outcome, int32_t detail, const char *text, size_t text_len) {
  if (!p->reported && !p->removed) emit(slot, p, outcome, detail, text, text_len);
  end_run(p, now);
}

static void finish_errno(uint32_t slot, struct probe *p, int64_t now, int err) {
  const char *name = strerrorname_np(err);
  if (name == NULL) name = "EUNKNOWN";
  finish(slot, p, now, OUT_ERRNO, err, name, strlen(name));
}

static int watch(uint32_t slot, struct probe *p, int fd, uint32_t which, uint32_t events, int op) {
  struct epoll_event ev = { .events = events, .data.u64 = tag_of(slot, p->gen, which) };
  return epoll_ctl(epoll_fd, op, fd, &ev);
}

/* A socket in the pod's network namespace (or this process's); -1 with errno. */
static int pod_socket(struct probe *p) {
  if (p->netns == NULL) return socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int ns = open(p->netns, O_RDONLY | O_CLOEXEC);
  if (ns < 0) return -1;
  if (setns(ns, CLONE_NEWNET) < 0) {
    int err = errno;
    close(ns);
    errno = err;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = errno;
  if (setns(home_netns, CLONE_NEWNET) < 0) {
    fprintf(stderr, "rocklet: the probe thread cannot return to its own network namespace from %s: %s\n", p->netns, strerror(errno));
    abort();
  }
  close(ns);
  errno = err;
  return fd;
}

static void on_connected(uint32_t slot, struct probe *p, int64_t now);
static void on_connect_done(uint32_t slot, struct probe *p, int64_t now);

static void start_network(uint32_t slot, struct probe *p, int64_t now) {
  p->fd = pod_socket(p);
  if (p->fd < 0) return finish_errno(slot, p, now, errno);
  /* Closed with a reset, as kubelet's probe dialer does: no FIN exchange, no TIME_WAIT socket per run. */
  struct linger reset = { .l_onoff = 1, .l_linger = 0 };
  setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  if (connect(p->fd, (struct sockaddr *)&p->addr, sizeof p->addr) == 0) return on_connected(slot, p, now);
  if (errno != EINPROGRESS) return finish_errno(slot, p, now, errno);
  /*
   * Into a pod on this host the handshake has usually completed by the time connect(2) returns
   * (the answers travel in softirq context of this very call), though a non-blocking connect
   * still says EINPROGRESS: looking now spares a wakeup and two epoll_ctl calls per run. An
   * http probe simply sends (a socket still connecting says EAGAIN, a refused one its error).
   */
  if (p->kind == KIND_HTTP) return on_connected(slot, p, now);
  struct pollfd look = { .fd = p->fd, .events = POLLOUT };
  if (poll(&look, 1, 0) == 1) return on_connect_done(slot, p, now);
  p->phase = PHASE_CONNECT;
  if (watch(slot, p, p->fd, FD_MAIN, EPOLLOUT, EPOLL_CTL_ADD) < 0) finish_errno(slot, p, now, errno);
}

/* Adds the socket to the epoll set, or changes what it waits for once it is there. */
static int watch_socket(uint32_t slot, struct probe *p, uint32_t events) {
  int rc = watch(slot, p, p->fd, FD_MAIN, events, p->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
  if (rc == 0) p->watched = true;
  return rc;
}

static void send_request(uint32_t slot, struct probe *p, int64_t now) {
  while (p->sent < p->request_len) {
    ssize_t n = send(p->fd, p->request + p->sent, p->request_len - p->sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      /* Still connecting (see start_network), or a full send buffer: writable is the cue either way. */
      p->phase = PHASE_SEND;
      if (watch_socket(slot, p, EPOLLOUT) < 0) finish_errno(slot, p, now, errno);
      return;
    }
    if (n < 0) return finish_errno(slot, p, now, errno);
    p->sent += (size_t)n;
  }
  p->phase = PHASE_READ;
  if (watch_socket(slot, p, EPOLLIN | EPOLLRDHUP) < 0) finish_errno(slot, p, now, errno);
}

static void on_connected(uint32_t slot, struct probe *p, int64_t now) {
  if (p->kind == KIND_TCP) return finish(slot, p, now, OUT_OK, 0, NULL, 0);
  if (p->buf == NULL) p->buf = malloc(STATUS_LINE_LIMIT);
  if (p->buf == NULL) return finish_errno(slot, p, now, ENOMEM);
  send_request(slot, p, now);
}

/* The socket became writable or failed while connecting: its pending error says which. */
static void on_connect_done(uint32_t slot, struct probe *p, int64_t now) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err != 0) return finish_errno(slot, p, now, err);
  on_connected(slot, p, now);
}

/* Reads the answer's status line: `HTTP/1.x NNN …`. */
static void read_status(uint32_t slot, struct probe *p, int64_t now) {
  for (;;) {
    ssize_t n = recv(p->fd, p->buf + p->buf_len, STATUS_LINE_LIMIT - p->buf_len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) return finish_errno(slot, p, now, errno);
    if (n == 0) return finish(slot, p, now, OUT_HANGUP, 0, "ECONNRESET", 10);
    p->buf_len += (size_t)n;
    void *eol = memchr(p->buf, '\n', p->buf_len);
    if (eol == NULL && p->buf_len < STATUS_LINE_LIMIT) continue;
    int status = 0;
    if (p->buf_len >= 12 && memcmp(p->buf, "HTTP/1.", 7) == 0 && p->buf[8] == ' ' && p->buf[9] >= '0' && p->buf[9] <= '9' && p->buf[10] >= '0' &&
        p->buf[10] <= '9' && p->buf[11] >= '0' && p->buf[11] <= '9') {
      status = (p->buf[9] - '0') * 100 + (p->buf[10] - '0') * 10 + (p->buf[11] - '0');
    }
    if (status == 0) return finish(slot, p, now, OUT_BAD_ANSWER, 0, "HPE_INVALID_CONSTANT", 20);
    return finish(slot, p, now, status >= 200 && status < 400 ? OUT_OK : OUT_STATUS, status, NULL, 0);
  }
}

static void start_exec(uint32_t slot, struct probe *p, int64_t now) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) return finish_errno(slot, p, now, errno);
  struct spawn_job job = { .path = p->path, .argv = p->argv, .join = p->join, .out_fd = pipe_fds[1], .err = 0, .failed_step = NULL, .failed_path = NULL };
  int clone_errno = 0;
  /*
   * The child writes itself into the container's cgroups before it execs, and the thread waits
   * for that (CLONE_VFORK): a cgroup move can take milliseconds on a busy host. The table is
   * let go meanwhile so that the main thread's add, remove and stats never wait for it; `p`
   * stays valid (only this thread frees probes), and a removal meanwhile is seen below.
   */
  pthread_mutex_unlock(&lock);
  pid_t pid = spawn_start(&job, &clone_errno);
  pthread_mutex_lock(&lock);
  if (pid < 0) {
    close(pipe_fds[1]);
    close(pipe_fds[0]);
    char message[4200];
    int len = clone_errno != 0 ? snprintf(message, sizeof message, "clone: %s", strerror(clone_errno))
                               : snprintf(message, sizeof message, "%s: %s %s", job.failed_step != NULL ? job.failed_step : "spawn", strerror(job.err),
                                          job.failed_path != NULL ? job.failed_path : p->path);
    return finish(slot, p, now, OUT_SPAWN, 0, message, len < 0 ? 0 : (size_t)len >= sizeof message ? sizeof message - 1 : (size_t)len);
  }
  p->fd = pipe_fds[0];
  /*
   * The thread keeps the write end until the run ends: the pipe never hangs up, so a silent
   * probe wakes the thread once (its pidfd) instead of twice (the hangup, then the pidfd), and
   * output is read as it comes and once more at the exit.
   */
  p->write_fd = pipe_fds[1];
  p->pid = pid;
  p->phase = PHASE_EXEC;
  /* Its only status flag (pipe2 set O_CLOEXEC, a descriptor flag): no F_GETFL needed. */
  fcntl(p->fd, F_SETFL, O_NONBLOCK);
  p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (p->pidfd < 0 || watch(slot, p, p->pidfd, FD_PIDFD, EPOLLIN, EPOLL_CTL_ADD) < 0 || watch(slot, p, p->fd, FD_MAIN, EPOLLIN, EPOLL_CTL_ADD) < 0) {
    int err = errno;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {}
    return finish_errno(slot, p, now, err);
  }
  p->watched = true;
  if (p->removed) {
    /* Removed while it was being started: end it as a removal in flight is ended. */
    syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
    p->reported = true;
    p->deadline = now + KILL_WAIT_MS;
    timer_set(p, p->deadline);
  }
}

/*
 * Reads what the exec probe's pipe holds (keeping the first 10 KiB, allocated only once some
 * output came); true at its end (a read error: the pipe cannot end otherwise, see start_exec).
 */
static bool drain_output(struct probe *p) {
  char scratch[4096];
  for (;;) {
    ssize_t n = read(p->fd, scratch, sizeof scratch);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno != EAGAIN;
    if (n == 0) return true;
    if (p->buf == NULL) p->buf = malloc(OUTPUT_LIMIT);
    if (p->buf == NULL || p->buf_len >= OUTPUT_LIMIT) continue;
    size_t take = (size_t)n < OUTPUT_LIMIT - p->buf_len ? (size_t)n : OUTPUT_LIMIT - p->buf_len;
    memcpy(p->buf + p->buf_len, scratch, take);
    p->buf_len += take;
  }
}

static void on_exited(uint32_t slot, struct probe *p, int64_t now) {
  int status = 0;
  pid_t waited;
  do waited = waitpid(p->pid, &status, WNOHANG | __WALL);
  while (waited < 0 && errno == EINTR);
  if (waited == 0) return; /* not yet: the pidfd reports again */
  if (p->fd >= 0) drain_output(p);
  if (waited < 0) return finish_errno(slot, p, now, errno);
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    return finish(slot, p, now, code == 0 ? OUT_OK : OUT_EXIT, code, code == 0 ? NULL : p->buf, p->buf_len);
  }
  finish(slot, p, now, OUT_SIGNAL, WIFSIGNALED(status) ? WTERMSIG(status) : 0, p->buf, p->buf_len);
}

static void start_run(uint32_t slot, struct probe *p, int64_t now) {
  int64_t late = now - p->due;
  stats.runs++;
  if (late > stats.max_late) stats.max_late = (double)late;
  if (late > p->period_ms) stats.past_period++;
  if (late > 1000) stats.over_second++;
  p->deadline = now + p->timeout_ms;
  timer_set(p, p->deadline);
  p->buf_len = 0;
  p->sent = 0;
  if (p->kind == KIND_EXEC) start_exec(slot, p, now);
  else start_network(slot, p, now);
}

static void on_timeout(uint32_t slot, struct probe *p, int64_t now) {
  if (p->phase != PHASE_EXEC) return finish(slot, p, now, OUT_TIMEOUT, 0, NULL, 0);
  if (p->reported) {
    /* SIGKILLed long ago and still not gone (stuck in the kernel): stop waiting for it. */
    return end_run(p, now);
  }
  if (!p->removed) emit(slot, p, OUT_TIMEOUT, 0, NULL, 0);
  p->reported = true;
  syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
  p->deadline = now + KILL_WAIT_MS;
  timer_set(p, p->deadline);
}

static void on_io(uint32_t slot, struct probe *p, uint32_t which, uint32_t events, int64_t now) {
  switch (p->phase) {
  case PHASE_CONNECT:
    return on_connect_done(slot, p, now);
  case PHASE_SEND:
    return send_request(slot, p, now);
  case PHASE_READ:
    return read_status(slot, p, now);
  case PHASE_EXEC:
    if (which == FD_PIDFD) return on_exited(slot, p, now);
    if (drain_output(p)) {
      /* EOF (or a read error): the pipe is done; the pidfd says when the process is. */
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, p->fd, NULL);
      close(p->fd);
      p->fd = -1;
      p->watched = false;
    }
    return;
  case PHASE_IDLE:
    return;
  }
}

static void release_slot(uint32_t slot) {
  struct probe *p = slots[slot];
  slots[slot] = NULL;
  probe_count--;
  timer_clear(p);
  close_run_fds(p);
  free_probe(p);
}

static void *engine_main(void *arg) {
  struct epoll_event events[64];
  /* `top -H` and /proc/PID/task/TID/comm show it by this name. */
  pthread_setname_np(pthread_self(), "rocklet-probes");
  pthread_mutex_lock(&lock);
  for (;;) {
    int64_t now = now_ms();
    while (timer_count > 0 && timers[0]->timer_at <= now) {
      struct probe *p = timers[0];
      uint32_t slot = p->slot;
      timer_clear(p);
      /* A removed exec probe's killed process is reaped first (its pidfd), then the slot goes. */
      if (p->removed && p->phase != PHASE_EXEC) release_slot(slot);
      else if (p->phase == PHASE_IDLE) start_run(slot, p, now);
      else on_timeout(slot, p, now);
    }
    int64_t next = timer_count > 0 ? timers[0]->timer_at : now + 60000;
    pthread_mutex_unlock(&lock);
    int64_t wait = next - now_ms();
    int n = epoll_wait(epoll_fd, events, 64, wait < 0 ? 0 : wait > 60000 ? 60000 : (int)wait);
    pthread_mutex_lock(&lock);
    now = now_ms();
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      if (tag == WAKE_TAG) {
        uint64_t count;
        if (read(wake_fd, &count, sizeof count) < 0) { /* EAGAIN: another wake was read already */ }
        continue;
      }
      uint32_t slot = (uint32_t)(tag & 0xffffffffu) >> 1;
      uint32_t gen = (uint32_t)(tag >> 32);
      struct probe *p = slot < slot_count ? slots[slot] : NULL;
      /* A stale event of a probe removed (or a run ended) since epoll_wait returned. */
      if (p == NULL || p->gen != gen || p->phase == PHASE_IDLE) continue;
      on_io(slot, p, (uint32_t)(tag & 1u), events[i].events, now);
    }
  }
  return NULL;
}

static void wake(void) {
  uint64_t one = 1;
  if (write(wake_fd, &one, sizeof one) < 0) { /* EAGAIN: the counter is full, the thread wakes anyway */ }
}

/* Runs on the main thread: hands every queued result to the JavaScript callback as [handle, outcome, detail, text|null][]. */
static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  pthread_mutex_lock(&queue_lock);
  struct event *taken = queue;
  size_t count = queue_len;
  queue = NULL;
  queue_len = queue_cap = 0;
  queue_signalled = false;
  pthread_mutex_unlock(&queue_lock);
  if (env == NULL) {
    for (size_t i = 0; i < count; i++) free(taken[i].text);
    free(taken);
    return;
  }
  napi_value array, undefined;
  napi_create_array_with_length(env, count, &array);
  for (size_t i = 0; i < count; i++) {
    napi_value item, value;
    napi_create_array_with_length(env, 4, &item);
    napi_create_double(env, taken[i].handle, &value);
    napi_set_element(env, item, 0, value);
    napi_create_int32(env, taken[i].outcome, &value);
    napi_set_element(env, item, 1, value);
    napi_create_int32(env, taken[i].detail, &value);
    napi_set_element(env, item, 2, value);
    if (taken[i].text != NULL) napi_create_string_utf8(env, taken[i].text, NAPI_AUTO_LENGTH, &value);
    else napi_get_null(env, &value);
    napi_set_element(env, item, 3, value);
    napi_set_element(env, array, (uint32_t)i, item);
    free(taken[i].text);
  }
  free(taken);
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, callback, 1, &array, NULL);
}

static napi_value engine_throw(napi_env env, int err, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "probe engine: %s: %s", what, strerror(err));
  napi_throw_error(env, strerrorname_np(err), message);
  return NULL;
}

/* probeEngineStart(onResults): starts the thread (once per process). */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (started) return NULL;
  napi_valuetype type;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "probeEngineStart(onResults) takes a function");
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "rocklet-probe-engine", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &tsfn) != napi_ok) return engine_throw(env, EINVAL, "thread-safe function");
  napi_unref_threadsafe_function(env, tsfn);
  int own = (int)syscall(SYS_pidfd_open, getpid(), 0);
  can_exec = own >= 0;
  if (own >= 0) close(own);
  home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (home_netns < 0 || epoll_fd < 0 || wake_fd < 0) return engine_throw(env, errno, "setup");
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TAG };
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) < 0) return engine_throw(env, errno, "epoll_ctl");
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* The thread starts with every signal blocked: they stay the main thread's (libuv's SIGCHLD among them). */
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int err = pthread_create(&thread, &attr, engine_main, NULL);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  pthread_attr_destroy(&attr);
  if (err != 0) return engine_throw(env, err, "pthread_create");
  started = true;
  return NULL;
}

static char *get_string(napi_env env, napi_value object, const char *key) {
  napi_value value;
  napi_valuetype type;
  size_t length = 0;
  if (napi_get_named_property(env, object, key, &value) != napi_ok || napi_typeof(env, value, &type) != napi_ok || type != napi_string) return NULL;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *out = malloc(length + 1);
  if (out != NULL) napi_get_value_string_utf8(env, value, out, length + 1, &length);
  return out;
}

static int64_t get_number(napi_env env, napi_value object, const char *key) {
  napi_value value;
  int64_t out = -1;
  if (napi_get_named_property(env, object, key, &value) != napi_ok || napi_get_value_int64(env, value, &out) != napi_ok) return -1;
  return out;
}

/* A NULL-terminated copy of string array property `key` (an absent one: an empty array). */
static char **get_strings(napi_env env, napi_value object, const char *key) {
  napi_value array;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_get_named_property(env, object, key, &array) != napi_ok || napi_is_array(env, array, &is_array) != napi_ok || !is_array) return calloc(1, sizeof(char *));
  napi_get_array_length(env, array, &count);
  char **out = calloc(count + 1, sizeof *out);
  for (uint32_t i = 0; out != NULL && i < count; i++) {
    napi_value item;
    size_t length = 0;
    napi_get_element(env, array, i, &item);
    if (napi_get_value_string_utf8(env, item, NULL, 0, &length) != napi_ok || (out[i] = malloc(length + 1)) == NULL) {
      free_strings(out);
      return NULL;
    }
    napi_get_value_string_utf8(env, item, out[i], length + 1, &length);
  }
  return out;
}

/*
 * probeEngineAdd({ kind: 0 tcp | 1 http | 2 exec, netns?, host, port, request?, path?, argv?,
 * cgroupProcs?, delayMs, periodMs, timeoutMs, reportSuccesses }) → handle. The first run starts
 * after delayMs.
 */
static napi_value js_add(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!started) return engine_throw(env, EINVAL, "not started");
  struct probe *p = calloc(1, sizeof *p);
  if (p == NULL) return engine_throw(env, ENOMEM, "add");
  p->fd = p->pidfd = p->write_fd = -1;
  int64_t kind = get_number(env, argv[0], "kind");
  int64_t delay = get_number(env, argv[0], "delayMs");
  p->period_ms = get_number(env, argv[0], "periodMs");
  p->timeout_ms = get_number(env, argv[0], "timeoutMs");
  int64_t report = get_number(env, argv[0], "reportSuccesses");
  const char *bad = NULL;
  if (kind < KIND_TCP || kind > KIND_EXEC) bad = "kind";
  else if (delay < 0 || p->period_ms <= 0 || p->timeout_ms <= 0 || report < 1) bad = "delayMs, periodMs, timeoutMs or reportSuccesses";
  p->kind = (enum probe_kind)kind;
  p->report_successes = (uint32_t)report;
  if (bad == NULL && p->kind != KIND_EXEC) {
    p->netns = get_string(env, argv[0], "netns");
    char *host = get_string(env, argv[0], "host");
    int64_t port = get_number(env, argv[0], "port");
    p->addr.sin_family = AF_INET;
    p->addr.sin_port = htons((uint16_t)port);
    if (host == NULL || inet_pton(AF_INET, host, &p->addr.sin_addr) != 1 || port < 1 || port > 65535) bad = "host or port";
    free(host);
    if (bad == NULL && p->kind == KIND_HTTP) {
      p->request = get_string(env, argv[0], "request");
      if (p->request == NULL) bad = "request";
      else p->request_len = strlen(p->request);
    }
  } else if (bad == NULL) {
    p->path = get_string(env, argv[0], "path");
    p->argv = get_strings(env, argv[0], "argv");
    p->join = get_strings(env, argv[0], "cgroupProcs");
    if (p->path == NULL || p->path[0] != '/' || p->argv == NULL || p->argv[0] == NULL || p->join == NULL) bad = "path, argv or cgroupProcs";
    else if (!can_exec) bad = "kind: exec needs pidfd_open(2), Linux 5.3 or later";
  }
  if (bad != NULL) {
    free_probe(p);
    char message[128];
    snprintf(message, sizeof message, "probeEngineAdd: bad %s", bad);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  pthread_mutex_lock(&lock);
  uint32_t slot = 0;
  while (slot < slot_count && slots[slot] != NULL) slot++;
  if (!reserve_probes(&timers, &timer_cap, probe_count + 1) || !reserve_probes(&slots, &slot_count, slot + 1)) {
    pthread_mutex_unlock(&lock);
    free_probe(p);
    return engine_throw(env, ENOMEM, "add");
  }
  p->gen = next_gen++;
  if (next_gen >= (1u << 31)) next_gen = 1;
  p->due = now_ms() + delay;
  p->slot = slot;
  p->timer_index = -1;
  slots[slot] = p;
  probe_count++;
  arm_next_start(p);
  double handle = handle_of(slot, p->gen);
  pthread_mutex_unlock(&lock);
  wake();
  napi_value result;
  napi_create_double(env, handle, &result);
  return result;
}

/* probeEngineRemove(handle): no more runs or results; a run in flight is ended (an exec probe's process killed). */
static napi_value js_remove(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double handle = 0;
  if (argc < 1 || napi_get_value_double(env, argv[0], &handle) != napi_ok) return NULL;
  uint32_t slot = (uint32_t)((uint64_t)handle % 1048576u);
  uint32_t gen = (uint32_t)((uint64_t)handle / 1048576u);
  pthread_mutex_lock(&lock);
  struct probe *p = slot < slot_count ? slots[slot] : NULL;
  if (p != NULL && p->gen == gen && !p->removed) {
    p->removed = true;
    if (p->phase == PHASE_EXEC && p->pid > 0 && !p->reported) {
      syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
      p->reported = true;
      p->deadline = now_ms() + KILL_WAIT_MS;
      timer_set(p, p->deadline);
    } else if (p->phase != PHASE_EXEC) {
      timer_set(p, 0);
    }
  }
  pthread_mutex_unlock(&lock);
  wake();
  return NULL;
}

/* probeEngineStats() → [runs, maxLateMs, runs more than one period late, runs more than 1 s late]. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value result, value;
  pthread_mutex_lock(&lock);
  double values[4] = { stats.runs, stats.max_late, stats.past_period, stats.over_second };
  pthread_mutex_unlock(&lock);
  napi_create_array_with_length(env, 4, &result);
  for (uint32_t i = 0; i < 4; i++) {
    napi_create_double(env, values[i], &value);
    napi_set_element(env, result, i, value);
  }
  return result;
}

void register_probe_engine_functions(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "probeEngineStart", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL },
    { "probeEngineAdd", NULL, js_add, NULL, NULL, NULL, napi_enumerable, NULL },
    { "probeEngineRemove", NULL, js_remove, NULL, NULL, NULL, napi_enumerable, NULL },
    { "probeEngineStats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
