/**
 * @module daemon/settings — where the daemon looks and how often: flags win over the `daemon`
 * section of `<config-dir>/config.yaml`, which wins over the defaults.
 *
 * ```yaml
 * daemon:
 *   podDir: /etc/pods          # the pod files (relative: to the config dir)
 *   resyncInterval: 1m         # full reconcile period, besides events
 *   debounce: 20ms             # quiet time after a file event before the file is read
 * ```
 *
 * Unknown keys and bad values are errors naming the file and key.
 */
import path from 'node:path';
import { describeYamlValue, invalidArgument, parseDuration, readConfigFile } from '../util/index.js';

export const DEFAULT_POD_DIR = '/etc/pods';
export const DEFAULT_RUN_DIR = '/run/rocklet';
export const DEFAULT_RESYNC_MS = 60_000;
export const DEFAULT_DEBOUNCE_MS = 20;

export interface DaemonSettings {
  readonly podDir: string;
  readonly resyncMs: number;
  readonly debounceMs: number;
}

/** Values given on the command line. */
export interface DaemonOverrides {
  readonly podDir?: string | undefined;
  readonly resyncInterval?: string | undefined;
}

const KEYS = ['podDir', 'resyncInterval', 'debounce'] as const;

function durationOf(file: string, key: string, value: unknown): number {
  if (typeof value !== 'string') throw invalidArgument('ERR_CONFIG_INVALID', `${file}: daemon.${key} must be a duration such as "30s", not ${describeYamlValue(value)}`);
  try {
    return parseDuration(value);
  } catch (error) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: daemon.${key}: ${(error as Error).message}`, { cause: error });
  }
}

/** The daemon's settings (see the module doc). */
export async function loadDaemonSettings(configDir: string, overrides: DaemonOverrides = {}): Promise<DaemonSettings> {
  const { file, values } = await readConfigFile(configDir);
  const section = values.daemon ?? {};
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: daemon must be a mapping, not ${describeYamlValue(section)}`);
  }
  const config = section as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!(KEYS as readonly string[]).includes(key)) throw invalidArgument('ERR_CONFIG_INVALID', `${file}: unknown key daemon.${key} (known: ${KEYS.join(', ')})`);
  }
  if (config.podDir !== undefined && (typeof config.podDir !== 'string' || config.podDir === '')) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: daemon.podDir must be a directory path, not ${describeYamlValue(config.podDir)}`);
  }
  const podDir = overrides.podDir ?? (typeof config.podDir === 'string' ? path.resolve(configDir, config.podDir) : DEFAULT_POD_DIR);
  const resyncMs =
    overrides.resyncInterval !== undefined ? parseDuration(overrides.resyncInterval) : config.resyncInterval === undefined ? DEFAULT_RESYNC_MS : durationOf(file, 'resyncInterval', config.resyncInterval);
  const debounceMs = config.debounce === undefined ? DEFAULT_DEBOUNCE_MS : durationOf(file, 'debounce', config.debounce);
  if (resyncMs < 1000) throw invalidArgument('ERR_CONFIG_INVALID', `the resync interval must be at least 1s (got ${resyncMs} ms)`);
  return { podDir: path.resolve(podDir), resyncMs, debounceMs };
}
