/*
 * A pod's veth pair through rtnetlink, without `ip` processes: each `ip`/`nsenter` spawn cost
 * 10–20 ms on the project's VMs, and wiring one pod took three of them on the critical path of
 * every pod start.
 *
 * Both functions run in a clone(CLONE_VM | CLONE_VFORK) child (see linux-sys.c): it may setns()
 * into the host namespace file and then into the pod's, which the calling Node thread must never
 * do. Only raw system calls; failures are reported through the job struct.
 */
#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSG_BYTES 1024

struct request {
  struct nlmsghdr header;
  char body[MSG_BYTES];
};

static int fail(struct netlink_failure *failure, const char *step, const char *path, int err) {
  failure->step = step;
  failure->path = path;
  failure->err = err;
  return 1;
}

static void *tail(struct request *req) {
  return (char *)req + NLMSG_ALIGN(req->header.nlmsg_len);
}

static void put_attr(struct request *req, unsigned short type, const void *data, size_t length) {
  struct rtattr *attr = tail(req);
  attr->rta_type = type;
  attr->rta_len = RTA_LENGTH(length);
  if (length > 0) memcpy(RTA_DATA(attr), data, length);
  req->header.nlmsg_len = NLMSG_ALIGN(req->header.nlmsg_len) + RTA_ALIGN(attr->rta_len);
}

static struct rtattr *begin_nest(struct request *req, unsigned short type) {
  struct rtattr *attr = tail(req);
  put_attr(req, type, NULL, 0);
  return attr;
}

static void end_nest(struct request *req, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((char *)tail(req) - (char *)nest);
}

static void begin(struct request *req, unsigned short type, unsigned short flags, const void *header, size_t length) {
  memset(req, 0, sizeof *req);
  req->header.nlmsg_type = type;
  req->header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  req->header.nlmsg_len = NLMSG_LENGTH(length);
  memcpy(NLMSG_DATA(&req->header), header, length);
}

/* Sends one request and reads its acknowledgement: 0, or the (positive) errno it carries. */
static int transact(int fd, struct request *req) {
  static unsigned int sequence = 1;
  req->header.nlmsg_seq = sequence++;
  if (send(fd, req, req->header.nlmsg_len, 0) < 0) return errno;
  char answer[8192];
  for (;;) {
    ssize_t got = recv(fd, answer, sizeof answer, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)answer; NLMSG_OK(h, (unsigned int)got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_seq != req->header.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return -e->error;
      }
    }
  }
}

static int open_route_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  /* Acknowledgements without a copy of the request: an error ack always fits the buffer. */
  int on = 1;
  if (fd >= 0) setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  return fd;
}

static int enter_netns(const char *file, struct netlink_failure *failure) {
  if (file[0] == '\0') return 0;
  int ns = open(file, O_RDONLY | O_CLOEXEC);
  if (ns < 0) return fail(failure, "open", file, errno);
  int rc = setns(ns, CLONE_NEWNET);
  int err = errno;
  close(ns);
  return rc == 0 ? 0 : fail(failure, "setns", file, err);
}

/* RTM_NEWLINK/SETLINK of an existing link: flags, and optionally its master. */
static int set_link(int fd, int index, unsigned int up, int master) {
  struct request req;
  struct ifinfomsg info = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_change = IFF_UP, .ifi_flags = up ? IFF_UP : 0 };
  begin(&req, RTM_NEWLINK, 0, &info, sizeof info);
  if (master > 0) put_attr(&req, IFLA_MASTER, &master, sizeof master);
  return transact(fd, &req);
}

static int delete_link_named(int fd, const char *name) {
  struct request req;
  struct ifinfomsg info = { .ifi_family = AF_UNSPEC };
  begin(&req, RTM_DELLINK, 0, &info, sizeof info);
  put_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
  return transact(fd, &req);
}

static int create_pair(int fd, const struct veth_job *job, int pod_ns) {
  struct request req;
  struct ifinfomsg info = { .ifi_family = AF_UNSPEC };
  begin(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &info, sizeof info);
  put_attr(&req, IFLA_IFNAME, job->host_name, strlen(job->host_name) + 1);
  struct rtattr *linkinfo = begin_nest(&req, IFLA_LINKINFO);
  put_attr(&req, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = begin_nest(&req, IFLA_INFO_DATA);
  struct rtattr *peer = begin_nest(&req, VETH_INFO_PEER);
  struct ifinfomsg peer_info = { .ifi_family = AF_UNSPEC };
  memcpy(tail(&req), &peer_info, sizeof peer_info);
  req.header.nlmsg_len += NLMSG_ALIGN(sizeof peer_info);
  put_attr(&req, IFLA_IFNAME, job->pod_name, strlen(job->pod_name) + 1);
  put_attr(&req, IFLA_NET_NS_FD, &pod_ns, sizeof pod_ns);
  end_nest(&req, peer);
  end_nest(&req, data);
  end_nest(&req, linkinfo);
  return transact(fd, &req);
}

/* `bridge link set dev X hairpin on`: the port's mode through AF_BRIDGE's IFLA_PROTINFO. */
static int set_hairpin(int fd, int index) {
  struct request req;
  struct ifinfomsg info = { .ifi_family = AF_BRIDGE, .ifi_index = index };
  begin(&req, RTM_SETLINK, 0, &info, sizeof info);
  struct rtattr *protinfo = begin_nest(&req, IFLA_PROTINFO | NLA_F_NESTED);
  unsigned char on = 1;
  put_attr(&req, IFLA_BRPORT_MODE, &on, sizeof on);
  end_nest(&req, protinfo);
  return transact(fd, &req);
}

static int replace_address(int fd, int index, uint32_t ip, unsigned char prefix) {
  struct request req;
  struct ifaddrmsg info = { .ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_index = (unsigned int)index, .ifa_scope = RT_SCOPE_UNIVERSE };
  begin(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &info, sizeof info);
  put_attr(&req, IFA_LOCAL, &ip, sizeof ip);
  put_attr(&req, IFA_ADDRESS, &ip, sizeof ip);
  return transact(fd, &req);
}

static int replace_default_route(int fd, int index, uint32_t gateway) {
  struct request req;
  struct rtmsg info = {
    .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
    .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST,
  };
  begin(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &info, sizeof info);
  put_attr(&req, RTA_GATEWAY, &gateway, sizeof gateway);
  put_attr(&req, RTA_OIF, &index, sizeof index);
  return transact(fd, &req);
}

static int host_side(struct veth_job *job, int pod_ns) {
  struct netlink_failure *f = &job->failure;
  int bridge = (int)if_nametoindex(job->bridge);
  if (bridge == 0) return fail(f, "if_nametoindex", job->bridge, errno);
  int fd = open_route_socket();
  if (fd < 0) return fail(f, "socket(NETLINK_ROUTE)", NULL, errno);
  int err = create_pair(fd, job, pod_ns);
  if (err == EEXIST) {
    /* A host end left by an interrupted setup: remove it (its peer goes with it) and retry. */
    err = delete_link_named(fd, job->host_name);
    if (err == 0 || err == ENODEV) err = create_pair(fd, job, pod_ns);
  }
  int rc = 0;
  int index = 0;
  if (err != 0) rc = fail(f, "RTM_NEWLINK veth", job->host_name, err);
  else if ((index = (int)if_nametoindex(job->host_name)) == 0) rc = fail(f, "if_nametoindex", job->host_name, errno);
  else if ((err = set_link(fd, index, 0, bridge)) != 0) rc = fail(f, "RTM_NEWLINK master", job->host_name, err);
  else if ((err = set_hairpin(fd, index)) != 0) rc = fail(f, "RTM_SETLINK hairpin", job->host_name, err);
  else if ((err = set_link(fd, index, 1, 0)) != 0) rc = fail(f, "RTM_NEWLINK up", job->host_name, err);
  close(fd);
  return rc;
}

static int pod_side(struct veth_job *job) {
  struct netlink_failure *f = &job->failure;
  int fd = open_route_socket();
  if (fd < 0) return fail(f, "socket(NETLINK_ROUTE)", NULL, errno);
  int rc = 0, err = 0;
  int lo = (int)if_nametoindex("lo");
  int index = (int)if_nametoindex(job->pod_name);
  if (lo == 0) rc = fail(f, "if_nametoindex", "lo", errno);
  else if (index == 0) rc = fail(f, "if_nametoindex", job->pod_name, errno);
  else if ((err = set_link(fd, lo, 1, 0)) != 0) rc = fail(f, "RTM_NEWLINK up", "lo", err);
  else if ((err = replace_address(fd, index, job->ip, job->prefix_length)) != 0) rc = fail(f, "RTM_NEWADDR", job->pod_name, err);
  else if ((err = set_link(fd, index, 1, 0)) != 0) rc = fail(f, "RTM_NEWLINK up", job->pod_name, err);
  else if ((err = replace_default_route(fd, index, job->gateway)) != 0) rc = fail(f, "RTM_NEWROUTE default", job->pod_name, err);
  close(fd);
  return rc;
}

int veth_child(void *arg) {
  struct veth_job *job = arg;
  int pod_ns = open(job->pod_netns, O_RDONLY | O_CLOEXEC);
  if (pod_ns < 0) _exit(fail(&job->failure, "open", job->pod_netns, errno));
  if (enter_netns(job->host_netns, &job->failure) != 0 || host_side(job, pod_ns) != 0) _exit(1);
  if (setns(pod_ns, CLONE_NEWNET) != 0) _exit(fail(&job->failure, "setns", job->pod_netns, errno));
  close(pod_ns);
  _exit(pod_side(job));
}

int delete_link_child(void *arg) {
  struct delete_link_job *job = arg;
  if (enter_netns(job->netns, &job->failure) != 0) _exit(1);
  int fd = open_route_socket();
  if (fd < 0) _exit(fail(&job->failure, "socket(NETLINK_ROUTE)", NULL, errno));
  int err = delete_link_named(fd, job->name);
  close(fd);
  if (err == ENODEV) _exit(0);
  if (err != 0) _exit(fail(&job->failure, "RTM_DELLINK", job->name, err));
  job->existed = 1;
  _exit(0);
}

int link_state_child(void *arg) {
  struct link_state_job *job = arg;
  if (enter_netns(job->netns, &job->failure) != 0) _exit(1);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) _exit(fail(&job->failure, "socket", NULL, errno));
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, job->name, IF_NAMESIZE); /* NUL-terminated: read_string checked the length */
  if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) {
    int err = errno;
    close(fd);
    if (err == ENODEV) _exit(0);
    _exit(fail(&job->failure, "ioctl(SIOCGIFINDEX)", job->name, err));
  }
  job->index = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    int err = errno;
    close(fd);
    _exit(fail(&job->failure, "ioctl(SIOCGIFFLAGS)", job->name, err));
  }
  job->up = (ifr.ifr_flags & IFF_UP) != 0;
  close(fd);
  _exit(0);
}
