/**
 * @module pod/stage1/volumes — pod volumes on the host and their mounts into an app.
 *
 * ```
 * <pod>/volumes/<name>/        an emptyDir: a directory (Disk) or a tmpfs mounted there (Memory)
 * ```
 *
 * Host volumes are bind-mounted from where they are; `type ''` (Kubernetes' "no check") still
 * must exist, as rkt required — a bind of a missing path would fail later with a bare
 * ENOENT. The binds themselves are made by crun inside the app's own mount namespace (they
 * are entries of config.json), so none is left on the host when the app ends; only Memory
 * emptyDirs are host mounts, released by {@link releaseVolume}.
 */
import { chmod, chown, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { assertNever, errnoCode, failedPrecondition, notFound } from '../../util/index.js';
import type { VolumeSpec } from '../../podfile/index.js';
import type { Stage1Mount } from './app.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';
import { mountTmpfs, unmount } from './mounts.js';
import { checkAppName } from './rootfs.js';
import type { MountTargetKind } from './safe-path.js';
import { ensureMountTarget } from './safe-path.js';

/** The directory under a pod dir holding its emptyDir volumes. */
export const VOLUMES_DIR = 'volumes';

/** A volume ready to be mounted into apps. */
export interface PreparedVolume {
  readonly name: string;
  /** Host path (of the stage1 mount namespace) to bind. */
  readonly source: string;
  /** Whether the mount target must be a directory or a file. */
  readonly kind: MountTargetKind;
  /** rbind (host volumes with `recursive`). */
  readonly recursive: boolean;
}

/** `<pod>/volumes/<name>` */
export function volumeDir(podDir: string, name: string): string {
  checkAppName(name);
  return path.join(podDir, VOLUMES_DIR, name);
}

async function statOrUndefined(p: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(p);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function prepareHostPath(ns: MountNamespace, volume: VolumeSpec & { source: { kind: 'hostPath' } }): Promise<PreparedVolume> {
  const { path: source, type, recursive } = volume.source;
  const host = nsPath(ns, source);
  let stats = await statOrUndefined(host);
  if (stats === undefined && type === 'DirectoryOrCreate') {
    await mkdir(host, { recursive: true, mode: 0o755 });
    stats = await stat(host);
  } else if (stats === undefined && type === 'FileOrCreate') {
    await mkdir(path.dirname(host), { recursive: true, mode: 0o755 });
    await (await open(host, 'a', 0o644)).close();
    stats = await stat(host);
  }
  if (stats === undefined) {
    throw notFound('ERR_HOST_PATH_NOT_FOUND', `host volume "${volume.name}": source path ${source} does not exist`, {
      hint: 'create it first, or use hostPath type DirectoryOrCreate or FileOrCreate',
    });
  }
  const isDir = stats.isDirectory();
  if ((type === 'Directory' || type === 'DirectoryOrCreate') && !isDir) {
    throw failedPrecondition('ERR_HOST_PATH_TYPE', `host volume "${volume.name}": ${source} is not a directory (type ${type})`);
  }
  if ((type === 'File' || type === 'FileOrCreate') && !stats.isFile()) {
    throw failedPrecondition('ERR_HOST_PATH_TYPE', `host volume "${volume.name}": ${source} is not a regular file (type ${type})`);
  }
  return { name: volume.name, source, kind: isDir ? 'directory' : 'file', recursive };
}

/**
 * Makes `volume` ready on the host (idempotent): checks or creates a host path, creates an
 * emptyDir (mode/uid/gid applied when it is created) or mounts its tmpfs. Throws
 * ERR_HOST_PATH_NOT_FOUND (not-found) and ERR_HOST_PATH_TYPE (failed-precondition).
 */
export async function prepareVolume(ns: MountNamespace, podDir: string, volume: VolumeSpec): Promise<PreparedVolume> {
  const source = volume.source;
  switch (source.kind) {
    case 'hostPath':
      return prepareHostPath(ns, { ...volume, source });
    case 'emptyDir': {
      const dir = volumeDir(podDir, volume.name);
      const host = nsPath(ns, dir);
      await mkdir(path.dirname(host), { recursive: true, mode: 0o755 });
      let created = true;
      try {
        await mkdir(host, { mode: 0o700 });
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
        created = false;
      }
      if (source.medium === 'Memory') {
        await mountTmpfs(ns, dir, { mode: source.mode, uid: source.uid, gid: source.gid, ...(source.sizeLimitBytes === undefined ? {} : { sizeBytes: source.sizeLimitBytes }) });
      } else if (created) {
        await chown(host, source.uid, source.gid);
        await chmod(host, source.mode);
      }
      return { name: volume.name, source: dir, kind: 'directory', recursive: false };
    }
    default:
      return assertNever(source, 'volume source');
  }
}

/** Unmounts a Memory emptyDir's tmpfs (its data is gone); false when none was mounted. */
export async function releaseVolume(ns: MountNamespace, podDir: string, name: string): Promise<boolean> {
  return unmount(ns, volumeDir(podDir, name));
}

/** One volume mounted into one app. */
export interface VolumeMountRequest {
  readonly volume: PreparedVolume;
  /** Absolute path inside the app. */
  readonly mountPath: string;
  readonly readOnly: boolean;
}

/**
 * Creates the mount targets inside the app's rootfs (never following a symlink out of it) and
 * returns the binds for the OCI config, destinations resolved inside the rootfs.
 */
export async function prepareVolumeMounts(ns: MountNamespace, rootfs: string, requests: readonly VolumeMountRequest[]): Promise<Stage1Mount[]> {
  const mounts: Stage1Mount[] = [];
  for (const request of requests) {
    const destination = await ensureMountTarget(nsPath(ns, rootfs), request.mountPath, request.volume.kind);
    mounts.push({ kind: 'bind', source: request.volume.source, destination, readOnly: request.readOnly, recursive: request.volume.recursive });
  }
  return mounts;
}
