/**
 * @module fetch/settings — network settings of fetches: extra trusted TLS roots and the
 * no-progress timeout. Flags win over `<configDir>/config.yaml`:
 *
 * ```yaml
 * tls:
 *   caFile: /etc/rocklet/ca.pem     # PEM bundle trusted besides the system roots (relative: to the config dir)
 * fetch:
 *   stallTimeout: 30s               # a download without progress for this long fails (ERR_FETCH_STALLED)
 * ```
 *
 * The config file is read by util's readConfigFile (the yaml parser is loaded only when it
 * exists); other sections belong to other parts of rocklet and are left alone here, e.g.
 *
 * ```yaml
 * network:
 *   bridge: rocklet0                # the pods' host bridge (net/network-settings)
 *   subnet: 172.16.28.0/24          # the pods' IPv4 subnet; the bridge gets its first address
 * ```
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, invalidArgument, notFound, parseDuration, readConfigFile } from '../../util/index.js';
import type { Platform } from '../registry/descriptor.js';
import { parsePlatform } from '../registry/platform.js';

/** A download that receives nothing for this long fails (rkt had no such limit). */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** What fetches need to know about the network. */
export interface FetchSettings {
  /** Roots to trust: undefined = Node's default store (also honours NODE_EXTRA_CA_CERTS). */
  readonly ca: readonly string[] | undefined;
  /** Where `ca`'s extra roots came from, for messages. */
  readonly caFile: string | undefined;
  readonly stallTimeoutMs: number;
  /** The `registries` section of config.yaml, by registry as references name it (`docker.io`, `127.0.0.1:5000`). */
  readonly registries?: ReadonlyMap<string, RegistrySettings>;
  /** `--platform`: the multi-arch entry OCI/Docker images are fetched for (default: the host's). */
  readonly platform?: Platform;
}

/** One entry of config.yaml's `registries` section. */
export interface RegistrySettings {
  /** Plain HTTP or unverified TLS allowed (default false). */
  readonly insecure: boolean;
  /** `host[:port]` or `http(s)://host[:port]`, tried in order before the registry. */
  readonly mirrors: readonly string[];
}

/** Values given on the command line (they override the config file). */
export interface SettingsOverrides {
  readonly caFile?: string | undefined;
  /** A duration such as `30s` or `500ms`. */
  readonly stallTimeout?: string | undefined;
  /** `--platform`: `os/arch[/variant]`. */
  readonly platform?: string | undefined;
}

interface ConfigValues {
  readonly caFile?: string;
  readonly stallTimeout?: string;
  readonly registries?: ReadonlyMap<string, RegistrySettings>;
}

/** `registries: { "127.0.0.1:5000": { insecure: true, mirrors: [...] } }`; errors name the key. */
function parseRegistries(file: string, value: unknown): ReadonlyMap<string, RegistrySettings> | undefined {
  if (value === undefined || value === null) return undefined;
  const bad = (key: string, why: string): Error => invalidArgument('ERR_CONFIG_INVALID', `${file}: ${key} ${why}`, {
    hint: 'registries: { "registry.example.com": { insecure: false, mirrors: ["mirror.example.com"] } }',
  });
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('registries', 'must be a mapping of registry names');
  const out = new Map<string, RegistrySettings>();
  for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
    const key = `registries."${name}"`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(key, 'must be a mapping');
    const { insecure = false, mirrors = [], ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw bad(`${key}.${unknown}`, 'is not a known setting (insecure, mirrors)');
    if (typeof insecure !== 'boolean') throw bad(`${key}.insecure`, 'must be true or false');
    if (!Array.isArray(mirrors) || !mirrors.every((mirror) => typeof mirror === 'string' && mirror !== '')) throw bad(`${key}.mirrors`, 'must be a list of hosts');
    out.set(name, { insecure, mirrors: mirrors as string[] });
  }
  return out;
}

async function readConfig(configDir: string): Promise<ConfigValues> {
  const { file, values } = await readConfigFile(configDir);
  // These sections are lenient as they always were: anything but a mapping counts as absent.
  const section = (key: string): Record<string, unknown> => {
    const value = values[key];
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  };
  const caFile = section('tls').caFile;
  const stallTimeout = section('fetch').stallTimeout;
  if (caFile !== undefined && typeof caFile !== 'string') throw invalidArgument('ERR_CONFIG_INVALID', `${file}: tls.caFile must be a string (a path)`);
  if (stallTimeout !== undefined && typeof stallTimeout !== 'string') {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: fetch.stallTimeout must be a duration string such as "30s"`);
  }
  const registries = parseRegistries(file, values['registries']);
  return {
    ...(caFile === undefined ? {} : { caFile: path.resolve(configDir, caFile) }),
    ...(stallTimeout === undefined ? {} : { stallTimeout }),
    ...(registries === undefined ? {} : { registries }),
  };
}

async function readCaFile(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_CA_FILE_NOT_FOUND', `CA file ${file}: no such file`, { cause: error });
    if (errnoCode(error) === 'EISDIR') throw invalidArgument('ERR_CA_FILE_INVALID', `CA file ${file} is a directory, not a PEM file`, { cause: error });
    throw error;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw invalidArgument('ERR_CA_FILE_INVALID', `CA file ${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  }
  return pem;
}

/** Settings from the flags, then `<configDir>/config.yaml`, then the defaults. */
export async function loadFetchSettings(configDir: string, overrides: SettingsOverrides = {}): Promise<FetchSettings> {
  const config = await readConfig(configDir);
  if (overrides.caFile === '') throw invalidArgument('ERR_CA_FILE_INVALID', 'the CA file name is empty');
  const caFile = overrides.caFile === undefined ? config.caFile : path.resolve(overrides.caFile);
  const stallText = overrides.stallTimeout ?? config.stallTimeout;
  const stallTimeoutMs = stallText === undefined ? DEFAULT_STALL_TIMEOUT_MS : parseDuration(stallText);
  if (stallTimeoutMs <= 0) throw invalidArgument('ERR_STALL_TIMEOUT', `the stall timeout must be positive, not "${stallText ?? ''}"`);
  return {
    // Giving `ca` replaces Node's roots, so the bundled ones go first.
    // node:tls loads on demand: importing it costs every pod command ~15 ms of start-up.
    ca: caFile === undefined ? undefined : [...(await import('node:tls')).rootCertificates, await readCaFile(caFile)],
    caFile,
    stallTimeoutMs,
    ...(config.registries === undefined ? {} : { registries: config.registries }),
    ...(overrides.platform === undefined ? {} : { platform: parsePlatform(overrides.platform) }),
  };
}
