/*
 * crun run from a sealed copy of itself in memory, made once.
 *
 * `crun exec` guards the host's crun binary against a container that would write to it
 * through /proc/PID/exe (CVE-2019-5736): unless /proc/self/exe already is a memfd sealed
 * against writes, growth, shrinking and further seals, it re-executes itself from a read-only
 * bind mount of itself, which it mounts, remounts read-only and unmounts in the caller's mount
 * namespace on every run (or from a fresh sealed copy when it cannot mount). Each of those
 * mount-table changes wakes every watcher of /proc/self/mountinfo, systemd first, to read the
 * whole table again, and the re-exec links crun a second time: for an exec probe run every few
 * seconds in each of many pods, that is most of what a probe costs the machine. Started from a
 * copy sealed exactly that way, crun skips all of it; the copy is as safe as crun's own (no one
 * can write to a sealed memfd), one serves every run, and it is made again when the file
 * changes (an upgrade): its device, inode, size and mtime are checked at each spawn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealed-exec.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
/* The seals crun (and runc) take as "already a protected copy": exactly these. */
#define COPY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define MAX_COPIES 4

struct sealed_copy {
  char *path;
  struct stat source;
  int fd;
};

static pthread_mutex_t copies_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sealed_copy copies[MAX_COPIES];
static int copy_count;

void sealed_exec_lock(void) {
  pthread_mutex_lock(&copies_lock);
}

void sealed_exec_unlock(void) {
  pthread_mutex_unlock(&copies_lock);
}

static bool same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A sealed copy of the open file `source` (regular, `size` bytes); -1 on any failure. */
static int make_copy(int source, off_t size) {
  /* MFD_EXEC: executable even where vm.memfd_noexec makes memfds non-executable by default (Linux 6.3+; older kernels refuse the flag). */
  int fd = memfd_create("rocklet-sealed-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("rocklet-sealed-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  off_t sent = 0;
  while (sent < size) {
    ssize_t n = sendfile(fd, source, NULL, (size_t)(size - sent));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += n;
  }
  if (sent != size || fcntl(fd, F_ADD_SEALS, COPY_SEALS) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int sealed_exec_fd(const char *path) {
  struct stat now;
  if (stat(path, &now) < 0 || !S_ISREG(now.st_mode)) return -1;
  struct sealed_copy *entry = NULL;
  for (int i = 0; i < copy_count; i++) {
    if (strcmp(copies[i].path, path) == 0) entry = &copies[i];
  }
  if (entry != NULL && same_file(&entry->source, &now)) return entry->fd;
  if (entry == NULL && copy_count == MAX_COPIES) return -1;
  int source = open(path, O_RDONLY | O_CLOEXEC);
  if (source < 0) return -1;
  struct stat opened;
  int fd = fstat(source, &opened) == 0 && S_ISREG(opened.st_mode) ? make_copy(source, opened.st_size) : -1;
  close(source);
  if (fd < 0) return -1;
  if (entry == NULL) {
    char *copy_path = strdup(path);
    if (copy_path == NULL) {
      close(fd);
      return -1;
    }
    entry = &copies[copy_count++];
    entry->path = copy_path;
  } else {
    close(entry->fd);
  }
  /* What was copied (a replacement between the stat and the open is seen at the next spawn). */
  entry->source = opened;
  entry->fd = fd;
  return fd;
}
