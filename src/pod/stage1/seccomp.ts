/**
 * @module pod/stage1/seccomp — seccomp policies → OCI seccomp profiles (pure).
 *
 * `RuntimeDefault` is rocklet's own profile, not crun's (crun has none built in): Docker's
 * default as a deny list — the syscalls Docker's profile refuses to an unprivileged
 * container fail with EPERM unless one of the app's capabilities unlocks them (an app given
 * CAP_SYS_ADMIN may mount, CAP_SYS_TIME may set the clock, as with Docker). A deny list
 * keeps unknown future syscalls working; the capability bounding set and no_new_privs stay
 * the primary fence. `Unconfined` writes no profile.
 *
 * appc retain/remove sets map to an allow list (default ERRNO) or a deny list (default
 * ALLOW). A retain set always includes {@link RUNTIME_SYSCALLS}: crun loads the filter before
 * it drops privileges and execs the app, so those calls must pass or nothing starts.
 */
import { constants as osConstants } from 'node:os';
import { assertNever, invalidArgument } from '../../util/index.js';
import type { CapabilityName, SeccompPolicy } from '../../podfile/index.js';
import type { OciSeccomp, OciSyscallRule } from './oci-spec.js';

/** Refused by RuntimeDefault whatever the capabilities (keyrings are not namespaced; obsolete calls). */
const ALWAYS_BLOCKED = [
  'add_key', 'keyctl', 'request_key', 'userfaultfd', 'create_module', 'get_kernel_syms', 'query_module', 'nfsservctl',
  'sysfs', '_sysctl', 'uselib', 'ustat', 'vm86', 'vm86old',
] as const;

/** Refused by RuntimeDefault unless the app holds the capability (Docker's conditions). */
const BLOCKED_UNLESS: Readonly<Record<string, readonly string[]>> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'unshare', 'setns', 'pivot_root', 'quotactl', 'name_to_handle_at', 'lookup_dcookie',
    'bpf', 'perf_event_open', 'swapon', 'swapoff', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree',
    'mount_setattr',
  ],
  CAP_SYS_BOOT: ['reboot', 'kexec_load', 'kexec_file_load'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_adjtime'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_NICE: ['get_mempolicy', 'set_mempolicy', 'mbind', 'move_pages'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_PTRACE: ['kcmp'],
};

/** Every syscall RuntimeDefault can refuse (the `@rocklet/default-blocklist` group). */
export const DEFAULT_BLOCKLIST: readonly string[] = [...ALWAYS_BLOCKED, ...Object.values(BLOCKED_UNLESS).flat()].sort();

/** What crun (after loading the filter) and a static binary need to start; added to retain sets. */
export const RUNTIME_SYSCALLS: readonly string[] = [
  'execve', 'execveat', 'exit', 'exit_group', 'brk', 'mmap', 'munmap', 'mprotect', 'arch_prctl', 'set_tid_address',
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'close', 'close_range', 'fcntl', 'getpid', 'getppid', 'getuid',
  'geteuid', 'getgid', 'getegid', 'capget', 'capset', 'prctl', 'setresuid', 'setresgid', 'setgroups', 'read', 'write',
  'openat', 'fstat', 'newfstatat', 'statx', 'access', 'readlink', 'uname', 'futex', 'getdents64',
];

/** Group names accepted in appc sets, and what they stand for (`all` is special). */
const GROUPS: Readonly<Record<string, readonly string[] | 'all'>> = {
  '@appc.io/all': 'all',
  '@appc.io/empty': [],
  '@rocklet/default-blocklist': DEFAULT_BLOCKLIST,
  '@docker/default-blacklist': DEFAULT_BLOCKLIST,
  '@rkt/default-blacklist': DEFAULT_BLOCKLIST,
};

/** libseccomp architectures covering the host's native and compat ABIs (Docker's lists). */
export function seccompArchitectures(arch: string = process.arch): readonly string[] {
  switch (arch) {
    case 'x64':
      return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
    case 'arm64':
      return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
    default:
      // libseccomp always includes the native architecture.
      return [];
  }
}

function errnoNumber(name: string | undefined): number {
  if (name === undefined) return osConstants.errno.EPERM;
  const value = (osConstants.errno as Readonly<Record<string, number>>)[name];
  if (value === undefined) throw invalidArgument('ERR_SECCOMP_ERRNO', `unknown errno "${name}" in seccomp set`);
  return value;
}

/** Expands groups; `'all'` when the set contains @appc.io/all. */
function expandSet(names: readonly string[]): string[] | 'all' {
  const out = new Set<string>();
  for (const name of names) {
    if (!name.startsWith('@')) {
      out.add(name);
      continue;
    }
    const group = GROUPS[name];
    if (group === undefined) {
      throw invalidArgument('ERR_SECCOMP_GROUP', `unknown seccomp group "${name}"`, {
        hint: `known groups: ${Object.keys(GROUPS).join(', ')}`,
      });
    }
    if (group === 'all') return 'all';
    for (const syscall of group) out.add(syscall);
  }
  return [...out].sort();
}

/** RuntimeDefault's deny list for an app holding `capabilities`. */
export function defaultBlockedSyscalls(capabilities: readonly CapabilityName[]): string[] {
  const held = new Set<string>(capabilities);
  const blocked: string[] = [...ALWAYS_BLOCKED];
  for (const [capability, syscalls] of Object.entries(BLOCKED_UNLESS)) {
    if (!held.has(capability)) blocked.push(...syscalls);
  }
  return blocked.sort();
}

/**
 * The OCI profile for `policy` (undefined: no filter). Throws ERR_SECCOMP_GROUP or
 * ERR_SECCOMP_ERRNO (invalid-argument) for an unknown group or errno name.
 */
export function seccompProfile(policy: SeccompPolicy, capabilities: readonly CapabilityName[], arch?: string, localhost?: OciSeccomp): OciSeccomp | undefined {
  const architectures = seccompArchitectures(arch);
  switch (policy.kind) {
    case 'Unconfined':
      return undefined;
    case 'Localhost':
      if (localhost === undefined) {
        throw invalidArgument('ERR_SECCOMP_PROFILE_NOT_LOADED', `seccomp profile "${policy.profile}" was not read when the pod was prepared`);
      }
      return localhost;
    case 'RuntimeDefault':
      return { defaultAction: 'SCMP_ACT_ALLOW', architectures, syscalls: [deny(defaultBlockedSyscalls(capabilities), undefined)] };
    case 'syscalls': {
      const set = expandSet(policy.syscalls);
      if (policy.mode === 'retain') {
        if (set === 'all') return undefined;
        const allowed = [...new Set([...set, ...RUNTIME_SYSCALLS])].sort();
        return {
          defaultAction: 'SCMP_ACT_ERRNO',
          ...(policy.errno === undefined ? {} : { defaultErrnoRet: errnoNumber(policy.errno) }),
          architectures,
          syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }],
        };
      }
      if (set === 'all') {
        throw invalidArgument('ERR_SECCOMP_GROUP', 'seccomp remove set @appc.io/all would refuse every syscall; nothing could start');
      }
      return { defaultAction: 'SCMP_ACT_ALLOW', architectures, syscalls: set.length === 0 ? [] : [deny(set, policy.errno)] };
    }
    default:
      return assertNever(policy, 'seccomp policy');
  }
}

function deny(names: readonly string[], errno: string | undefined): OciSyscallRule {
  return { names, action: 'SCMP_ACT_ERRNO', errnoRet: errnoNumber(errno) };
}
