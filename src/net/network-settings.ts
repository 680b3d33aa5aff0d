/**
 * @module net/network-settings — the `network` section of `<configDir>/config.yaml`:
 *
 * ```yaml
 * network:
 *   bridge: rocklet0          # the pods' host bridge (1-15 characters of A-Z a-z 0-9 _ -)
 *   subnet: 172.16.28.0/24    # the pods' IPv4 subnet, /8 to /30; the bridge gets its first address
 * ```
 *
 * Both keys are optional (defaults above). Any other key is an error, so a typo never falls
 * back to the defaults silently; every message names the file and the key path.
 */
import { describeYamlValue, invalidArgument, isRockletError, readConfigFile } from '../util/index.js';
import type { NetworkConfig } from './config.js';
import { parseNetworkConfig } from './config.js';

/** The keys of the section and what each sets in {@link NetworkConfig}. */
const KEYS = { bridge: 'bridgeName', subnet: 'subnet' } as const;
type SectionKey = keyof typeof KEYS;

/** The values of the section, as {@link parseNetworkConfig} takes them. */
export interface NetworkSection {
  readonly bridgeName?: string;
  readonly subnet?: string;
}

function isSectionKey(key: string): key is SectionKey {
  return Object.hasOwn(KEYS, key);
}

/** Check the `network` value of config.yaml (`file` only names it in messages); types only, values are checked by parseNetworkConfig. */
export function parseNetworkSection(value: unknown, file: string): NetworkSection {
  // `network:` with nothing below it parses to null: the defaults.
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: network must be a mapping (bridge, subnet), not ${describeYamlValue(value)}`);
  }
  const section: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (!isSectionKey(key)) {
      unknown.push(key);
      continue;
    }
    if (typeof item !== 'string') {
      throw invalidArgument('ERR_CONFIG_INVALID', `${file}: network.${key} must be a string, not ${describeYamlValue(item)}`, {
        hint: key === 'subnet' ? 'write it as NETWORK/PREFIX, e.g. 172.16.28.0/24' : 'write an interface name such as rocklet0 (quote it if it is all digits)',
      });
    }
    section[KEYS[key]] = item;
  }
  if (unknown.length > 0) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: unknown key${unknown.length > 1 ? 's' : ''} in network: ${unknown.map((k) => `network.${k}`).join(', ')}`, {
      hint: `the network section takes: ${Object.keys(KEYS).join(', ')}`,
    });
  }
  return section;
}

/** The key path of the first value parseNetworkConfig rejected, by the error's code. */
function keyOfCode(code: string): SectionKey | undefined {
  if (code === 'ERR_NET_INVALID_BRIDGE') return 'bridge';
  if (code === 'ERR_NET_INVALID_CIDR') return 'subnet';
  return undefined;
}

/**
 * The pod network of `<configDir>/config.yaml` with its lease dir under `<dataDir>/net/<bridge>`.
 * Bad values keep the net layer's code (ERR_NET_INVALID_BRIDGE, ERR_NET_INVALID_CIDR) and hint,
 * with `<file>: network.<key>: ` in front of the message.
 */
export async function loadNetworkConfig(configDir: string, options: { readonly dataDir: string }): Promise<NetworkConfig> {
  const { file, values } = await readConfigFile(configDir);
  const section = parseNetworkSection(values.network, file);
  try {
    return parseNetworkConfig({ ...section, dataDir: options.dataDir });
  } catch (error) {
    const key = isRockletError(error) ? keyOfCode(error.code) : undefined;
    if (!isRockletError(error) || key === undefined || section[KEYS[key]] === undefined) throw error;
    throw invalidArgument(error.code, `${file}: network.${key}: ${error.message}`, { hint: error.hint, cause: error });
  }
}
