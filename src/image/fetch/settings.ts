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

/** A download that receives nothing for this long fails (rkt had no such limit). */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** What fetches need to know about the network. */
export interface FetchSettings {
  /** Roots to trust: undefined = Node's default store (also honours NODE_EXTRA_CA_CERTS). */
  readonly ca: readonly string[] | undefined;
  /** Where `ca`'s extra roots came from, for messages. */
  readonly caFile: string | undefined;
  readonly stallTimeoutMs: number;
}

/** Values given on the command line (they override the config file). */
export interface SettingsOverrides {
  readonly caFile?: string | undefined;
  /** A duration such as `30s` or `500ms`. */
  readonly stallTimeout?: string | undefined;
}

interface ConfigValues {
  readonly caFile?: string;
  readonly stallTimeout?: string;
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
  return {
    ...(caFile === undefined ? {} : { caFile: path.resolve(configDir, caFile) }),
    ...(stallTimeout === undefined ? {} : { stallTimeout }),
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
  const config = overrides.caFile !== undefined && overrides.stallTimeout !== undefined ? {} : await readConfig(configDir);
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
  };
}
