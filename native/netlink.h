/* rtnetlink jobs run in a clone(CLONE_VM | CLONE_VFORK) child: see netlink.c. */
#ifndef ROCKLET_NETLINK_H
#define ROCKLET_NETLINK_H

#include <net/if.h>
#include <stdint.h>

#define NETNS_PATH_BYTES 4096

/* The failing step (a system call or netlink request), the name or path it concerned, errno. */
struct netlink_failure {
  const char *step;
  const char *path;
  int err;
};

/* A pod's veth pair: host end on the bridge (hairpin on, up), pod end with address and route. */
struct veth_job {
  /* The host namespace's file, or "" for the caller's own namespace. */
  char host_netns[NETNS_PATH_BYTES];
  char pod_netns[NETNS_PATH_BYTES];
  char host_name[IF_NAMESIZE];
  char pod_name[IF_NAMESIZE];
  char bridge[IF_NAMESIZE];
  /* Network byte order. */
  uint32_t ip;
  uint32_t gateway;
  unsigned char prefix_length;
  struct netlink_failure failure;
};

/* Deletes link `name` (a veth's peer goes with it); `existed` is set when there was one. */
struct delete_link_job {
  char netns[NETNS_PATH_BYTES];
  char name[IF_NAMESIZE];
  int existed;
  struct netlink_failure failure;
};

/* Index and IFF_UP of link `name` (index 0: there is none). */
struct link_state_job {
  char netns[NETNS_PATH_BYTES];
  char name[IF_NAMESIZE];
  int index;
  int up;
  struct netlink_failure failure;
};

int veth_child(void *arg);
int link_state_child(void *arg);
int delete_link_child(void *arg);

#endif
