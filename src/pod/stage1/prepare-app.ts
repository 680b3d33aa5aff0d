/**
 * @module pod/stage1/prepare-app — `app prepare` in one call: mount the app's overlay rootfs,
 * resolve its user and group from the image, check its executable, create its working
 * directory and mount targets, and write the OCI bundle. After it, `crun run` can start the
 * app from `<pod>/apps/<app>/`.
 *
 * Idempotent and crash-safe: re-running it remounts (fresh by default) and rewrites
 * config.json atomically. If a step fails after the overlay was mounted, it is unmounted
 * again before the error is thrown.
 */
import { stat } from 'node:fs/promises';
import type { CapabilityName, IdentityRef, SeccompPolicy } from '../../podfile/index.js';
import type { NamespaceChoice, Stage1App, Stage1EnvVar, Stage1Mount, Stage1Namespaces, Stage1Resources } from './app.js';
import { writeBundle } from './bundle.js';
import { findExecutable } from './exec-check.js';
import type { ResolvedIdentity } from './identity.js';
import { resolveIdentity } from './identity.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';
import { buildOciConfig } from './oci-config.js';
import type { OciSeccomp, OciSpec } from './oci-spec.js';
import { hostDevices, withinHostBoundingSet } from './privileged.js';
import type { AppDirs } from './rootfs.js';
import { mountAppRootfs, unmountAppRootfs } from './rootfs.js';
import { ensureMountTarget } from './safe-path.js';
import type { VolumeMountRequest } from './volumes.js';
import { prepareVolumeMounts } from './volumes.js';

/** A host file or directory the pod gives every app (its /etc/hosts, /etc/resolv.conf …). */
export interface PodFileMount {
  readonly source: string;
  readonly destination: string;
  readonly readOnly: boolean;
}

/** Everything `prepareApp` needs; identities still as written, mounts not yet resolved. */
export interface PrepareAppOptions {
  readonly podDir: string;
  readonly app: string;
  /** Names the image in messages. */
  readonly image: string;
  /** Image trees, topmost first. */
  readonly lowerDirs: readonly string[];
  /** Start from the image again (default true). */
  readonly fresh?: boolean;
  readonly args: readonly string[];
  readonly env: readonly Stage1EnvVar[];
  /** Default `/`; created in the rootfs when the image lacks it. */
  readonly cwd?: string;
  readonly user?: IdentityRef;
  readonly group?: IdentityRef;
  readonly supplementalGroups?: readonly number[];
  readonly runAsNonRoot?: boolean;
  readonly capabilities: readonly CapabilityName[];
  readonly noNewPrivileges: boolean;
  readonly readOnlyRootfs: boolean;
  readonly seccomp: SeccompPolicy;
  /** seccomp `Localhost`: the profile read when the pod was prepared. */
  readonly seccompProfile?: OciSeccomp;
  /** Host devices, writable /sys, no masked paths; capabilities cut to the host's bounding set. */
  readonly privileged?: boolean;
  readonly oomScoreAdj?: number;
  readonly volumes?: readonly VolumeMountRequest[];
  readonly podFiles?: readonly PodFileMount[];
  readonly namespaces: Stage1Namespaces;
  readonly hostname?: string;
  readonly resources?: Stage1Resources;
  readonly terminal?: boolean;
  readonly unmaskKernelPaths?: boolean;
  /** The pod's namespaced sysctls; each app writes them into the namespaces it joins. */
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The result of {@link prepareApp}. */
export interface PreparedApp {
  readonly dirs: AppDirs;
  readonly app: Stage1App;
  readonly config: OciSpec;
  readonly identity: ResolvedIdentity;
  /** The executable's resolved path in the rootfs (undefined when it lies in a volume). */
  readonly executable: string | undefined;
}

/** Prepares the app's rootfs and bundle in `ns`; see the module doc. */
export async function prepareApp(ns: MountNamespace, options: PrepareAppOptions): Promise<PreparedApp> {
  const dirs = await mountAppRootfs(ns, {
    podDir: options.podDir,
    app: options.app,
    lowerDirs: options.lowerDirs,
    ...(options.fresh === undefined ? {} : { fresh: options.fresh }),
  });
  try {
    return await prepareMounted(ns, options, dirs);
  } catch (error) {
    await unmountAppRootfs(ns, options.podDir, options.app);
    throw error;
  }
}

async function prepareMounted(ns: MountNamespace, options: PrepareAppOptions, dirs: AppDirs): Promise<PreparedApp> {
  const hostRoot = nsPath(ns, dirs.rootfs);
  const identity = await resolveIdentity(hostRoot, {
    app: options.app,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.group === undefined ? {} : { group: options.group }),
    ...(options.supplementalGroups === undefined ? {} : { supplementalGroups: options.supplementalGroups }),
    ...(options.runAsNonRoot === undefined ? {} : { runAsNonRoot: options.runAsNonRoot }),
  });
  // Docker and Kubernetes create a missing working directory; so does rocklet (in the upper dir).
  const cwd = options.cwd === undefined || options.cwd === '/' ? '/' : await ensureMountTarget(hostRoot, options.cwd, 'directory');
  const volumes = options.volumes ?? [];
  const exec = options.args[0] ?? '';
  const inVolume = exec.startsWith('/') && volumes.some((v) => exec === v.mountPath || exec.startsWith(`${v.mountPath}/`));
  const searchPath = [...options.env].reverse().find((e) => e.name === 'PATH')?.value;
  const executable = inVolume
    ? undefined
    : await findExecutable(hostRoot, { app: options.app, image: options.image, exec, cwd, ...(searchPath === undefined ? {} : { searchPath }) });
  const mounts: Stage1Mount[] = [...(await prepareVolumeMounts(ns, dirs.rootfs, volumes))];
  for (const file of options.podFiles ?? []) {
    const kind = (await stat(nsPath(ns, file.source))).isDirectory() ? 'directory' : 'file';
    const destination = await ensureMountTarget(hostRoot, file.destination, kind);
    mounts.push({ kind: 'bind', source: file.source, destination, readOnly: file.readOnly, recursive: false });
  }
  const env = options.env.some((e) => e.name === 'HOME') || identity.home === undefined ? options.env : [...options.env, { name: 'HOME', value: identity.home }];
  const app: Stage1App = {
    name: options.app,
    rootfs: dirs.rootfs,
    readOnlyRootfs: options.readOnlyRootfs,
    args: options.args,
    env,
    cwd,
    user: { uid: identity.uid, gid: identity.gid, additionalGids: identity.additionalGids },
    capabilities: options.privileged === true ? await withinHostBoundingSet(options.capabilities) : options.capabilities,
    noNewPrivileges: options.noNewPrivileges,
    seccomp: options.seccomp,
    ...(options.seccompProfile === undefined ? {} : { seccompProfile: options.seccompProfile }),
    ...(options.privileged === true ? { privileged: true, devices: await hostDevices(nsPath(ns, '/dev')) } : {}),
    mounts,
    namespaces: options.namespaces,
    ...optional(options),
  };
  const config = buildOciConfig(app);
  await writeBundle(nsPath(ns, dirs.dir), config);
  return { dirs, app, config, identity, executable };
}

function optional(options: PrepareAppOptions): Partial<Stage1App> {
  return {
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    ...(options.oomScoreAdj === undefined ? {} : { oomScoreAdj: options.oomScoreAdj }),
    ...(options.resources === undefined ? {} : { resources: options.resources }),
    ...(options.terminal === undefined ? {} : { terminal: options.terminal }),
    ...(options.unmaskKernelPaths === undefined ? {} : { unmaskKernelPaths: options.unmaskKernelPaths }),
    ...(options.sysctls === undefined ? {} : { sysctls: options.sysctls }),
    ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
  };
}

/** Namespace choices for an app of a pod whose namespaces are bound to files. */
export function podNamespaces(paths: { readonly network?: string; readonly ipc?: string; readonly uts?: string }): Stage1Namespaces {
  const join = (p: string | undefined): NamespaceChoice => (p === undefined ? { kind: 'new' } : { kind: 'join', path: p });
  return { network: join(paths.network), ipc: join(paths.ipc), uts: join(paths.uts) };
}
