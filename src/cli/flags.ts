/**
 * @module cli/flags — a small, strict flag parser with rkt's conventions.
 *
 * `--name=value`, `--name value`, booleans as `--name` or `--name=false`, string flags with
 * an optional value (`--wait` alone means its `optionalValue`), repeatable list flags, `--`
 * ends flags. Unknown flags are usage errors with a "did you mean". Node's util.parseArgs
 * cannot express optional values or stop-at-first-positional, hence our own.
 */
import { usageError } from '../util/index.js';
import { closestMatch } from './suggest.js';

export type FlagKind = 'boolean' | 'string' | 'list';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
  /** One-letter alias, e.g. `h` for `--help`. */
  readonly short?: string;
  /** Shown in help, e.g. `DURATION`. */
  readonly valueName?: string;
  /** For string flags: the value when the flag is given without `=value` (e.g. `--wait`). */
  readonly optionalValue?: string;
  /** Help text default (documentation only; callers apply defaults). */
  readonly defaultText?: string;
  /** Allowed values of a string or list flag (list flags: also comma-separated items). */
  readonly choices?: readonly string[];
  readonly hidden?: boolean;
}

type FlagValue = boolean | string | string[];

/** Parsed flags, read with typed accessors. */
export class ParsedFlags {
  readonly #values: ReadonlyMap<string, FlagValue>;

  constructor(values: ReadonlyMap<string, FlagValue>) {
    this.#values = values;
  }

  /** True when the flag appeared on the command line. */
  given(name: string): boolean {
    return this.#values.has(name);
  }

  boolean(name: string, fallback = false): boolean {
    const value = this.#values.get(name);
    return typeof value === 'boolean' ? value : fallback;
  }

  string(name: string): string | undefined {
    const value = this.#values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  list(name: string): string[] {
    const value = this.#values.get(name);
    return Array.isArray(value) ? [...value] : [];
  }
}

export interface ParseResult {
  readonly flags: ParsedFlags;
  readonly args: string[];
}

export interface ParseOptions {
  /** After the first positional, everything is positional (for `enter UUID CMD --x`). */
  readonly stopAtFirstPositional?: boolean;
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false],
]);

function parseBoolean(spec: FlagSpec, raw: string): boolean {
  const value = BOOLEAN_WORDS.get(raw.toLowerCase());
  if (value === undefined) {
    throw usageError('ERR_FLAG_VALUE', `invalid value "${raw}" for --${spec.name}: expected true or false`);
  }
  return value;
}

function checkChoices(spec: FlagSpec, raw: string): void {
  if (spec.choices === undefined) return;
  const items = spec.kind === 'list' ? raw.split(',') : [raw];
  for (const item of items) {
    if (!spec.choices.includes(item)) {
      throw usageError('ERR_FLAG_VALUE', `invalid value "${item}" for --${spec.name}: expected one of ${spec.choices.join(', ')}`);
    }
  }
}

function lookup(specs: readonly FlagSpec[], token: string): FlagSpec {
  const isShort = !token.startsWith('--');
  const name = token.replace(/^--?/, '');
  const spec = specs.find((s) => (isShort ? s.short === name : s.name === name));
  if (spec !== undefined) return spec;
  const suggestion = isShort ? undefined : closestMatch(name, specs.filter((s) => s.hidden !== true).map((s) => s.name));
  throw usageError('ERR_UNKNOWN_FLAG', `unknown flag: ${token}`, {
    hint: suggestion === undefined ? 'see --help for the flags of this command' : `did you mean --${suggestion}?`,
  });
}

/** Parses `argv` against `specs`. Throws a usage error naming the offending flag. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], options: ParseOptions = {}): ParseResult {
  const values = new Map<string, FlagValue>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      args.push(token);
      if (options.stopAtFirstPositional === true) {
        args.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    const eq = token.indexOf('=');
    const spec = lookup(specs, eq === -1 ? token : token.slice(0, eq));
    const inline = eq === -1 ? undefined : token.slice(eq + 1);
    if (spec.kind === 'boolean') {
      values.set(spec.name, inline === undefined ? true : parseBoolean(spec, inline));
      continue;
    }
    let raw = inline ?? spec.optionalValue;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw usageError('ERR_FLAG_VALUE', `flag needs a value: --${spec.name}`);
      raw = next;
      i++;
    }
    checkChoices(spec, raw);
    if (spec.kind === 'list') {
      const previous = values.get(spec.name);
      values.set(spec.name, [...(Array.isArray(previous) ? previous : []), raw]);
    } else {
      values.set(spec.name, raw);
    }
  }
  return { flags: new ParsedFlags(values), args };
}
