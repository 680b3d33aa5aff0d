/*
 * rocklet's few Linux system calls that Node has no API for: mount(2), umount2(2), statx(2)'s
 * mount-root attribute, and
 * namespaces bound to files. Every call used to be a util-linux process (mount, umount,
 * unshare + ip + hostname), 10–30 ms each on a small VM; a `rocklet run` made eight of them.
 *
 * Namespaces are created in a short-lived child made with clone(CLONE_VM | CLONE_VFORK), the
 * way posix_spawn starts a process: no page tables are copied and this (multi-threaded) Node
 * process never changes its own namespaces. The child only makes raw system calls and
 * _exit()s; it reports the failing step and errno through memory it shares with the caller,
 * which is suspended until the child is gone.
 *
 * Also open-file-description locks (fcntl F_OFD_SETLK), non-blocking only: the pod store's
 * locks are taken on every pod command, and loading a general-purpose addon for two fcntl calls
 * cost ~20 ms of start-up.
 *
 * Errors are thrown as Error objects with `code` (the errno name, e.g. "EBUSY"), `errno`,
 * `syscall` and `path`, the shape of Node's own fs errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <node_api.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "holder.h"
#include "netlink.h"
#include "probe.h"

#define PATH_BYTES 4096
#define DATA_BYTES 4096
#define HOST_BYTES 65
#define CHILD_STACK_BYTES (64 * 1024)

/* Throws an fs-style errno error; returns NULL for the caller to return. */
static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  char message[PATH_BYTES + 128];
  const char *name = strerrorname_np(err);
  if (name == NULL) name = "EUNKNOWN";
  if (path != NULL && path[0] != '\0') {
    snprintf(message, sizeof message, "%s: %s, %s '%s'", name, strerror(err), syscall, path);
  } else {
    snprintf(message, sizeof message, "%s: %s, %s", name, strerror(err), syscall);
  }
  napi_value msg, error, value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "code", value);
  napi_create_int32(env, -err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  if (path != NULL && path[0] != '\0') {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, error, "path", value);
  }
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* Copies JS string `value` into `out` (NUL-terminated); 0 on success. Empty = absent when allowed. */
static int read_string(napi_env env, napi_value value, char *out, size_t size, int allow_undefined) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (allow_undefined && (type == napi_undefined || type == napi_null)) {
    out[0] = '\0';
    return 0;
  }
  if (type != napi_string) return -1;
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok || length + 1 > size) return -1;
  if (napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok) return -1;
  /* An embedded NUL would silently cut the path short. */
  if (strlen(out) != length) return -1;
  return 0;
}

/* mount(source, target, fstype, flags, data?) */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) return throw_type(env, "mount(source, target, fstype, flags, data?) takes 4 or 5 arguments");
  char source[PATH_BYTES], target[PATH_BYTES], fstype[64], data[DATA_BYTES];
  uint32_t flags = 0;
  if (read_string(env, argv[0], source, sizeof source, 0) != 0) return throw_type(env, "mount: source must be a string");
  if (read_string(env, argv[1], target, sizeof target, 0) != 0) return throw_type(env, "mount: target must be a string");
  if (read_string(env, argv[2], fstype, sizeof fstype, 1) != 0) return throw_type(env, "mount: fstype must be a string");
  if (napi_get_value_uint32(env, argv[3], &flags) != napi_ok) return throw_type(env, "mount: flags must be a number");
  if (argc > 4 && read_string(env, argv[4], data, sizeof data, 1) != 0) return throw_type(env, "mount: data must be a string under 4096 bytes");
  if (argc <= 4) data[0] = '\0';
  if (mount(source, target, fstype[0] == '\0' ? NULL : fstype, flags, data[0] == '\0' ? NULL : data) != 0) {
    return throw_errno(env, errno, "mount", target);
  }
  return NULL;
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return throw_type(env, "umount2(target, flags) takes 2 arguments");
  char target[PATH_BYTES];
  int32_t flags = 0;
  if (read_string(env, argv[0], target, sizeof target, 0) != 0) return throw_type(env, "umount2: target must be a string");
  if (napi_get_value_int32(env, argv[1], &flags) != napi_ok) return throw_type(env, "umount2: flags must be a number");
  if (umount2(target, flags) != 0) return throw_errno(env, errno, "umount2", target);
  return NULL;
}

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/*
 * isMountRoot(path): whether `path` (not followed if a symlink) is the root of a mount, from
 * statx(2)'s STATX_ATTR_MOUNT_ROOT; false when it does not exist; undefined when the kernel
 * does not report the attribute (before Linux 5.8). One system call instead of reading and
 * splitting /proc/self/mountinfo, which grows with every pod's mounts.
 */
static napi_value js_is_mount_root(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char target[PATH_BYTES];
  if (argc < 1 || read_string(env, argv[0], target, sizeof target, 0) != 0) return throw_type(env, "isMountRoot(path): path must be a string");
  struct statx st;
  napi_value result;
  if (statx(AT_FDCWD, target, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return throw_errno(env, errno, "statx", target);
    napi_get_boolean(env, false, &result);
    return result;
  }
  if ((st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0) return NULL;
  napi_get_boolean(env, (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0, &result);
  return result;
}

/* Reads fd, offset, length (>= 0 integers) from argv[0..2]; 0 on success. */
static int read_lock_range(napi_env env, napi_value *argv, int32_t *fd, int64_t *offset, int64_t *length) {
  if (napi_get_value_int32(env, argv[0], fd) != napi_ok || *fd < 0) return -1;
  if (napi_get_value_int64(env, argv[1], offset) != napi_ok || *offset < 0) return -1;
  if (napi_get_value_int64(env, argv[2], length) != napi_ok || *length < 0) return -1;
  return 0;
}

/* ofdTryLock(fd, offset, length, shared): true when granted, false when another holder conflicts. */
static napi_value js_ofd_try_lock(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  int64_t offset, length;
  bool shared = false;
  if (argc < 4 || read_lock_range(env, argv, &fd, &offset, &length) != 0 || napi_get_value_bool(env, argv[3], &shared) != napi_ok) {
    return throw_type(env, "ofdTryLock(fd, offset, length, shared): fd, offset, length >= 0 and a boolean");
  }
  struct flock lock = { .l_type = shared ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET, .l_start = offset, .l_len = length, .l_pid = 0 };
  bool granted = true;
  if (fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    if (errno != EAGAIN && errno != EACCES) return throw_errno(env, errno, "fcntl(F_OFD_SETLK)", NULL);
    granted = false;
  }
  napi_get_boolean(env, granted, &result);
  return result;
}

/* ofdUnlock(fd, offset, length): length 0 means to the end of the file. */
static napi_value js_ofd_unlock(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  int64_t offset, length;
  if (argc < 3 || read_lock_range(env, argv, &fd, &offset, &length) != 0) {
    return throw_type(env, "ofdUnlock(fd, offset, length): fd, offset, length >= 0");
  }
  struct flock lock = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = offset, .l_len = length, .l_pid = 0 };
  if (fcntl(fd, F_OFD_SETLK, &lock) != 0) return throw_errno(env, errno, "fcntl(F_OFD_SETLK)", NULL);
  return NULL;
}

/* What the namespace child does, and where it reports. Shared with the caller (CLONE_VM). */
struct ns_job {
  int clone_flags;
  char net_file[PATH_BYTES];
  char ipc_file[PATH_BYTES];
  char uts_file[PATH_BYTES];
  char hostname[HOST_BYTES];
  int loopback_up;
  /* Set by the child: the step that failed (a syscall name) and its errno. */
  const char *failed_step;
  const char *failed_path;
  int failed_errno;
};

static int fail(struct ns_job *job, const char *step, const char *path) {
  job->failed_step = step;
  job->failed_path = path;
  job->failed_errno = errno;
  return 1;
}

static int bind_ns(struct ns_job *job, const char *kind, const char *file) {
  char source[64];
  if (file[0] == '\0') return 0;
  snprintf(source, sizeof source, "/proc/self/ns/%s", kind);
  if (mount(source, file, NULL, MS_BIND, NULL) != 0) return fail(job, "mount", file);
  return 0;
}

/* Runs in the clone()d child: raw system calls only, then _exit. */
static int ns_child(void *arg) {
  struct ns_job *job = arg;
  if (unshare(job->clone_flags) != 0) _exit(fail(job, "unshare", NULL));
  if (job->hostname[0] != '\0' && sethostname(job->hostname, strlen(job->hostname)) != 0) {
    _exit(fail(job, "sethostname", NULL));
  }
  if (job->loopback_up) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) _exit(fail(job, "socket", NULL));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) _exit(fail(job, "ioctl(SIOCGIFFLAGS)", "lo"));
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) _exit(fail(job, "ioctl(SIOCSIFFLAGS)", "lo"));
    close(fd);
  }
  if (bind_ns(job, "net", job->net_file) || bind_ns(job, "ipc", job->ipc_file) || bind_ns(job, "uts", job->uts_file)) {
    _exit(1);
  }
  _exit(0);
}

/*
 * Runs `fn(job)` in a clone(CLONE_VM | CLONE_VFORK) child on `stack` (CHILD_STACK_BYTES) and
 * waits for it. Returns whether it exited 0; `*clone_errno` is set when it could not start.
 */
static int run_in_child(int (*fn)(void *), void *job, char *stack, int *clone_errno) {
  /* No signal handler of Node's may run on the child's stack: block all until it is gone. */
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = clone(fn, stack + CHILD_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, job);
  *clone_errno = pid < 0 ? errno : 0;
  int status = 0;
  pid_t waited = pid > 0 ? waitpid(pid, &status, __WALL) : -1;
  while (waited < 0 && pid > 0 && errno == EINTR) waited = waitpid(pid, &status, __WALL);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  return pid > 0 && waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int get_property(napi_env env, napi_value object, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, object, name, &has) != napi_ok || !has) return 0;
  return napi_get_named_property(env, object, name, out) == napi_ok;
}

/*
 * bindNamespaces({ net?, ipc?, uts?, hostname?, loopbackUp? }): new namespaces of the given
 * kinds, each bind-mounted onto its (existing, empty) file; `hostname` is set in the new UTS
 * namespace and `lo` brought up in the new network one. Namespaces whose file is absent are
 * not created. On failure, binds already made are left for the caller's cleanup (it removes
 * namespace files idempotently).
 */
static napi_value js_bind_namespaces(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], value;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_object) {
    return throw_type(env, "bindNamespaces(options) takes an object");
  }
  struct ns_job *job = calloc(1, sizeof *job);
  char *stack = malloc(CHILD_STACK_BYTES);
  if (job == NULL || stack == NULL) {
    free(job);
    free(stack);
    return throw_errno(env, ENOMEM, "bindNamespaces", NULL);
  }
  napi_value result = NULL;
  const char *bad = NULL;
  if (get_property(env, argv[0], "net", &value) && read_string(env, value, job->net_file, PATH_BYTES, 1) != 0) bad = "net must be a path";
  if (get_property(env, argv[0], "ipc", &value) && read_string(env, value, job->ipc_file, PATH_BYTES, 1) != 0) bad = "ipc must be a path";
  if (get_property(env, argv[0], "uts", &value) && read_string(env, value, job->uts_file, PATH_BYTES, 1) != 0) bad = "uts must be a path";
  if (get_property(env, argv[0], "hostname", &value) && read_string(env, value, job->hostname, HOST_BYTES, 1) != 0) bad = "hostname must be a string of at most 64 bytes";
  if (get_property(env, argv[0], "loopbackUp", &value)) {
    bool up = false;
    if (napi_get_value_bool(env, value, &up) != napi_ok) bad = "loopbackUp must be a boolean";
    job->loopback_up = up;
  }
  if (bad != NULL) {
    free(job);
    free(stack);
    return throw_type(env, bad);
  }
  if (job->net_file[0] != '\0') job->clone_flags |= CLONE_NEWNET;
  if (job->ipc_file[0] != '\0') job->clone_flags |= CLONE_NEWIPC;
  if (job->uts_file[0] != '\0') job->clone_flags |= CLONE_NEWUTS;
  if ((job->hostname[0] != '\0' && job->uts_file[0] == '\0') || (job->loopback_up && job->net_file[0] == '\0')) {
    free(job);
    free(stack);
    return throw_type(env, "bindNamespaces: hostname needs uts, loopbackUp needs net");
  }
  if (job->clone_flags == 0) {
    free(job);
    free(stack);
    return NULL;
  }

  int clone_errno = 0;
  int ok = run_in_child(ns_child, job, stack, &clone_errno);

  if (clone_errno != 0) {
    throw_errno(env, clone_errno, "clone", NULL);
  } else if (job->failed_step != NULL) {
    throw_errno(env, job->failed_errno, job->failed_step, job->failed_path);
  } else if (!ok) {
    throw_errno(env, ECHILD, "bindNamespaces", NULL);
  }
  free(job);
  free(stack);
  return result;
}

/* Reads optional string property `name` into `out` ("" when absent). Returns an error text or NULL. */
static const char *read_named_string(napi_env env, napi_value object, const char *name, char *out, size_t size, int required) {
  napi_value value;
  out[0] = '\0';
  if (!get_property(env, object, name, &value)) return required ? name : NULL;
  return read_string(env, value, out, size, !required) == 0 ? NULL : name;
}

static napi_value throw_netlink(napi_env env, const struct netlink_failure *failure, const char *what) {
  if (failure->step != NULL) return throw_errno(env, failure->err, failure->step, failure->path);
  return throw_errno(env, ECHILD, what, NULL);
}

/*
 * setUpVeth({ hostNetns?, podNetns, hostName, podName, bridge, ip, gateway, prefixLength }): the
 * pod's veth pair, host end on `bridge` with hairpin on and up, `podName` in the namespace bound
 * to `podNetns` with `ip/prefixLength`, lo and itself up and a default route via `gateway`.
 * A host end of that name left from before is replaced.
 */
static napi_value js_set_up_veth(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], value;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_object) return throw_type(env, "setUpVeth(options) takes an object");
  struct veth_job *job = calloc(1, sizeof *job);
  char *stack = malloc(CHILD_STACK_BYTES);
  if (job == NULL || stack == NULL) {
    free(job);
    free(stack);
    return throw_errno(env, ENOMEM, "setUpVeth", NULL);
  }
  char ip[INET_ADDRSTRLEN + 1], gateway[INET_ADDRSTRLEN + 1];
  uint32_t prefix = 0;
  const char *bad = read_named_string(env, argv[0], "hostNetns", job->host_netns, sizeof job->host_netns, 0);
  if (bad == NULL) bad = read_named_string(env, argv[0], "podNetns", job->pod_netns, sizeof job->pod_netns, 1);
  if (bad == NULL) bad = read_named_string(env, argv[0], "hostName", job->host_name, sizeof job->host_name, 1);
  if (bad == NULL) bad = read_named_string(env, argv[0], "podName", job->pod_name, sizeof job->pod_name, 1);
  if (bad == NULL) bad = read_named_string(env, argv[0], "bridge", job->bridge, sizeof job->bridge, 1);
  if (bad == NULL) bad = read_named_string(env, argv[0], "ip", ip, sizeof ip, 1);
  if (bad == NULL) bad = read_named_string(env, argv[0], "gateway", gateway, sizeof gateway, 1);
  if (bad == NULL && (!get_property(env, argv[0], "prefixLength", &value) || napi_get_value_uint32(env, value, &prefix) != napi_ok || prefix > 32)) bad = "prefixLength";
  if (bad == NULL && (inet_pton(AF_INET, ip, &job->ip) != 1 || inet_pton(AF_INET, gateway, &job->gateway) != 1)) bad = "ip/gateway";
  if (bad != NULL || job->pod_netns[0] == '\0' || job->host_name[0] == '\0' || job->pod_name[0] == '\0' || job->bridge[0] == '\0') {
    free(job);
    free(stack);
    return throw_type(env, "setUpVeth: podNetns, hostName, podName and bridge (interface names of at most 15 bytes), IPv4 ip and gateway and a prefixLength of 0-32 are required");
  }
  job->prefix_length = (unsigned char)prefix;
  int clone_errno = 0;
  int ok = run_in_child(veth_child, job, stack, &clone_errno);
  if (clone_errno != 0) throw_errno(env, clone_errno, "clone", NULL);
  else if (!ok) throw_netlink(env, &job->failure, "setUpVeth");
  free(job);
  free(stack);
  return NULL;
}

/* deleteLink({ netns?, name }): deletes link `name`; returns whether there was one. */
static napi_value js_delete_link(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_object) return throw_type(env, "deleteLink(options) takes an object");
  struct delete_link_job *job = calloc(1, sizeof *job);
  char *stack = malloc(CHILD_STACK_BYTES);
  if (job == NULL || stack == NULL) {
    free(job);
    free(stack);
    return throw_errno(env, ENOMEM, "deleteLink", NULL);
  }
  const char *bad = read_named_string(env, argv[0], "netns", job->netns, sizeof job->netns, 0);
  if (bad == NULL) bad = read_named_string(env, argv[0], "name", job->name, sizeof job->name, 1);
  if (bad != NULL || job->name[0] == '\0') {
    free(job);
    free(stack);
    return throw_type(env, "deleteLink: name (an interface name of at most 15 bytes) is required");
  }
  int clone_errno = 0;
  int ok = run_in_child(delete_link_child, job, stack, &clone_errno);
  napi_value result = NULL;
  if (clone_errno != 0) throw_errno(env, clone_errno, "clone", NULL);
  else if (!ok) throw_netlink(env, &job->failure, "deleteLink");
  else napi_get_boolean(env, job->existed != 0, &result);
  free(job);
  free(stack);
  return result;
}

/* linkState({ netns?, name }): { index, up } of link `name`, or undefined when there is none. */
static napi_value js_link_state(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_object) return throw_type(env, "linkState(options) takes an object");
  struct link_state_job *job = calloc(1, sizeof *job);
  char *stack = malloc(CHILD_STACK_BYTES);
  if (job == NULL || stack == NULL) {
    free(job);
    free(stack);
    return throw_errno(env, ENOMEM, "linkState", NULL);
  }
  const char *bad = read_named_string(env, argv[0], "netns", job->netns, sizeof job->netns, 0);
  if (bad == NULL) bad = read_named_string(env, argv[0], "name", job->name, sizeof job->name, 1);
  if (bad != NULL || job->name[0] == '\0') {
    free(job);
    free(stack);
    return throw_type(env, "linkState: name (an interface name of at most 15 bytes) is required");
  }
  int clone_errno = 0;
  int ok = run_in_child(link_state_child, job, stack, &clone_errno);
  napi_value result = NULL, value;
  if (clone_errno != 0) throw_errno(env, clone_errno, "clone", NULL);
  else if (!ok) throw_netlink(env, &job->failure, "linkState");
  else if (job->index > 0) {
    napi_create_object(env, &result);
    napi_create_int32(env, job->index, &value);
    napi_set_named_property(env, result, "index", value);
    napi_get_boolean(env, job->up != 0, &value);
    napi_set_named_property(env, result, "up", value);
  }
  free(job);
  free(stack);
  return result;
}

/*
 * spawnHolder(lockFd, path, argv): starts `path` with `argv` (at most 16 entries), the open
 * file `lockFd` as its fd 3 and /dev/null as fds 0-2, in a new session, orphaned at once (see
 * holder.c); returns its PID. This process keeps its own descriptor.
 */
static napi_value js_spawn_holder(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  uint32_t count = 0;
  bool is_array = false;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 || napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[2], &count) != napi_ok || count == 0 || count > HOLDER_MAX_ARGS) {
    return throw_type(env, "spawnHolder(lockFd, path, argv) takes a descriptor, an absolute path and 1-16 arguments");
  }
  struct holder_job *job = calloc(1, sizeof *job);
  char *strings = calloc(HOLDER_MAX_ARGS + 1, PATH_BYTES);
  char *stack = malloc(CHILD_STACK_BYTES);
  char *holder_stack = malloc(HOLDER_STACK_BYTES);
  napi_value result = NULL;
  if (job == NULL || strings == NULL || stack == NULL || holder_stack == NULL) {
    throw_errno(env, ENOMEM, "spawnHolder", NULL);
    goto done;
  }
  if (read_string(env, argv[1], strings, PATH_BYTES, 0) != 0 || strings[0] != '/') {
    throw_type(env, "spawnHolder: path must be an absolute path");
    goto done;
  }
  job->path = strings;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    char *slot = strings + (size_t)(i + 1) * PATH_BYTES;
    if (napi_get_element(env, argv[2], i, &item) != napi_ok || read_string(env, item, slot, PATH_BYTES, 0) != 0) {
      throw_type(env, "spawnHolder: every argument must be a string");
      goto done;
    }
    job->argv[i] = slot;
  }
  job->argv[count] = NULL;
  job->lock_fd = fd;
  job->holder_stack = holder_stack;
  int clone_errno = 0;
  int ok = run_in_child(holder_spawner_child, job, stack, &clone_errno);
  if (clone_errno != 0) throw_errno(env, clone_errno, "clone", NULL);
  else if (job->failed_step != NULL) throw_errno(env, job->err, job->failed_step, job->path);
  else if (!ok || job->pid <= 0) throw_errno(env, ECHILD, "spawnHolder", job->path);
  else napi_create_int32(env, job->pid, &result);
done:
  free(job);
  free(strings);
  free(stack);
  free(holder_stack);
  return result;
}

/*
 * sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace). Node has no AF_UNIX datagram sockets, and `systemd-notify` as a child
 * process races its own exit (systemd drops a message whose sender is gone before it is read).
 */
static napi_value js_sd_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  char message[DATA_BYTES];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_type(env, "sdNotify(socket, message)");
  if (read_string(env, argv[0], socket_path, sizeof socket_path, 0) != 0) return throw_type(env, "sdNotify: socket path too long");
  if (read_string(env, argv[1], message, sizeof message, 0) != 0) return throw_type(env, "sdNotify: message too long");
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = strlen(socket_path);
  if (len == 0 || len >= sizeof addr.sun_path) return throw_type(env, "sdNotify: bad socket path");
  memcpy(addr.sun_path, socket_path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", socket_path);
  ssize_t sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&addr,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
  int err = errno;
  close(fd);
  if (sent < 0) return throw_errno(env, err, "sendto", socket_path);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL },
    { "umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL },
    { "isMountRoot", NULL, js_is_mount_root, NULL, NULL, NULL, napi_enumerable, NULL },
    { "bindNamespaces", NULL, js_bind_namespaces, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ofdTryLock", NULL, js_ofd_try_lock, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ofdUnlock", NULL, js_ofd_unlock, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sdNotify", NULL, js_sd_notify, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setUpVeth", NULL, js_set_up_veth, NULL, NULL, NULL, napi_enumerable, NULL },
    { "deleteLink", NULL, js_delete_link, NULL, NULL, NULL, napi_enumerable, NULL },
    { "linkState", NULL, js_link_state, NULL, NULL, NULL, napi_enumerable, NULL },
    { "spawnHolder", NULL, js_spawn_holder, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  register_probe_functions(env, exports);
  register_probe_engine_functions(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
