/**
 * @module host/instance-files — what a private systemd boots from: its unit set and two scripts.
 *
 * `units/` is the instance's SYSTEMD_UNIT_PATH besides systemd's runtime dirs (no trailing ':',
 * so no host unit is visible): a custom default target, minimal sysinit/sockets/basic targets (transient services
 * need them through DefaultDependencies), journald without /dev/log, D-Bus, and the stock
 * shutdown units so SIGRTMIN+4 powers the instance off cleanly; plus the caller's own units
 * (rocklet.service for the host mode), wanted by the default target.
 * `launch.sh` joins the instance cgroups and execs unshare; `init.sh` runs as PID 1 of the new
 * namespaces, sets up the private mounts and execs systemd.
 */
import { access, copyFile, lstat, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errnoCode, failedPrecondition } from '../util/index.js';
import type { CgroupDir, Hierarchy } from './cgroup-tree.js';
import { CGROUP_MOUNT_ROOT } from './cgroup-tree.js';

/** The cgroup layout a test systemd runs with. */
export type CgroupMode = 'hybrid' | 'unified';

/** Where systemd lives: Debian 12 has /lib → /usr/lib; prefer the canonical /usr/lib path. */
export async function systemdLibDir(): Promise<string> {
  for (const dir of ['/usr/lib/systemd', '/lib/systemd']) {
    try {
      await access(join(dir, 'systemd'));
      return dir;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  throw failedPrecondition('ERR_HOST_NO_SYSTEMD', 'systemd not found in /usr/lib/systemd or /lib/systemd', {
    hint: 'install the systemd package (apt-get install systemd); rocklet boots it privately where PID 1 is not systemd',
  });
}

const STOCK_UNITS = [
  'systemd-journald.socket', 'dbus.socket', 'dbus.service',
  'shutdown.target', 'umount.target', 'final.target', 'exit.target', 'systemd-exit.service',
  'poweroff.target', 'systemd-poweroff.service', 'halt.target', 'systemd-halt.service',
] as const;

function unitFile(sections: Record<string, readonly string[]>): string {
  return Object.entries(sections).map(([name, lines]) => `[${name}]\n${lines.join('\n')}\n`).join('');
}

/** Units of the caller's, started with the instance (file name → unit file text). */
export interface ExtraUnits {
  readonly [name: string]: string;
}

/** Writes the minimal unit set, plus `extra` (wanted by the default target), into `unitsDir` (which must exist). */
export async function writeUnits(unitsDir: string, libDir: string, extra: ExtraUnits = {}): Promise<void> {
  const wants = ['dbus.service', ...Object.keys(extra).filter((name) => name.endsWith('.service'))];
  const own: Record<string, string> = {
    'private.target': unitFile({ Unit: ['Description=rocklet private systemd', 'Requires=basic.target', `Wants=${wants.join(' ')}`, 'After=basic.target', 'AllowIsolate=yes'] }),
    'sysinit.target': unitFile({ Unit: ['Description=System Initialization (minimal)', 'DefaultDependencies=no', 'Wants=systemd-journald.service'] }),
    'sockets.target': unitFile({ Unit: ['Description=Sockets (minimal)', 'DefaultDependencies=no', 'Wants=dbus.socket systemd-journald.socket'] }),
    'basic.target': unitFile({ Unit: ['Description=Basic System (minimal)', 'DefaultDependencies=no', 'Requires=sysinit.target sockets.target', 'After=sysinit.target sockets.target'] }),
    'systemd-journald.service': unitFile({
      Unit: ['Description=Journal Service', 'DefaultDependencies=no', 'Requires=systemd-journald.socket', 'After=systemd-journald.socket', 'Before=sysinit.target'],
      Service: [
        'Type=notify', `ExecStart=${libDir}/systemd-journald`, 'Sockets=systemd-journald.socket', 'Restart=always',
        'RestartSec=0', 'RuntimeDirectory=systemd/journal', 'RuntimeDirectoryPreserve=yes', 'StandardOutput=null',
        'FileDescriptorStoreMax=4224',
      ],
    }),
  };
  for (const [name, text] of Object.entries({ ...own, ...extra })) await writeFile(join(unitsDir, name), text);
  await symlink('private.target', join(unitsDir, 'default.target'));
  for (const name of STOCK_UNITS) await copyFile(join(libDir, 'system', name), join(unitsDir, name));
}

/** Single-quotes `s` for /bin/sh. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Symlinks directly under /sys/fs/cgroup (e.g. cpu → cpu,cpuacct) to recreate inside. */
async function cgroupSymlinks(): Promise<Array<[string, string]>> {
  const links: Array<[string, string]> = [];
  for (const entry of await readdir(CGROUP_MOUNT_ROOT)) {
    const path = join(CGROUP_MOUNT_ROOT, entry);
    if ((await lstat(path)).isSymbolicLink()) links.push([entry, await readlink(path)]);
  }
  return links;
}

/** The shell lines that give PID 1 its cgroup view, rooted at the namespace root. */
async function cgroupMountLines(mode: CgroupMode, hierarchies: readonly Hierarchy[]): Promise<string[]> {
  const lines = [`umount -l ${CGROUP_MOUNT_ROOT}`];
  if (mode === 'unified') {
    lines.push(`mount -t cgroup2 -o nsdelegate cgroup2 ${CGROUP_MOUNT_ROOT}`);
    return lines;
  }
  lines.push(`mount -t tmpfs -o mode=755 tmpfs ${CGROUP_MOUNT_ROOT}`);
  for (const h of hierarchies.filter((x) => x.fsType === 'cgroup')) {
    const opts = h.controllers.some((c) => !c.startsWith('name=')) ? h.controllers : ['none', ...h.controllers];
    const dir = join(CGROUP_MOUNT_ROOT, basename(h.mountPoint));
    lines.push(`mkdir -p ${dir}`, `mount -t cgroup -o ${opts.join(',')} cgroup ${dir}`);
  }
  for (const [name, target] of await cgroupSymlinks()) lines.push(`ln -s ${shQuote(target)} ${shQuote(join(CGROUP_MOUNT_ROOT, name))}`);
  lines.push(`mkdir -p ${CGROUP_MOUNT_ROOT}/unified`, `mount -t cgroup2 cgroup2 ${CGROUP_MOUNT_ROOT}/unified`);
  return lines;
}

const JOURNALD_CONF = [
  '[Journal]', 'Storage=volatile', 'RuntimeMaxUse=16M', 'ReadKMsg=no',
  'ForwardToSyslog=no', 'ForwardToKMsg=no', 'ForwardToConsole=no', 'ForwardToWall=no',
].join('\\n');

/** Options of {@link writeScripts}. */
export interface ScriptOptions {
  readonly dir: string;
  readonly mode: CgroupMode;
  readonly privateNetwork: boolean;
  /** Units copied into the instance's /run, bus socket kept there (not in `<dir>/dbus`). */
  readonly selfContained: boolean;
  readonly hierarchies: readonly Hierarchy[];
  readonly cgroups: readonly CgroupDir[];
  readonly libDir: string;
  /** `$container` of the instance's PID 1 (systemd-detect-virt shows it). */
  readonly container: string;
}

/**
 * The lines that put a fresh tmpfs on /run. An instance dir below /run is bound back at its own
 * path first (the tmpfs is prepared beside it and moved over /run), so host and instance reach
 * the dir, and the bus socket in it, by the same path.
 */
function runTmpfsLines(dir: string): string[] {
  if (!dir.startsWith('/run/')) return ['mount -t tmpfs -o mode=755,size=64m tmpfs /run'];
  const staging = shQuote(join(dir, 'run'));
  return [
    `mkdir -p ${staging}`,
    `mount -t tmpfs -o mode=755,size=64m tmpfs ${staging}`,
    `mkdir -p ${shQuote(join(dir, 'run', dir.slice('/run/'.length)))}`,
    `mount --bind ${shQuote(dir)} ${shQuote(join(dir, 'run', dir.slice('/run/'.length)))}`,
    `mount -n --move ${staging} /run`,
  ];
}

/**
 * systemd's own runtime unit dirs, which SYSTEMD_UNIT_PATH (without a trailing ':') would leave
 * out: transient units live in /run/systemd/transient and `systemctl set-property --runtime`
 * writes to /run/systemd/system.control. A daemon-reload re-reads every unit from the search
 * path; without these every transient unit (all of a pod's) becomes `not-found`, its
 * description and properties gone, while its processes still run.
 */
const RUNTIME_UNIT_DIRS = ['/run/systemd/system.control', '/run/systemd/transient'] as const;

/** Writes `launch.sh` and `init.sh` into the instance dir. */
export async function writeScripts(o: ScriptOptions): Promise<void> {
  const d = shQuote(o.dir);
  const init = [
    '#!/bin/sh',
    '# PID 1 of the instance namespaces: private mounts, then exec systemd.',
    'set -e',
    'mount --make-rprivate /',
    ...runTmpfsLines(o.dir),
    ...(o.selfContained
      ? ['mkdir -p /run/dbus /run/rocklet-private', `cp -a ${d}/units /run/rocklet-private/units`]
      : [`mkdir -p /run/dbus && mount --bind ${d}/dbus /run/dbus`]),
    'mkdir -p /run/systemd/journald.conf.d',
    `printf '${JOURNALD_CONF}\\n' >/run/systemd/journald.conf.d/50-rocklet-private.conf`,
    // PID 1 always writes to /dev/console; a regular file there keeps it off the machine's console.
    `mount --bind ${d}/console.log /dev/console`,
    // Without this a volatile journal is still not enough: journald would find the host's dir.
    'if [ -d /var/log/journal ]; then mount -t tmpfs -o mode=755,size=1m tmpfs /var/log/journal; fi',
    ...(await cgroupMountLines(o.mode, o.hierarchies)),
    `export container=${shQuote(o.container)} SYSTEMD_UNIT_PATH=${RUNTIME_UNIT_DIRS.join(':')}:${o.selfContained ? '/run/rocklet-private/units' : `${d}/units`}`,
    `exec ${o.libDir}/systemd --system --log-target=journal --log-level=info --show-status=no`,
    '',
  ];
  const unshare = [
    'unshare', '--cgroup', '--pid', '--mount', '--uts', '--ipc', ...(o.privateNetwork ? ['--net'] : []),
    '--fork', '--kill-child=SIGKILL', '--mount-proc', `${d}/init.sh`,
  ];
  const launch = [
    '#!/bin/sh',
    '# Runs under setpriv --pdeathsig SIGKILL: join the instance cgroups, then become unshare.',
    'set -e',
    ...o.cgroups.map((cg) => `echo $$ >${shQuote(join(cg.path, 'cgroup.procs'))}`),
    `exec ${unshare.join(' ')}`,
    '',
  ];
  await writeFile(join(o.dir, 'init.sh'), init.join('\n'), { mode: 0o755 });
  await writeFile(join(o.dir, 'launch.sh'), launch.join('\n'), { mode: 0o755 });
}
