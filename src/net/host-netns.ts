/**
 * @module net/host-netns — the explicit handle on "the host" network namespace.
 *
 * Everything rocklet does to the host (bridge, veth host ends, sysctls, the nft table, reading
 * /proc/net listeners) goes through a {@link HostNetns}. In production that is the namespace
 * rocklet itself runs in; tests pass a namespace they created, so they never touch the
 * machine's real network. A file handle runs each tool under `nsenter --net=<file>`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, invalidArgument } from '../util/index.js';
import type { RunToolOptions, ToolResult } from './exec.js';
import { checked, runTool } from './exec.js';

/** `current`: the namespace rocklet runs in (the real host); `file`: a namespace bound to a file. */
export type HostNetns =
  | { readonly kind: 'current' }
  | { readonly kind: 'file'; readonly path: string };

/** The network namespace of the calling process: the real host in production. */
export function currentHostNetns(): HostNetns {
  return { kind: 'current' };
}

/** A host namespace bound to `file` (e.g. one a test created with `unshare --net=<file>`). */
export function hostNetnsAt(file: string): HostNetns {
  if (!path.isAbsolute(file)) {
    throw invalidArgument('ERR_NET_INVALID_PATH', `host netns file ${JSON.stringify(file)} must be an absolute path`);
  }
  return { kind: 'file', path: file };
}

/** `argv` prefixed so that it runs inside the namespace bound to `netnsFile`. */
export function inNetns(netnsFile: string, argv: readonly string[]): string[] {
  return ['nsenter', `--net=${netnsFile}`, '--', ...argv];
}

/** `argv` as it must be spawned to act on `host`. */
export function hostArgv(host: HostNetns, argv: readonly string[]): string[] {
  return host.kind === 'current' ? [...argv] : inNetns(host.path, argv);
}

/** Run a tool inside the host namespace. */
export function runInHost(host: HostNetns, argv: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
  return runTool(hostArgv(host, argv), options);
}

/**
 * Read `/proc/net/*` files as seen from the host namespace (those files show the namespace of
 * the reader) and return their texts concatenated. A missing file (tcp6 with IPv6 disabled)
 * contributes nothing.
 */
export async function readHostProcNet(host: HostNetns, names: readonly string[]): Promise<string> {
  const files = names.map((name) => `/proc/net/${name}`);
  if (host.kind === 'current') {
    const texts = await Promise.all(
      files.map(async (file) => {
        try {
          return await readFile(file, 'utf8');
        } catch (error) {
          if (errnoCode(error) === 'ENOENT') return '';
          throw error;
        }
      }),
    );
    return texts.join('');
  }
  // One cat for all files; it exits 1 when one is missing but still prints the others.
  const result = await runInHost(host, ['cat', ...files]);
  const onlyMissing = result.stderr.split('\n').every((line) => line === '' || line.includes('No such file'));
  if (result.code === 1 && onlyMissing) return result.stdout;
  return checked(result, `read ${files.join(' ')} in the host netns`).stdout;
}

/**
 * Set sysctls (`net.ipv4.ip_forward` style keys) in the host namespace. For the current
 * namespace the /proc/sys files are written directly, and only when they differ.
 */
export async function setHostSysctls(host: HostNetns, values: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void> {
  const entries = Object.entries(values);
  if (host.kind === 'file') {
    const argv = ['sysctl', '-q', '-w', ...entries.map(([key, value]) => `${key}=${value}`)];
    checked(await runInHost(host, argv, { signal }), 'set host sysctls');
    return;
  }
  for (const [key, value] of entries) {
    const file = `/proc/sys/${key.replaceAll('.', '/')}`;
    if ((await readFile(file, 'utf8')).trim() !== value) await writeFile(file, `${value}\n`);
  }
}
