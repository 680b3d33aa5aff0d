/**
 * @module pod/stage1/fly — rkt's `fly` flavor with util-linux tools: one app, chroot only.
 *
 * The app runs in the host's network, UTS, IPC and PID namespaces with every capability,
 * no seccomp and no cgroup of its own (the enclosing unit's applies). Only its mounts are
 * private: a new mount namespace (propagation private, unlike rkt's shared, so nothing
 * leaks to the host and everything goes when the app ends) gets rbinds of the host's /dev,
 * /proc and /sys, the app's volumes and tmpfs mounts from its OCI config, then
 * `unshare --root --wd --setuid --setgid` enters the rootfs and execs the app.
 *
 * Limits: supplementary groups are not supported (unshare --setgid drops them:
 * ERR_FLY_UNSUPPORTED); the read-only rootfs is a read-only bind of the overlay.
 */
import { invalidArgument, failedPrecondition } from '../../util/index.js';
import { locateTool, runCommand } from './command.js';
import { signalNumber } from './crun-argv.js';
import type { ContainerExit } from './crun.js';
import type { ExecutableApp, ExecutorRunOptions, Stage1Executor } from './executor.js';
import type { MountNamespace } from './mount-namespace.js';
import { CURRENT_MOUNT_NAMESPACE, nsPath } from './mount-namespace.js';
import type { OciMount, OciSpec } from './oci-spec.js';
import { ensureMountTarget } from './safe-path.js';

/** Host file systems every fly app gets, recursively bound. */
export const FLY_HOST_MOUNTS = ['/dev', '/proc', '/sys'] as const;

/** Absolute paths of the host tools fly runs (`env` and `unshare` are exec'd after `env -i`). */
export interface FlyTools {
  readonly unshare: string;
  readonly env: string;
  readonly sh: string;
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Mounts of the config fly makes itself: everything outside /dev, /proc and /sys. */
function ownMounts(config: OciSpec): OciMount[] {
  return config.mounts.filter((m) => !FLY_HOST_MOUNTS.some((h) => m.destination === h || m.destination.startsWith(`${h}/`)));
}

function mountLines(config: OciSpec): string[] {
  const root = config.root.path;
  const at = (dest: string): string => quote(`${root}${dest}`);
  const lines = ['set -e'];
  if (config.root.readonly) lines.push(`mount --bind ${quote(root)} ${quote(root)}`, `mount -o remount,bind,ro ${quote(root)}`);
  for (const host of FLY_HOST_MOUNTS) lines.push(`mount --rbind ${host} ${at(host)}`);
  for (const m of ownMounts(config)) {
    if (m.type === 'bind') {
      lines.push(`mount ${m.options.includes('rbind') ? '--rbind' : '--bind'} ${quote(m.source)} ${at(m.destination)}`);
      if (m.options.includes('ro')) lines.push(`mount -o remount,bind,ro ${at(m.destination)}`);
    } else {
      const options = m.options.filter((o) => o !== 'rbind' && o !== 'bind' && o !== 'rprivate').join(',');
      lines.push(`mount -t ${quote(m.type)} ${options === '' ? '' : `-o ${quote(options)} `}${quote(m.source)} ${at(m.destination)}`);
    }
  }
  lines.push('exec "$@"');
  return lines;
}

/**
 * The fly command line for an app's OCI config (pure). Throws ERR_FLY_UNSUPPORTED
 * (invalid-argument) for supplementary groups.
 */
export function flyArgv(config: OciSpec, tools: FlyTools): string[] {
  const { user } = config.process;
  if ((user.additionalGids ?? []).length > 0) {
    throw invalidArgument('ERR_FLY_UNSUPPORTED', 'the fly stage1 cannot set supplementary groups; use --stage1=crun');
  }
  return [
    // No --fork: a mount namespace needs none, and util-linux 2.38's `unshare --fork` exits 1
    // instead of mirroring a child's death by signal. The app ends up exec'd in our child's place.
    tools.unshare, '--mount', '--propagation', 'private', '--',
    tools.sh, '-c', mountLines(config).join('\n'), 'fly',
    tools.env, '-i', ...config.process.env,
    tools.unshare, `--root=${config.root.path}`, `--wd=${config.process.cwd}`, `--setuid=${user.uid}`, `--setgid=${user.gid}`, '--',
    ...config.process.args,
  ];
}

/** The fly flavor (see the module doc). */
export class FlyExecutor implements Stage1Executor {
  readonly flavor = 'fly' as const;

  constructor(private readonly namespace: MountNamespace = CURRENT_MOUNT_NAMESPACE) {}

  async #tools(): Promise<FlyTools> {
    const found: Partial<Record<keyof FlyTools, string>> = {};
    for (const name of ['unshare', 'env', 'sh'] as const) {
      const at = await locateTool(this.namespace, name);
      if (at === undefined) throw failedPrecondition('ERR_STAGE1_TOOL_MISSING', `the fly stage1 needs ${name}, which is not in PATH`);
      found[name] = at;
    }
    return found as FlyTools;
  }

  async run(app: ExecutableApp, options: ExecutorRunOptions = {}): Promise<ContainerExit> {
    const hostRoot = nsPath(this.namespace, app.config.root.path);
    for (const dir of FLY_HOST_MOUNTS) await ensureMountTarget(hostRoot, dir, 'directory');
    const argv = flyArgv(app.config, await this.#tools());
    const result = await runCommand(this.namespace, argv, { stdio: options.stdio ?? 'inherit', extraFds: options.extraFds ?? [], ...(options.output === undefined ? {} : { output: options.output }) });
    // The app is the process we started (everything before it exec'd): report its death by
    // signal like crun does, 128+N.
    const exitCode = result.exitCode ?? (result.signal === null ? null : 128 + signalNumber(result.signal));
    return { exitCode, signal: null, stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs };
  }
}
