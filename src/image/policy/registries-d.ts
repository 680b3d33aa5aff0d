/**
 * @module image/policy/registries-d — `<config-dir>/registries.d/*.yaml` in
 * containers-registries.d(5)'s format: where the signatures of images of a registry,
 * namespace or repository live.
 *
 * ```yaml
 * default-docker:
 *   lookaside: https://sigs.example.com/default
 * docker:
 *   registry.example.com/team:
 *     lookaside: file:///var/lib/sigs       # `sigstore:` is the old name of the same key
 *     use-sigstore-attachments: true
 * ```
 *
 * Files are read in name order; a scope defined in two files, or `default-docker` in two, is
 * an error (as in containers/image). The most specific scope of the image wins (scope.ts);
 * `default-docker` applies when none does; each setting is taken from the most specific scope
 * that sets it. `*-staging` keys (where signing tools write) are
 * accepted and ignored. rocklet reads sigstore attachments whenever a sigstoreSigned
 * requirement needs them; `use-sigstore-attachments: false` for a scope makes such a
 * requirement fail there, naming the file.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, invalidArgument, loadYaml, yamlLib } from '../../util/index.js';
import type { DockerReference } from '../format/oci/docker-reference.js';
import { describeJson, isJsonObject, jsonPath, located } from './json-path.js';
import { dockerScopeProblem, dockerScopesOf } from './scope.js';

export const REGISTRIES_D_DIR = 'registries.d';

/** The settings of one scope (or of default-docker). */
export interface SignatureStorage {
  /** Base URL of the lookaside (file://, http://, https://). */
  readonly lookaside?: URL;
  readonly useSigstoreAttachments?: boolean;
  /** `<file>: docker["scope"]`, for messages. */
  readonly origin: string;
}

/** All of registries.d. */
export interface RegistriesConfig {
  readonly dir: string;
  readonly defaultDocker: SignatureStorage | undefined;
  readonly docker: ReadonlyMap<string, SignatureStorage>;
}

const STORAGE_KEYS = ['lookaside', 'sigstore', 'lookaside-staging', 'sigstore-staging', 'use-sigstore-attachments'];

function registriesError(file: string, at: string, message: string): Error {
  return invalidArgument('ERR_REGISTRIES_D_INVALID', located(file, at, message), {
    hint: 'fix the file (format: containers-registries.d(5))',
  });
}

function parseUrl(file: string, at: string, value: unknown): URL {
  if (typeof value !== 'string') throw registriesError(file, at, `must be a URL string, not ${describeJson(value)}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw registriesError(file, at, `"${value}" is not a URL (file:///path, https://host/path)`);
  }
  if (!['file:', 'http:', 'https:'].includes(url.protocol)) throw registriesError(file, at, `"${value}": only file://, http:// and https:// lookasides are supported`);
  return url;
}

function parseStorage(file: string, at: string, value: unknown): SignatureStorage {
  if (!isJsonObject(value)) throw registriesError(file, at, `must be a mapping, not ${describeJson(value)}`);
  for (const key of Object.keys(value)) {
    if (!STORAGE_KEYS.includes(key)) throw registriesError(file, jsonPath(at, key), `unknown key (one of ${STORAGE_KEYS.join(', ')})`);
  }
  if (value.lookaside !== undefined && value.sigstore !== undefined) {
    throw registriesError(file, at, '"lookaside" and "sigstore" are two names of one setting: give only "lookaside"');
  }
  const lookasideKey = value.lookaside === undefined ? 'sigstore' : 'lookaside';
  const lookaside = value[lookasideKey] === undefined ? undefined : parseUrl(file, jsonPath(at, lookasideKey), value[lookasideKey]);
  for (const key of ['lookaside-staging', 'sigstore-staging']) if (value[key] !== undefined) parseUrl(file, jsonPath(at, key), value[key]);
  const attachments = value['use-sigstore-attachments'];
  if (attachments !== undefined && typeof attachments !== 'boolean') {
    throw registriesError(file, jsonPath(at, 'use-sigstore-attachments'), `must be true or false, not ${describeJson(attachments)}`);
  }
  return {
    origin: located(file, at, '').replace(/: $/, ''),
    ...(lookaside === undefined ? {} : { lookaside }),
    ...(attachments === undefined ? {} : { useSigstoreAttachments: attachments }),
  };
}

/** Parses one registries.d file's text into `into` (throws for duplicates across files). */
export function parseRegistriesFile(text: string, file: string, into: { defaultDocker?: SignatureStorage; docker: Map<string, SignatureStorage> }): void {
  const yaml = yamlLib();
  let document: unknown;
  try {
    document = yaml.parse(text);
  } catch (error) {
    throw registriesError(file, '', `not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (document === null || document === undefined) return;
  if (!isJsonObject(document)) throw registriesError(file, '', `the top level must be a mapping, not ${describeJson(document)}`);
  for (const [key, value] of Object.entries(document)) {
    if (key === 'default-docker') {
      if (value === null) continue;
      if (into.defaultDocker !== undefined) throw registriesError(file, key, `also defined in ${into.defaultDocker.origin}`);
      into.defaultDocker = parseStorage(file, key, value);
    } else if (key === 'docker') {
      if (value === null) continue;
      if (!isJsonObject(value)) throw registriesError(file, key, `must be a mapping of scopes, not ${describeJson(value)}`);
      for (const [scope, storage] of Object.entries(value)) {
        const at = jsonPath(key, scope);
        const problem = dockerScopeProblem(scope);
        if (problem !== undefined || scope === '') throw registriesError(file, at, `invalid scope: ${problem ?? 'must not be empty'}`);
        const earlier = into.docker.get(scope);
        if (earlier !== undefined) throw registriesError(file, at, `also defined in ${earlier.origin}`);
        into.docker.set(scope, parseStorage(file, at, storage));
      }
    } else {
      throw registriesError(file, key, 'unknown key (expected "default-docker" or "docker")');
    }
  }
}

/** Reads every `*.yaml` of `<configDir>/registries.d` (none: an empty config). */
export async function loadRegistriesConfig(configDir: string): Promise<RegistriesConfig> {
  const dir = path.join(configDir, REGISTRIES_D_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml') && !name.startsWith('.')).sort();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { dir, defaultDocker: undefined, docker: new Map() };
    throw error;
  }
  const into: { defaultDocker?: SignatureStorage; docker: Map<string, SignatureStorage> } = { docker: new Map() };
  if (names.length > 0) await loadYaml(); // the parser below is synchronous: load the fast copy first
  for (const name of names) {
    const file = path.join(dir, name);
    parseRegistriesFile(await readFile(file, 'utf8'), file, into);
  }
  return { dir, defaultDocker: into.defaultDocker, docker: into.docker };
}

/** The lookaside for `reference` and whether it may use attachments, each from where it is set. */
export interface ResolvedStorage {
  readonly lookaside: { readonly url: URL; readonly origin: string } | undefined;
  readonly useSigstoreAttachments: { readonly value: boolean; readonly origin: string } | undefined;
}

/**
 * The settings for `reference`, field by field as containers/image resolves them: each comes
 * from the most specific scope that sets it, else from default-docker.
 */
export function storageFor(config: RegistriesConfig, reference: DockerReference): ResolvedStorage {
  const candidates = [...dockerScopesOf(reference).map((scope) => config.docker.get(scope)), config.defaultDocker]
    .filter((storage): storage is SignatureStorage => storage !== undefined);
  const withLookaside = candidates.find((storage) => storage.lookaside !== undefined);
  const withAttachments = candidates.find((storage) => storage.useSigstoreAttachments !== undefined);
  return {
    lookaside: withLookaside?.lookaside === undefined ? undefined : { url: withLookaside.lookaside, origin: withLookaside.origin },
    useSigstoreAttachments: withAttachments?.useSigstoreAttachments === undefined ? undefined
      : { value: withAttachments.useSigstoreAttachments, origin: withAttachments.origin },
  };
}
