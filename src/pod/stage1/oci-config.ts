/**
 * @module pod/stage1/oci-config — `buildOciConfig`: a resolved {@link Stage1App} → the OCI
 * `config.json` object. Pure: no disk, no clock, same input → same output.
 *
 * Fixed choices (see README.md): the capability set is bounding = effective = permitted, with
 * no inheritable or ambient capabilities (a non-root app keeps only the bounding set across
 * exec, as with Docker); the app gets its own mount, PID and cgroup namespaces; no rlimits are
 * set (this kind of host cannot raise them); no AppArmor or SELinux label. Sysctls go into
 * `linux.sysctl` only when the namespace they belong to is not the host's.
 */
import path from 'node:path';
import { isSysctlName, notNamespacedSysctl, sysctlNamespace } from '../../image/index.js';
import { assertNever, invalidArgument } from '../../util/index.js';
import type { NamespaceChoice, Stage1App, Stage1Mount, Stage1Resources } from './app.js';
import { DEFAULT_PATH, MASKED_PATHS, READONLY_PATHS, SYSTEM_MOUNTS } from './oci-defaults.js';
import type { OciLinux, OciMount, OciNamespace, OciNamespaceType, OciProcess, OciResources, OciSpec } from './oci-spec.js';
import { OCI_VERSION } from './oci-spec.js';
import { seccompProfile } from './seccomp.js';

const MAX_ID = 0xfffffffe;

function invalid(app: Stage1App, message: string): never {
  throw invalidArgument('ERR_STAGE1_APP_INVALID', `app "${app.name}": ${message}`);
}

/** True for `/a/b` (absolute, normalised, no trailing slash except `/`). */
export function isCleanAbsolutePath(p: string): boolean {
  return p.startsWith('/') && path.posix.normalize(p) === p && (p === '/' || !p.endsWith('/')) && !p.includes('\0');
}

function checkId(app: Stage1App, what: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) invalid(app, `${what} ${id} is not a valid id`);
}

function buildEnv(app: Stage1App): string[] {
  const values = new Map<string, string>();
  for (const { name, value } of app.env) {
    if (name === '' || name.includes('=') || name.includes('\0') || value.includes('\0')) invalid(app, `bad environment variable name "${name}"`);
    values.delete(name); // a later duplicate wins and takes the later position
    values.set(name, value);
  }
  if (!values.has('PATH')) values.set('PATH', DEFAULT_PATH);
  return [...values].map(([name, value]) => `${name}=${value}`);
}

function buildProcess(app: Stage1App): OciProcess {
  if (app.args.length === 0 || app.args[0] === '') invalid(app, 'no command to run (empty args)');
  if (!isCleanAbsolutePath(app.cwd)) invalid(app, `working directory "${app.cwd}" is not a clean absolute path`);
  checkId(app, 'uid', app.user.uid);
  checkId(app, 'gid', app.user.gid);
  for (const gid of app.user.additionalGids) checkId(app, 'supplementary gid', gid);
  const caps = [...new Set<string>(app.capabilities)].sort();
  if (app.oomScoreAdj !== undefined && (!Number.isInteger(app.oomScoreAdj) || Math.abs(app.oomScoreAdj) > 1000)) {
    invalid(app, `oom score adjustment ${app.oomScoreAdj} is outside −1000…1000`);
  }
  const gids = [...new Set(app.user.additionalGids)].filter((gid) => gid !== app.user.gid);
  return {
    terminal: app.terminal ?? false,
    user: { uid: app.user.uid, gid: app.user.gid, ...(gids.length === 0 ? {} : { additionalGids: gids }) },
    args: [...app.args],
    env: buildEnv(app),
    cwd: app.cwd,
    capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
    noNewPrivileges: app.noNewPrivileges,
    ...(app.oomScoreAdj === undefined ? {} : { oomScoreAdj: app.oomScoreAdj }),
  };
}

function toOciMount(mount: Stage1Mount): OciMount {
  switch (mount.kind) {
    case 'bind':
      return {
        destination: mount.destination,
        type: 'bind',
        source: mount.source,
        options: [mount.recursive ? 'rbind' : 'bind', 'rprivate', ...(mount.readOnly ? ['ro'] : [])],
      };
    case 'tmpfs':
      return {
        destination: mount.destination,
        type: 'tmpfs',
        source: 'tmpfs',
        options: [
          'nosuid',
          'nodev',
          `mode=${(mount.mode ?? 0o755).toString(8).padStart(4, '0')}`,
          ...(mount.sizeBytes === undefined ? [] : [`size=${mount.sizeBytes}`]),
          ...(mount.readOnly === true ? ['ro'] : []),
        ],
      };
    default:
      return assertNever(mount, 'mount kind');
  }
}

const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);

/** System mounts first (minus those an app mount replaces), then app mounts, parents before children. */
function buildMounts(app: Stage1App): OciMount[] {
  const seen = new Set<string>();
  for (const mount of app.mounts) {
    if (!isCleanAbsolutePath(mount.destination) || mount.destination === '/') {
      invalid(app, `mount destination "${mount.destination}" is not a clean absolute path below /`);
    }
    if (mount.kind === 'bind' && !path.isAbsolute(mount.source)) invalid(app, `bind mount source "${mount.source}" is not absolute`);
    if (seen.has(mount.destination)) invalid(app, `two mounts at "${mount.destination}"`);
    seen.add(mount.destination);
  }
  const system = SYSTEM_MOUNTS.filter((m) => !seen.has(m.destination));
  // A stable sort by depth: /data before /data/cache whatever order the caller used.
  const own = [...app.mounts].sort((a, b) => depth(a.destination) - depth(b.destination)).map(toOciMount);
  return [...(app.privileged === true ? privilegedSystemMounts(system) : system), ...own];
}

function namespaceEntry(app: Stage1App, type: OciNamespaceType, choice: NamespaceChoice): OciNamespace[] {
  switch (choice.kind) {
    case 'new':
      return [{ type }];
    case 'join':
      if (!path.isAbsolute(choice.path)) invalid(app, `${type} namespace path "${choice.path}" is not absolute`);
      return [{ type, path: choice.path }];
    case 'host':
      return [];
    default:
      return assertNever(choice, 'namespace choice');
  }
}

function buildNamespaces(app: Stage1App): OciNamespace[] {
  const ns = app.namespaces;
  return [
    ...namespaceEntry(app, 'pid', ns.pid ?? { kind: 'new' }),
    ...namespaceEntry(app, 'network', ns.network),
    ...namespaceEntry(app, 'ipc', ns.ipc),
    ...namespaceEntry(app, 'uts', ns.uts),
    { type: 'mount' },
    ...namespaceEntry(app, 'cgroup', ns.cgroup ?? { kind: 'new' }),
  ];
}

function positive(app: Stage1App, what: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) invalid(app, `${what} ${value} must be a positive integer`);
}

/** A privileged app's /sys and cgroup mounts are writable (Docker's and Kubernetes' privileged). */
function privilegedSystemMounts(mounts: readonly OciMount[]): OciMount[] {
  return mounts.map((m) => (m.type === 'sysfs' || m.type === 'cgroup' ? { ...m, options: m.options.filter((o) => o !== 'ro').concat('rw') } : m));
}

function buildResources(app: Stage1App, r: Stage1Resources): OciResources {
  positive(app, 'memory limit', r.memoryBytes);
  positive(app, 'cpu quota', r.cpu?.quotaUs);
  positive(app, 'cpu period', r.cpu?.periodUs);
  positive(app, 'cpu shares', r.cpuShares);
  positive(app, 'pids limit', r.pids);
  const cpu = r.cpu === undefined && r.cpuShares === undefined
    ? undefined
    : { ...(r.cpuShares === undefined ? {} : { shares: r.cpuShares }), ...(r.cpu === undefined ? {} : { quota: r.cpu.quotaUs, period: r.cpu.periodUs }) };
  return {
    devices: [{ allow: app.privileged === true, access: 'rwm' }],
    ...(r.memoryBytes === undefined ? {} : { memory: { limit: r.memoryBytes } }),
    ...(cpu === undefined ? {} : { cpu }),
    ...(r.pids === undefined ? {} : { pids: { limit: r.pids } }),
  };
}

/** `linux.sysctl` (undefined when there are none); refuses a sysctl that would change the host. */
function buildSysctl(app: Stage1App): Record<string, string> | undefined {
  const entries = Object.entries(app.sysctls ?? {});
  if (entries.length === 0) return undefined;
  for (const [name, value] of entries) {
    if (!isSysctlName(name)) invalid(app, `"${name}" is not a valid sysctl name`);
    if (value.includes('\0')) invalid(app, `sysctl "${name}" has a NUL byte in its value`);
    const owner = sysctlNamespace(name);
    if (owner === undefined) invalid(app, notNamespacedSysctl(name));
    if (app.namespaces[owner].kind === 'host') invalid(app, `sysctl "${name}" belongs to the ${owner === 'ipc' ? 'IPC' : 'network'} namespace, and the app shares the host's`);
  }
  return Object.fromEntries(entries);
}

/** CPU quota for `millicores` of CPU in each `periodUs` (1000m = one CPU). */
export function cpuQuota(millicores: number, periodUs = 100_000): { quotaUs: number; periodUs: number } {
  return { quotaUs: Math.max(1_000, Math.round((millicores * periodUs) / 1000)), periodUs };
}

/**
 * The OCI runtime config (1.0.2 subset) for `app`. Throws ERR_STAGE1_APP_INVALID
 * (invalid-argument) naming the field for input no runtime could use, and the seccomp errors
 * of {@link seccompProfile}.
 */
export function buildOciConfig(app: Stage1App): OciSpec {
  if (!path.isAbsolute(app.rootfs)) invalid(app, `rootfs "${app.rootfs}" is not absolute`);
  if (app.hostname !== undefined && app.namespaces.uts.kind === 'host') invalid(app, 'a hostname needs a UTS namespace of its own or the pod\'s');
  const seccomp = seccompProfile(app.seccomp, app.capabilities, undefined, app.seccompProfile);
  const sysctl = buildSysctl(app);
  const unmasked = app.unmaskKernelPaths === true || app.privileged === true;
  const linux: OciLinux = {
    namespaces: buildNamespaces(app),
    ...(app.resources === undefined ? {} : { resources: buildResources(app, app.resources) }),
    maskedPaths: unmasked ? [] : [...MASKED_PATHS],
    readonlyPaths: unmasked ? [] : [...READONLY_PATHS],
    ...(seccomp === undefined ? {} : { seccomp }),
    ...(sysctl === undefined ? {} : { sysctl }),
    ...(app.devices === undefined || app.devices.length === 0 ? {} : { devices: app.devices }),
  };
  return {
    ociVersion: OCI_VERSION,
    process: buildProcess(app),
    root: { path: app.rootfs, readonly: app.readOnlyRootfs },
    ...(app.hostname === undefined ? {} : { hostname: app.hostname }),
    mounts: buildMounts(app),
    linux,
    annotations: { 'io.rocklet.app.name': app.name, ...app.annotations },
  };
}
