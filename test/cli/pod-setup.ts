/**
 * @module test/cli/pod-setup — pods in every state for the CLI tests of `list`, `status`, `rm`,
 * `gc` and `export`, made with the pod store library in a temp `--dir`. The CLI runs in a
 * scratch network namespace (gc and rm release pod networks where they run). Lock holders
 * (`/bin/sleep`) and tmpfs mounts are recorded and released in `after`, also when a test fails.
 */
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import type { ACName, ImageId } from '../../src/image/index.js';
import type { PodMeta, PodNetworkInfo, PodStore, PodUuid, StateDir } from '../../src/pod/index.js';
import {
  POD_FILES, createPod, markExited, markPrepared, markRunning, newPodUuid, podPath, podStore, recordAppExit, spawnLockHolder,
  writeNetInfo, writePodManifest, writePodPid,
} from '../../src/pod/index.js';
import { createNetns, makeTempDir } from '../harness/index.js';
import type { CliResult } from './run-cli.js';
import { runRocklet } from './run-cli.js';

const run = promisify(execFile);

export const appName = (text: string): ACName => text as ACName;

/** Two apps, as rkt's list example. */
export const TWO_APPS: PodMeta = {
  apps: [
    { name: appName('web'), imageName: 'example.com/web', imageVersion: '1.2', imageId: `sha512-${'ab'.repeat(64)}` as ImageId },
    { name: appName('cache'), imageName: 'example.com/cache', imageId: `sha512-${'cd'.repeat(64)}` as ImageId },
  ],
};

export const ONE_APP: PodMeta = { apps: [{ name: appName('job'), imageName: 'example.com/job', imageVersion: '2.0' }] };

export const NETWORK: PodNetworkInfo = { netName: 'default', ifName: 'eth0', ip: '172.16.28.4', prefixLength: 24 };

/** The states a test can ask for. */
export type MadeState = 'embryo' | 'preparing' | 'aborted prepare' | 'prepared' | 'running' | 'exited' | 'exited garbage' | 'garbage';

export interface PodOptions {
  readonly meta?: PodMeta;
  /** Recorded exit codes (exited states). */
  readonly exits?: Readonly<Record<string, number>>;
  readonly networks?: readonly PodNetworkInfo[];
  readonly uuid?: PodUuid;
}

/** A temp `--dir` with helpers to make pods and run the CLI against it. */
export interface PodWorkspace {
  readonly dataDir: string;
  readonly store: PodStore;
  rocklet(args: readonly string[]): Promise<CliResult>;
  /** Run the CLI as user and group `uid` (setpriv), for the root checks. */
  rockletAs(uid: number, args: readonly string[]): Promise<CliResult>;
  /** A pod in `state`; `running` pods are held by a `/bin/sleep` child (see {@link PodWorkspace.stop}). */
  pod(state: MadeState, options?: PodOptions): Promise<PodUuid>;
  /** SIGKILL the lock holder of a running pod made here: it becomes `exited`. */
  stop(uuid: PodUuid): Promise<void>;
  /** Where the pod is now, by state dir (undefined when gone). */
  dirOf(uuid: PodUuid): Promise<StateDir | undefined>;
  /** Mount a tmpfs at `dir` (created), unmounted in `after` if still there. */
  mountTmpfs(dir: string): Promise<void>;
}

/** Mount points (from this process's mountinfo) at or below `dir`. */
export async function mountsAt(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((line) => line.split(' ')[4] ?? '').filter((p) => p === dir || p.startsWith(`${dir}/`));
}

const DIRS: readonly StateDir[] = ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage', 'garbage'];

export async function podWorkspace(label: string): Promise<PodWorkspace> {
  const tmp = await makeTempDir(label);
  // gc and rm release pod networks (nft rules, veths) in the netns they run in: never the host's.
  const netns = await createNetns();
  const inNetns = ['nsenter', `--net=/run/netns/${netns.name}`];
  const store = podStore(tmp.path);
  const holders = new Map<PodUuid, ChildProcess>();
  const mounts: string[] = [];
  after(async () => {
    for (const child of holders.values()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    for (const mount of mounts.reverse()) {
      if ((await mountsAt(mount)).length > 0) await run('umount', ['--lazy', mount]);
    }
    await tmp.remove();
    await netns.remove();
  });

  const dirOf = async (uuid: PodUuid): Promise<StateDir | undefined> => {
    for (const dir of DIRS) {
      if (await exists(podPath(store, dir, uuid))) return dir;
    }
    return undefined;
  };

  const byHand = async (dir: StateDir, options: PodOptions): Promise<PodUuid> => {
    const uuid = options.uuid ?? newPodUuid();
    const podDir = podPath(store, dir, uuid);
    await mkdir(podDir, { recursive: true });
    await writeFile(path.join(podDir, POD_FILES.lock), '');
    await writeFile(path.join(podDir, POD_FILES.created), '');
    if (options.meta !== undefined) await writePodManifest(podDir, { acKind: 'PodManifest' }, options.meta);
    return uuid;
  };

  const pod = async (state: MadeState, options: PodOptions = {}): Promise<PodUuid> => {
    if (state === 'embryo') return byHand('embryo', options);
    if (state === 'garbage') return byHand('garbage', options);
    if (options.uuid !== undefined) {
      if (state === 'prepared') return byHand('prepared', options);
      throw new Error(`pod(): a fixed UUID is only supported for embryo, prepared and garbage pods, not ${state}`);
    }
    const created = await createPod(store);
    if (state === 'preparing') {
      after(() => created.release());
      return created.uuid;
    }
    if (options.meta !== undefined) await writePodManifest(created.path, { acKind: 'PodManifest' }, options.meta);
    if (state === 'aborted prepare') {
      await created.release();
      return created.uuid;
    }
    if (state === 'prepared') {
      await markPrepared(created);
      return created.uuid;
    }
    await markRunning(created);
    await writePodPid(created.path, process.pid);
    if (options.networks !== undefined) await writeNetInfo(created.path, options.networks);
    if (state === 'running') {
      holders.set(created.uuid, await spawnLockHolder(created, '/bin/sleep', ['infinity']));
      return created.uuid;
    }
    for (const [name, code] of Object.entries(options.exits ?? {})) await recordAppExit(created.path, appName(name), code);
    await created.release();
    if (state === 'exited garbage') await markExited(store, created.uuid);
    return created.uuid;
  };

  return {
    dataDir: tmp.path,
    store,
    rocklet: (args) => runRocklet([`--dir=${tmp.path}`, ...args], { prefix: inNetns }),
    rockletAs: (uid, args) => runRocklet([`--dir=${tmp.path}`, ...args], { prefix: [...inNetns, 'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'] }),
    pod,
    async stop(uuid) {
      const child = holders.get(uuid);
      if (child === undefined) throw new Error(`stop(): ${uuid} is not a running pod of this workspace`);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
    dirOf,
    async mountTmpfs(dir) {
      await mkdir(dir, { recursive: true });
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'rocklet-test', dir]);
      mounts.push(dir);
    },
  };
}

/** True when `p` exists. */
export async function exists(p: string): Promise<boolean> {
  return lstat(p).then(() => true, () => false);
}

/** The lines of `text`, without the empty one after the last newline. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line, index, all) => line !== '' || index < all.length - 1);
}
