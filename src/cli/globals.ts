/**
 * @module cli/globals — flags every command accepts (rkt's persistent flags).
 */
import path from 'node:path';
import { INSECURE_OPTION_WORDS, parseInsecureOptions, usageError } from '../util/index.js';
import type { InsecureOptions } from '../util/index.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

export const OUTPUT_FORMATS = ['table', 'json', 'json-pretty'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const DEFAULT_DATA_DIR = '/var/lib/rocklet';
export const DEFAULT_CONFIG_DIR = '/etc/rocklet';

export interface GlobalOptions {
  /** Data root (images, pods, network leases). */
  readonly dir: string;
  /** Config root (config.yaml, machine.yaml, trustedkeys/). */
  readonly configDir: string;
  readonly insecure: InsecureOptions;
  readonly debug: boolean;
  /** `undefined` when not given: each command picks its natural default. */
  readonly format: OutputFormat | undefined;
}

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'dir', kind: 'string', valueName: 'DIR', defaultText: DEFAULT_DATA_DIR, help: 'data directory: images, pods, network leases' },
  { name: 'config-dir', kind: 'string', valueName: 'DIR', defaultText: DEFAULT_CONFIG_DIR, help: 'configuration directory: config.yaml, machine.yaml, trusted keys' },
  {
    name: 'insecure-options', kind: 'string', valueName: 'LIST', defaultText: 'none',
    help: `comma-separated security features to disable: ${INSECURE_OPTION_WORDS.join(', ')}`,
  },
  { name: 'debug', kind: 'boolean', help: 'print debug messages and the cause chain of errors' },
  { name: 'format', kind: 'string', valueName: 'FORMAT', choices: OUTPUT_FORMATS, help: 'output format where it applies: table, json, json-pretty' },
  { name: 'help', kind: 'boolean', short: 'h', help: 'show help for the command' },
];

function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

function nonEmpty(flags: ParsedFlags, name: string, fallback: string): string {
  const value = flags.string(name);
  if (value === undefined) return fallback;
  if (value === '') throw usageError('ERR_FLAG_VALUE', `--${name} must not be empty`);
  return value;
}

/** Turns parsed flags into GlobalOptions; throws usage errors for bad values. */
export function readGlobalOptions(flags: ParsedFlags): GlobalOptions {
  const format = flags.string('format');
  if (format !== undefined && !isOutputFormat(format)) {
    throw usageError('ERR_FLAG_VALUE', `invalid --format "${format}": expected ${OUTPUT_FORMATS.join(', ')}`);
  }
  return {
    dir: path.resolve(nonEmpty(flags, 'dir', DEFAULT_DATA_DIR)),
    configDir: path.resolve(nonEmpty(flags, 'config-dir', DEFAULT_CONFIG_DIR)),
    insecure: parseInsecureOptions(flags.string('insecure-options') ?? 'none'),
    debug: flags.boolean('debug'),
    format,
  };
}
