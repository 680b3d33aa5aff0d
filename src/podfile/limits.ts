/**
 * @module podfile/limits — the size limits of a pod (formats.md §3.4, §4 #34), named in every
 * message that enforces them. Kernel-derived ones say where they come from.
 */
export const POD_LIMITS = {
  containers: 32,
  initContainers: 16,
  volumes: 128,
  envPerContainer: 1024,
  portsPerContainer: 64,
  mountsPerContainer: 64,
  /** Items of command + args. */
  argvItems: 4096,
  /** MAX_ARG_STRLEN: the kernel refuses a longer single argument or environment string. */
  argBytes: 131_072,
  labels: 256,
  /** Kubernetes' total size of all annotation keys and values. */
  annotationBytes: 262_144,
  hostAliases: 64,
  hostnamesPerAlias: 32,
  /** Kubernetes' and glibc's limits for resolv.conf. */
  nameservers: 3,
  searches: 32,
  dnsOptions: 32,
  sysctls: 64,
  supplementalGroups: 64,
  capabilities: 64,
  /** Largest uid/gid accepted (int32, as Kubernetes' runAsUser). */
  maxId: 2_147_483_647,
  /** A memory limit below this cannot start a container runtime. */
  minMemoryLimitBytes: 4 * 1024 * 1024,
} as const;
