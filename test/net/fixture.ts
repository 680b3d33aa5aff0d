/**
 * @module test/net/fixture — a private "host" for network tests.
 *
 * Everything lives under a temp dir `rltest-net-<pid>-XXXXXX`: the fake host netns file, a
 * "remote host" netns wired to it (10.99.0.2 ↔ 10.99.0.1), the pod netns dir and the lease dir.
 * Bridges, veths and nft tables are made inside the fake host netns, so they vanish with it and
 * the machine's real network is never touched. `dispose()` kills the processes started here (by
 * recorded child), unmounts every mount under the temp dir and removes it, even after failures.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostNetns, NetworkConfig } from '../../src/net/index.js';
import { ensureNetnsFile, hostNetnsAt, parseNetworkConfig } from '../../src/net/index.js';
import { execChecked, execCommand } from '../harness/exec.js';
import type { ExecResult } from '../harness/exec.js';

export const REMOTE_IP = '10.99.0.2';
export const HOST_REMOTE_SIDE_IP = '10.99.0.1';

/** Run argv inside the netns bound to `netnsFile`. */
export function inNs(netnsFile: string, argv: readonly string[]): string[] {
  return ['nsenter', `--net=${netnsFile}`, '--', ...argv];
}

/** A fake host with its config; call dispose() in `after`. */
export class NetFixture {
  readonly processes: ChildProcess[] = [];

  private constructor(
    readonly dir: string,
    readonly hostFile: string,
    readonly remoteFile: string,
    readonly host: HostNetns,
    readonly config: NetworkConfig,
  ) {}

  /** Create the temp dir, the fake host netns (lo up) and a remote host wired to it. */
  static async create(label: string, subnet?: string): Promise<NetFixture> {
    const dir = await mkdtemp(path.join(tmpdir(), `rltest-net-${process.pid}-${label}-`));
    const hostFile = path.join(dir, 'host.netns');
    const remoteFile = path.join(dir, 'remote.netns');
    const config = parseNetworkConfig({ subnet, leaseDir: path.join(dir, 'leases'), netnsDir: path.join(dir, 'netns') });
    const fixture = new NetFixture(dir, hostFile, remoteFile, hostNetnsAt(hostFile), config);
    try {
      await ensureNetnsFile(hostFile);
      await ensureNetnsFile(remoteFile);
      await execChecked(inNs(hostFile, ['ip', 'link', 'set', 'lo', 'up']));
      await execChecked(inNs(hostFile, ['ip', 'link', 'add', 'rlremote', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', remoteFile]));
      await execChecked(inNs(hostFile, ['ip', '-batch', '-']), {
        input: `addr add ${HOST_REMOTE_SIDE_IP}/24 dev rlremote\nlink set rlremote up\n`,
      });
      await execChecked(inNs(remoteFile, ['ip', '-batch', '-']), {
        input: `link set lo up\naddr add ${REMOTE_IP}/24 dev eth0\nlink set eth0 up\n`,
      });
    } catch (error) {
      await fixture.dispose();
      throw error;
    }
    return fixture;
  }

  /** Run a command in the fake host netns. */
  inHost(argv: readonly string[], input?: string): Promise<ExecResult> {
    return execCommand(inNs(this.hostFile, argv), input === undefined ? {} : { input });
  }

  /** Start a long-running process inside a netns; it is killed by dispose(). */
  startIn(netnsFile: string, argv: readonly string[]): ChildProcess {
    const [file, ...args] = inNs(netnsFile, argv);
    const child = spawn(file ?? 'nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.push(child);
    return child;
  }

  /** Start a process in a netns and wait until it prints `line` on stdout. */
  async startUntil(netnsFile: string, argv: readonly string[], line: string): Promise<ChildProcess> {
    const child = this.startIn(netnsFile, argv);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      let errors = '';
      child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.split('\n').includes(line)) resolve();
      });
      child.once('close', (code) => reject(new Error(`${argv.join(' ')} exited ${String(code)} before "${line}": ${errors}`)));
    });
    return child;
  }

  /** Serve `body` over HTTP on `port` inside a netns (busybox httpd in the foreground). */
  async serveHttp(netnsFile: string, port: number, body: string): Promise<ChildProcess> {
    const www = await mkdtemp(path.join(this.dir, 'www-'));
    await execChecked(['sh', '-c', 'printf "%s" "$1" > "$2/index.html"', 'sh', body, www]);
    const child = this.startIn(netnsFile, ['busybox', 'httpd', '-f', '-p', String(port), '-h', www]);
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 200; i++) {
      if ((await curl(netnsFile, url, 1)).code === 0) return child;
      await sleep(10);
    }
    throw new Error(`httpd in ${netnsFile} did not answer on port ${port}`);
  }

  /** Kill started processes, unmount everything under the temp dir, remove it. */
  async dispose(): Promise<void> {
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('close', resolve));
      }
    }
    for (const mount of (await mountsUnder(this.dir)).reverse()) {
      await execChecked(['umount', '--lazy', mount]);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Mount points at or below `dir`, in mount order. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mount) => mount === dir || mount.startsWith(`${dir}/`));
}

/** curl `url` from inside a netns; the body is in stdout. */
export function curl(netnsFile: string, url: string, timeoutSec = 5): Promise<ExecResult> {
  return execCommand(inNs(netnsFile, ['curl', '-s', '-m', String(timeoutSec), url]));
}

/** Names of the links in a netns. */
export async function linkNames(netnsFile: string): Promise<string[]> {
  const out = await execChecked(inNs(netnsFile, ['ip', '-j', 'link', 'show']));
  return (JSON.parse(out) as { ifname: string }[]).map((link) => link.ifname);
}

/** The chain of the fixture's bridge (its masquerade rule): it lives as long as the bridge. */
export const BRIDGE_CHAIN = 'bridge-rocklet0-post';

/** Names of the chains in the fake host's `ip rocklet` table (empty when there is no table). */
export async function chainNames(hostFile: string): Promise<string[]> {
  const result = await execCommand(inNs(hostFile, ['nft', '-j', 'list', 'chains', 'ip']));
  if (result.code !== 0) throw new Error(`nft list chains: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { nftables: { chain?: { table: string; name: string } }[] };
  return parsed.nftables.flatMap((item) => (item.chain?.table === 'rocklet' ? [item.chain.name] : []));
}
