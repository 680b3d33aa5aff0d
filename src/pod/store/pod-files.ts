/**
 * @module pod/store/pod-files — the manifest, metadata and timestamps inside a pod directory.
 *
 * Every function takes the pod directory's current path (from a {@link LockedPod} or
 * `locatePod`), because the directory moves between state dirs. Every write is atomic
 * (temp + fsync + rename); a crash leaves the old file or the new one, never half of one.
 * Timestamps are file mtimes, as rkt kept them: `pod-created` → CREATED, `pid` → STARTED.
 * Reads return undefined for a file that does not exist (yet), and throw `ERR_POD_FILE_CORRUPT`
 * for one that does but cannot be understood.
 */
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ACName, ImageId } from '../../image/index.js';
import { errnoCode, failedPrecondition, readTextIfExists, writeFileAtomic, writeJsonAtomic } from '../../util/index.js';
import { POD_FILES } from './layout.js';

/** What `list` shows about one app, independent of the (opaque) manifest. */
export interface PodAppMeta {
  readonly name: ACName;
  /** The image's name, e.g. `example.com/web` or `docker://nginx`. */
  readonly imageName: string;
  /** The image's `version` label, shown as `name:version`. */
  readonly imageVersion?: string;
  readonly imageId?: ImageId;
}

/** Typed metadata stored beside the manifest (`pod-meta.json`). */
export interface PodMeta {
  readonly apps: readonly PodAppMeta[];
  readonly userLabels?: Readonly<Record<string, string>>;
  readonly userAnnotations?: Readonly<Record<string, string>>;
}

/**
 * appc's AC Name (`image/ac-types.ts`), checked here rather than imported: a runtime import of
 * the image layer would load all of it (fetchers, OpenPGP) into every `list` and `status`.
 */
const AC_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** True when `value` is an AC Name, the form of app names (and so safe as a file name). */
export function isAppName(value: string): value is ACName {
  return AC_NAME.test(value);
}

/** Mode of the manifest (rkt: 0640). */
const MANIFEST_MODE = 0o640;

/** Throw `ERR_POD_FILE_CORRUPT` naming `file` and what is wrong with it. */
export function corrupt(file: string, why: string, cause?: unknown): never {
  throw failedPrecondition('ERR_POD_FILE_CORRUPT', `pod file "${file}" is corrupt: ${why}`, {
    hint: 'the pod cannot be used as it is; "rocklet rm" or "rocklet gc" can remove it',
    cause,
  });
}

/** Read a file, or undefined when it does not exist. */
export const readOptional = readTextIfExists;

/** A file's mtime, or undefined when it does not exist. */
export async function mtimeOf(file: string): Promise<Date | undefined> {
  try {
    return (await stat(file)).mtime;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parse JSON from `file`; throws `ERR_POD_FILE_CORRUPT` on bad syntax. */
export function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return corrupt(file, 'not valid JSON', error);
  }
}

/** Create the empty `pod-created` marker (its mtime is the creation time). */
export async function writeCreatedMarker(podDir: string): Promise<void> {
  await writeFile(path.join(podDir, POD_FILES.created), '', { mode: 0o640 });
}

/** When the pod was created, or undefined when a crash came before the marker. */
export function readCreated(podDir: string): Promise<Date | undefined> {
  return mtimeOf(path.join(podDir, POD_FILES.created));
}

/** Store the pod manifest (opaque JSON) and the metadata `list` needs. Metadata first: a pod with a manifest always has both. */
export async function writePodManifest(podDir: string, manifest: unknown, meta: PodMeta): Promise<void> {
  const seen = new Set<string>();
  for (const app of meta.apps) {
    if (!isAppName(app.name)) throw new Error(`writePodManifest: app name is not an AC name: ${String(app.name)}`);
    if (seen.has(app.name)) throw new Error(`writePodManifest: duplicate app name: ${app.name}`);
    seen.add(app.name);
  }
  // Written while the pod is in prepare/; leaving it fsyncs the pod dir (transitions.ts).
  await writeJsonAtomic(path.join(podDir, POD_FILES.meta), meta, { mode: MANIFEST_MODE, syncDirectory: false });
  await writeFileAtomic(path.join(podDir, POD_FILES.manifest), `${JSON.stringify(manifest)}\n`, { mode: MANIFEST_MODE, syncDirectory: false });
}

/** The stored pod manifest (parsed JSON), or undefined before preparation wrote it. */
export async function readPodManifest(podDir: string): Promise<unknown> {
  const file = path.join(podDir, POD_FILES.manifest);
  const text = await readOptional(file);
  return text === undefined ? undefined : parseJsonFile(file, text);
}

/** The pod's metadata, or undefined before preparation wrote it. */
export async function readPodMeta(podDir: string): Promise<PodMeta | undefined> {
  const file = path.join(podDir, POD_FILES.meta);
  const text = await readOptional(file);
  return text === undefined ? undefined : parseMeta(file, parseJsonFile(file, text));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(file: string, value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    return corrupt(file, `"${field}" must map strings to strings`);
  }
  return value as Record<string, string>;
}

function parseApp(file: string, value: unknown, index: number): PodAppMeta {
  const where = `apps[${index}]`;
  if (!isRecord(value)) return corrupt(file, `${where} must be an object`);
  const { name, imageName, imageVersion, imageId } = value;
  if (typeof name !== 'string' || !isAppName(name)) return corrupt(file, `${where}.name must be an AC name`);
  if (typeof imageName !== 'string') return corrupt(file, `${where}.imageName must be a string`);
  if (imageVersion !== undefined && typeof imageVersion !== 'string') return corrupt(file, `${where}.imageVersion must be a string`);
  if (imageId !== undefined && typeof imageId !== 'string') return corrupt(file, `${where}.imageId must be a string`);
  return {
    name,
    imageName,
    ...(imageVersion === undefined ? {} : { imageVersion }),
    ...(imageId === undefined ? {} : { imageId: imageId as ImageId }),
  };
}

function parseMeta(file: string, value: unknown): PodMeta {
  if (!isRecord(value) || !Array.isArray(value.apps)) return corrupt(file, '"apps" must be an array');
  const apps = value.apps.map((app, i) => parseApp(file, app, i));
  const userLabels = stringMap(file, value.userLabels, 'userLabels');
  const userAnnotations = stringMap(file, value.userAnnotations, 'userAnnotations');
  return {
    apps,
    ...(userLabels === undefined ? {} : { userLabels }),
    ...(userAnnotations === undefined ? {} : { userAnnotations }),
  };
}

/** Record the pod's resident PID; the file's mtime becomes STARTED. */
export async function writePodPid(podDir: string, pid: number): Promise<void> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`writePodPid: not a PID: ${pid}`);
  // A PID names a process of this boot only: after a crash it means nothing, so no fsync.
  await writeFileAtomic(path.join(podDir, POD_FILES.pid), `${pid}\n`, { mode: 0o644, durable: false });
}

/** The recorded PID and start time, or undefined before the pod started. */
export async function readPodPid(podDir: string): Promise<{ pid: number; started: Date } | undefined> {
  const file = path.join(podDir, POD_FILES.pid);
  const [text, started] = await Promise.all([readOptional(file), mtimeOf(file)]);
  if (text === undefined || started === undefined) return undefined;
  const pid = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(pid) || pid <= 0) return corrupt(file, 'not a PID');
  return { pid, started };
}
