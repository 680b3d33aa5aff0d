/**
 * @module util/config-file — `<configDir>/config.yaml`, read once per caller and handed out as its
 * top-level mapping. Each part of rocklet owns one section (`tls`, `fetch`, `network`) and checks
 * it itself; this module only guarantees a mapping. The `yaml` package is loaded only when the
 * file exists, so commands on a host without a config file never pay for it.
 */
import path from 'node:path';
import { invalidArgument } from './errors.js';
import { readTextIfExists } from './read-if-exists.js';
import { loadYaml } from './yaml-lib.js';

export const CONFIG_FILE_NAME = 'config.yaml';

/** The parsed config file: empty `values` when it does not exist (or holds only comments). */
export interface ConfigFile {
  /** Where it was read from, for messages. */
  readonly file: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** Read `<configDir>/config.yaml`; throws ERR_CONFIG_INVALID (naming the file) for bad YAML or a non-mapping top level. */
export async function readConfigFile(configDir: string): Promise<ConfigFile> {
  const file = path.join(configDir, CONFIG_FILE_NAME);
  const text = await readTextIfExists(file);
  if (text === undefined) return { file, values: {} };
  const { parse } = await loadYaml();
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  // An empty file, or one with only comments, parses to null: no settings.
  if (doc === null || doc === undefined) return { file, values: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: the top level must be a mapping of sections (such as "network:"), not ${describeYamlValue(doc)}`);
  }
  return { file, values: doc as Record<string, unknown> };
}

/** How a parsed YAML value reads in a message: `a list`, `the string "x"`, `the number 3`. */
export function describeYamlValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${value}`;
  return `a ${typeof value}`;
}
