/**
 * @module registry/image-config — the image config blob (OCI `config.md`, Docker's image JSON)
 * decoded into the fields running an image needs (formats.md §2.5). Unknown fields are
 * ignored, JSON null counts as absent, problems name their field path. Pure: no I/O.
 */
import { invalidArgument } from '../../util/index.js';
import type { Digest } from './digest.js';
import { parseDigest } from './digest.js';
import type { JsonObject } from './descriptor.js';
import { isObject } from './descriptor.js';

/** The `config` object of an image config: how to run the image. */
export interface RunConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `NAME=value` entries, in order. */
  readonly env?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
  /** Keys of `ExposedPorts`: `80/tcp`, `53/udp`, `8080` (tcp). */
  readonly exposedPorts?: readonly string[];
  /** Keys of `Volumes`: paths. */
  readonly volumes?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly stopSignal?: string;
}

/** A decoded image config. */
export interface ImageConfig {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly config: RunConfig;
  /** DiffIDs (sha256 of each uncompressed layer), base first. */
  readonly diffIds: readonly Digest[];
}

function fail(where: string, problem: string): Error {
  return invalidArgument('ERR_REGISTRY_CONFIG_INVALID', `${where}: ${problem}`, { hint: 'the image config is malformed; rebuild or re-push the image' });
}

function present(object: JsonObject, key: string): unknown {
  const value = object[key];
  return value === null ? undefined : value;
}

function stringList(object: JsonObject, key: string, where: string, path: string): string[] | undefined {
  const value = present(object, key);
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw fail(where, `${path}${key} must be a list of strings`);
  return value;
}

function text(object: JsonObject, key: string, where: string, path: string): string | undefined {
  const value = present(object, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw fail(where, `${path}${key} must be a string`);
  return value;
}

function keys(object: JsonObject, key: string, where: string, path: string): string[] | undefined {
  const value = present(object, key);
  if (value === undefined) return undefined;
  if (!isObject(value)) throw fail(where, `${path}${key} must be an object`);
  return Object.keys(value);
}

function labels(object: JsonObject, where: string): Readonly<Record<string, string>> | undefined {
  const value = present(object, 'Labels');
  if (value === undefined) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) throw fail(where, 'config.Labels must be an object of strings');
  return value as Record<string, string>;
}

function runConfig(value: unknown, where: string): RunConfig {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw fail(where, 'config must be an object');
  const fields: Record<string, unknown> = {
    entrypoint: stringList(value, 'Entrypoint', where, 'config.'),
    cmd: stringList(value, 'Cmd', where, 'config.'),
    env: stringList(value, 'Env', where, 'config.'),
    workingDir: text(value, 'WorkingDir', where, 'config.'),
    user: text(value, 'User', where, 'config.'),
    exposedPorts: keys(value, 'ExposedPorts', where, 'config.'),
    volumes: keys(value, 'Volumes', where, 'config.'),
    labels: labels(value, where),
    stopSignal: text(value, 'StopSignal', where, 'config.'),
  };
  // exactOptionalPropertyTypes: absent fields are left out, not set to undefined.
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/**
 * Decodes config `bytes` (already verified against the manifest's config digest).
 * @throws `ERR_REGISTRY_CONFIG_INVALID` naming the field.
 */
export function parseImageConfig(bytes: Buffer, where: string): ImageConfig {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw fail(where, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(body)) throw fail(where, 'not a JSON object');
  const os = text(body, 'os', where, '');
  const architecture = text(body, 'architecture', where, '');
  if (os === undefined || architecture === undefined) throw fail(where, `${os === undefined ? 'os' : 'architecture'} is missing`);
  const variant = text(body, 'variant', where, '');
  const rootfs = present(body, 'rootfs');
  if (!isObject(rootfs)) throw fail(where, 'rootfs is missing');
  if (rootfs.type !== 'layers') throw fail(where, `rootfs.type must be "layers", not ${JSON.stringify(rootfs.type)}`);
  const diffIds = stringList(rootfs, 'diff_ids', where, 'rootfs.') ?? [];
  return {
    os,
    architecture,
    ...(variant === undefined || variant === '' ? {} : { variant }),
    config: runConfig(present(body, 'config'), where),
    diffIds: diffIds.map((id, index) => parseDigest(id, `${where}: rootfs.diff_ids[${index}]`)),
  };
}
