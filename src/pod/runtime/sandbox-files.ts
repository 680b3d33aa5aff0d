/**
 * @module pod/runtime/sandbox-files — the parts of a pod sandbox that are files: the IPC and
 * UTS namespaces bound to files (made by util's native helper, the way the net layer binds
 * network namespaces; `unshare --ipc=F --uts=F hostname H` through `nsenter` when the pod's
 * mount namespace is not this process's own, as in tests), and the pod's `/etc/hosts` and
 * `/etc/resolv.conf` (`<pod>/hosts`, `<pod>/resolv.conf`, bound read-only into every app).
 *
 * Everything is idempotent: a namespace file already bound is kept, a crash's empty file is
 * reused, files are rewritten atomically.
 */
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostsEntry, Hostname, IpAddress } from '../../net/index.js';
import { isNetnsFile, parseCustomDns, parseHostAlias, podResolvConf, renderEtcHosts } from '../../net/index.js';
import { bindNamespaces, errnoCode, runtimeFailure, unmountFs, writeFileAtomic } from '../../util/index.js';
import { checkedResult, runCommand } from '../stage1/command.js';
import type { MountNamespace } from '../stage1/mount-namespace.js';
import { isOwnNamespace, nsPath } from '../stage1/mount-namespace.js';
import type { PodPlan } from './plan.js';
import { EXEC_FILES } from './pod-ref.js';

// More mounts than this on one file: something else keeps mounting it; stop rather than spin.
const MAX_UNMOUNTS = 8;

/** Binds fresh IPC and UTS namespaces to `files` (hostname set in the UTS one). Idempotent. */
export async function ensurePodNamespaces(
  ns: MountNamespace,
  files: { readonly ipc: string; readonly uts: string },
  hostname: string,
): Promise<void> {
  const [ipcBound, utsBound] = [await isNetnsFile(nsPath(ns, files.ipc)), await isNetnsFile(nsPath(ns, files.uts))];
  if (ipcBound && utsBound) return;
  await mkdir(nsPath(ns, path.dirname(files.ipc)), { recursive: true, mode: 0o755 });
  for (const [file, bound] of [[files.ipc, ipcBound], [files.uts, utsBound]] as const) {
    if (bound) continue;
    try {
      await writeFile(nsPath(ns, file), '', { flag: 'wx', mode: 0o644 });
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
  }
  const what = 'create the pod\'s IPC/UTS namespaces';
  if (isOwnNamespace(ns)) {
    try {
      bindNamespaces({
        ipc: ipcBound ? undefined : files.ipc,
        ...(utsBound ? {} : { uts: files.uts, hostname }),
      });
    } catch (error) {
      throw runtimeFailure('ERR_POD_NAMESPACES', `${what}: ${(error as Error).message}`, { cause: error });
    }
    return;
  }
  const flags = [...(ipcBound ? [] : [`--ipc=${files.ipc}`]), ...(utsBound ? [] : [`--uts=${files.uts}`])];
  // `hostname` runs inside the new UTS namespace, so the pod's name is set where apps see it;
  // with the UTS namespace already there it must not run at all (it would rename the host).
  const init = utsBound ? ['true'] : ['hostname', hostname];
  checkedResult(await runCommand(ns, ['unshare', ...flags, ...init]), what, 'ERR_POD_NAMESPACES');
}

/** Unbinds and deletes namespace files (one `umount` for all); those that were there. */
export async function removeNamespaceFiles(ns: MountNamespace, files: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (let i = 0; ; i++) {
    const bound: string[] = [];
    for (const file of files) if (await isNetnsFile(nsPath(ns, file))) bound.push(file);
    if (bound.length === 0) break;
    if (i >= MAX_UNMOUNTS) throw new Error(`namespace file ${bound.join(', ')} is still mounted after ${i} unmounts`);
    for (const file of bound) found.add(file);
    const what = `unmount namespace files ${bound.join(' ')}`;
    if (!isOwnNamespace(ns)) {
      checkedResult(await runCommand(ns, ['umount', '--lazy', ...bound]), what, 'ERR_POD_NAMESPACES');
      continue;
    }
    try {
      for (const file of bound) unmountFs(file, { detach: true });
    } catch (error) {
      throw runtimeFailure('ERR_POD_NAMESPACES', `${what}: ${(error as Error).message}`, { cause: error });
    }
  }
  for (const file of files) {
    try {
      await rm(nsPath(ns, file));
      found.add(file);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  return files.filter((file) => found.has(file));
}

/** Removes the (empty) directory of a pod's namespace files. */
export async function removeNamespaceDir(ns: MountNamespace, dir: string): Promise<void> {
  try {
    await rmdir(nsPath(ns, dir));
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

/** Writes `<pod>/hosts` and `<pod>/resolv.conf` (the latter only when the plan asks for one). */
export async function writePodEtcFiles(ns: MountNamespace, podDir: string, plan: PodPlan, hostname: Hostname, podIp: IpAddress | undefined): Promise<void> {
  const hostsFile = nsPath(ns, path.join(podDir, EXEC_FILES.hosts));
  let hosts: string;
  if (plan.hosts.host) {
    hosts = await readFile('/etc/hosts', 'utf8');
  } else {
    const entries: HostsEntry[] = [
      ...plan.hosts.entries.map((e) => parseHostAlias({ ip: e.ip, hostnames: [e.hostname] }, '--hosts-entry')),
      ...plan.hostAliases.map((alias) => parseHostAlias(alias)),
    ];
    hosts = renderEtcHosts({ hostname, podIp, entries });
  }
  // Both are written afresh at every start and only bound into running apps: no fsync needed.
  await writeFileAtomic(hostsFile, hosts, { mode: 0o644, durable: false });
  const resolvFile = nsPath(ns, path.join(podDir, EXEC_FILES.resolvConf));
  const dns = plan.dns;
  const text = dns.host
    ? await podResolvConf({ kind: 'host' })
    : dns.servers.length > 0 || dns.searches.length > 0 || dns.options.length > 0 || dns.domain !== undefined
      ? await podResolvConf(parseCustomDns({ nameservers: dns.servers, search: dns.searches, options: dns.options, domain: dns.domain }))
      : undefined;
  if (text === undefined) {
    // No DNS settings: apps keep their image's own resolv.conf.
    await rm(resolvFile, { force: true });
    return;
  }
  await writeFileAtomic(resolvFile, text, { mode: 0o644, durable: false });
}
