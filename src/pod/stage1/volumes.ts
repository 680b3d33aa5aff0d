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
 *
 * A prefilled emptyDir (Docker's VOLUME semantics) is filled in `<pod>/volumes/.<name>.prefill`
 * and renamed into place, so it exists only complete, and only its first preparation copies:
 * later ones (an app or pod restart) keep what the apps wrote.
 */
import { chmod, chown, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { copyTreeOver } from '../../image/index.js';
import { assertNever, errnoCode, failedPrecondition, notFound } from '../../util/index.js';
import type { VolumeSpec } from '../../podfile/index.js';
import type { Stage1Mount } from './app.js';
import type { MountNamespace } from './mount-namespace.js';
import { isOwnNamespace, nsPath } from './mount-namespace.js';
import { mountTmpfs, unmount } from './mounts.js';
import { checkAppName } from './rootfs.js';
import type { MountTargetKind } from './safe-path.js';
import { ensureMountTarget, hostPathOf, resolveInRoot } from './safe-path.js';
import { pinSubPath } from './subpath-pin.js';

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

/** Where a new emptyDir takes its first content from (implicit volumes of Docker-style images). */
export interface VolumePrefill {
  /** The image's trees, topmost first (paths of the stage1 mount namespace). */
  readonly lowerDirs: readonly string[];
  /** Absolute path inside the image. */
  readonly path: string;
}

/** Options of {@link prepareVolume}. */
export interface PrepareVolumeOptions {
  /** Fill the emptyDir from the image when it is first made (Disk only). */
  readonly prefill?: VolumePrefill;
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

type EmptyDirSource = Extract<VolumeSpec['source'], { kind: 'emptyDir' }>;

/**
 * The image's directory at `prefill.path` (host path), from the topmost layer that has the path
 * (as overlayfs shows it); undefined when no layer has it or it is not a directory. Symlinks on
 * the way resolve inside the layer; one leading out of it is ERR_ROOTFS_PATH_ESCAPE.
 */
async function imageDirectory(ns: MountNamespace, prefill: VolumePrefill): Promise<string | undefined> {
  for (const layer of prefill.lowerDirs) {
    const root = nsPath(ns, layer);
    const resolved = await resolveInRoot(root, prefill.path);
    if (resolved.stats === undefined) continue;
    return resolved.stats.isDirectory() && resolved.path !== '/' ? hostPathOf(root, resolved.path) : undefined;
  }
  return undefined;
}

/** Makes the Disk emptyDir `host` filled from the image, unless it exists already. */
async function createPrefilled(ns: MountNamespace, host: string, source: EmptyDirSource, prefill: VolumePrefill): Promise<void> {
  if ((await statOrUndefined(host)) !== undefined) return;
  const staging = path.join(path.dirname(host), `.${path.basename(host)}.prefill`);
  // One left behind by a crash is incomplete: start over.
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  const from = await imageDirectory(ns, prefill);
  if (from === undefined) {
    await chown(staging, source.uid, source.gid);
    await chmod(staging, source.mode);
  } else {
    // Copies the directory's own owner, mode and times too; symlinks are copied, never followed.
    await copyTreeOver(from, staging);
  }
  await rename(staging, host);
}

async function prepareEmptyDir(ns: MountNamespace, podDir: string, name: string, source: EmptyDirSource, prefill: VolumePrefill | undefined): Promise<PreparedVolume> {
  const dir = volumeDir(podDir, name);
  const host = nsPath(ns, dir);
  await mkdir(path.dirname(host), { recursive: true, mode: 0o755 });
  if (prefill !== undefined) {
    // A tmpfs starts empty at every mount: there is no first preparation to fill it at.
    if (source.medium !== 'Disk') throw new Error(`volume "${name}": only Disk volumes can be prefilled`);
    await createPrefilled(ns, host, source, prefill);
    return { name, source: dir, kind: 'directory', recursive: false };
  }
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
  return { name, source: dir, kind: 'directory', recursive: false };
}

/**
 * Makes `volume` ready on the host (idempotent): checks or creates a host path, creates an
 * emptyDir (mode/uid/gid applied when it is created; with `options.prefill`, filled from the
 * image instead, its mode and owner those of the image's directory when the image has one) or
 * mounts its tmpfs. Throws ERR_HOST_PATH_NOT_FOUND (not-found), ERR_HOST_PATH_TYPE
 * (failed-precondition) and, prefilling, ERR_ROOTFS_PATH_ESCAPE (permission-denied).
 */
export async function prepareVolume(ns: MountNamespace, podDir: string, volume: VolumeSpec, options: PrepareVolumeOptions = {}): Promise<PreparedVolume> {
  const source = volume.source;
  switch (source.kind) {
    case 'hostPath':
      return prepareHostPath(ns, { ...volume, source });
    case 'emptyDir':
      return prepareEmptyDir(ns, podDir, volume.name, source, options.prefill);
    case 'object':
    case 'downwardAPI':
    case 'projected':
      throw new Error(`volume "${volume.name}": ${source.kind} volumes are planned as files (file-volumes.ts)`);
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

/**
 * The part of `volume` at relative `subPath` (Kubernetes' volumeMounts[].subPath), resolved
 * inside the volume as inside a rootfs: a symlink in the volume cannot lead out of it
 * (ERR_ROOTFS_PATH_ESCAPE), and a missing path is created as a directory, as kubelet does.
 * With `pin` (a path below the pod dir) the result is bound there through a file descriptor and
 * the pin is the source crun binds (subpath-pin.ts: no symlink swapped in later is followed).
 */
export async function subPathVolume(ns: MountNamespace, volume: PreparedVolume, subPath: string, pin?: string): Promise<PreparedVolume> {
  if (volume.kind !== 'directory') {
    throw failedPrecondition('ERR_SUBPATH_NOT_DIRECTORY', `volume "${volume.name}" is a file; subPath "${subPath}" needs a directory volume`);
  }
  const hostRoot = nsPath(ns, volume.source);
  const inside = `/${subPath}`;
  const existing = await resolveInRoot(hostRoot, inside);
  const resolved = existing.stats === undefined ? await ensureMountTarget(hostRoot, inside, 'directory') : existing.path;
  const kind: MountTargetKind = existing.stats === undefined || existing.stats.isDirectory() ? 'directory' : 'file';
  if (pin !== undefined && isOwnNamespace(ns)) {
    await pinSubPath(ns, volume.source, resolved, pin, kind, volume.recursive);
    return { name: volume.name, source: pin, kind, recursive: volume.recursive };
  }
  return { name: volume.name, source: hostPathOf(volume.source, resolved), kind, recursive: volume.recursive };
}
