/**
 * @module cli/complete/engine — what `rocklet __complete` answers: the candidates for the word
 * under the cursor, from the same command and flag tables that parse the command line (so
 * completion never offers a flag the parser refuses), plus the names only the machine knows
 * (pods, pod UUIDs, images) through a {@link NameSource}. Pure apart from that source.
 */
import type { CommandSpec } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { GLOBAL_FLAGS } from '../globals.js';

/** What positional arguments of a command are, for completion. */
export type ArgumentKind = 'pod-uuid' | 'pod' | 'image' | 'image-or-file' | 'file' | 'dir' | 'file-or-dir';

/**
 * The positional arguments of commands, by command path. Kept beside the engine instead of in
 * the command table so the table stays what parses; a unit test checks every path exists.
 */
export const ARGUMENT_KINDS: Readonly<Record<string, ArgumentKind>> = {
  'run': 'image-or-file',
  'prepare': 'image-or-file',
  'fetch': 'image-or-file',
  'run-prepared': 'pod-uuid',
  'status': 'pod-uuid',
  'stop': 'pod-uuid',
  'enter': 'pod-uuid',
  'rm': 'pod-uuid',
  'cat-manifest': 'pod-uuid',
  'export': 'pod-uuid',
  'logs': 'pod',
  'trust': 'file',
  'validate': 'file-or-dir',
  'image rm': 'image',
  'image cat-manifest': 'image',
  'image export': 'image',
  'image extract': 'image',
  'image render': 'image',
  'image verify': 'image',
  'image build': 'dir',
  'image validate': 'file',
  'pod up': 'pod-uuid',
  'pod down': 'pod-uuid',
  'app prepare': 'pod-uuid',
  'app cleanup': 'pod-uuid',
};

/** Commands whose every positional argument is of their {@link ARGUMENT_KINDS} kind. */
const LIST_COMMANDS: ReadonlySet<string> = new Set(['run', 'prepare', 'fetch', 'validate', 'trust', 'image rm', 'image verify', 'image validate']);

/** Where the dynamic names come from; every method answers [] when it cannot tell. */
export interface NameSource {
  /** Pod names the daemon knows (and, for `logs`, anything else that names a pod). */
  podNames(): Promise<string[]>;
  podUuids(): Promise<string[]>;
  /** Image names (and, when the word starts like one, image IDs). */
  imageNames(prefix: string): Promise<string[]>;
}

/** Besides the candidates: what the shell should do itself. */
export type CompletionDirective = 'none' | 'files' | 'dirs';

export interface Completion {
  readonly candidates: readonly string[];
  readonly directive: CompletionDirective;
}

/** Global options read from the words typed so far (where the dynamic names live). */
export interface TypedLocations {
  readonly dir: string | undefined;
  readonly configDir: string | undefined;
  readonly runDir: string | undefined;
}

function visibleChildren(spec: CommandSpec): CommandSpec[] {
  return (spec.subcommands ?? []).filter((child) => child.hidden !== true);
}

function childNamed(spec: CommandSpec, word: string): CommandSpec | undefined {
  const children = spec.subcommands ?? [];
  const exact = children.find((child) => child.name === word);
  if (exact !== undefined) return exact;
  const byPrefix = children.filter((child) => child.hidden !== true && child.name.startsWith(word));
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

function flagsOf(spec: CommandSpec): FlagSpec[] {
  return [...(spec.flags ?? []), ...GLOBAL_FLAGS];
}

/** The flags that say where the names live, read from `--name=value` even where the command lacks them. */
const LOCATION_FLAGS = ['dir', 'config-dir', 'run-dir'];

function findFlag(flags: readonly FlagSpec[], token: string): FlagSpec | undefined {
  const name = token.replace(/^--?/, '').split('=')[0] ?? '';
  return token.startsWith('--') ? flags.find((f) => f.name === name) : flags.find((f) => f.short === name);
}

function needsSeparateValue(flag: FlagSpec | undefined, token: string): boolean {
  return flag !== undefined && flag.kind !== 'boolean' && flag.optionalValue === undefined && !token.includes('=');
}

/** Where the command line is: the command reached and how many positionals precede the cursor. */
interface Position {
  readonly path: readonly string[];
  readonly spec: CommandSpec;
  readonly positionals: number;
  /** The flag whose value the cursor's word is (`--format ⎵`), if any. */
  readonly pendingFlag: FlagSpec | undefined;
  readonly locations: TypedLocations;
}

function locate(root: CommandSpec, words: readonly string[]): Position {
  let spec = root;
  const path: string[] = [];
  let positionals = 0;
  let pendingFlag: FlagSpec | undefined;
  let afterDashes = false;
  const seen = new Map<string, string>();
  for (const word of words) {
    if (pendingFlag !== undefined) {
      seen.set(pendingFlag.name, word);
      pendingFlag = undefined;
      continue;
    }
    if (!afterDashes && word === '--') {
      afterDashes = true;
      continue;
    }
    if (!afterDashes && word.startsWith('-') && word !== '-') {
      const flag = findFlag(flagsOf(spec), word);
      const eq = word.indexOf('=');
      const name = word.slice(2, eq);
      if (needsSeparateValue(flag, word)) pendingFlag = flag;
      else if (eq > 2 && word.startsWith('--') && (flag !== undefined || LOCATION_FLAGS.includes(name))) seen.set(name, word.slice(eq + 1));
      continue;
    }
    const child = afterDashes ? undefined : childNamed(spec, word);
    if (child !== undefined && positionals === 0) {
      spec = child;
      path.push(child.name);
      continue;
    }
    positionals++;
  }
  return { path, spec, positionals, pendingFlag, locations: { dir: seen.get('dir'), configDir: seen.get('config-dir'), runDir: seen.get('run-dir') } };
}

function fileDirective(valueName: string | undefined): CompletionDirective {
  if (valueName === undefined) return 'none';
  if (/DIR/.test(valueName)) return 'dirs';
  return /FILE|PATH/.test(valueName) ? 'files' : 'none';
}

function valueCompletion(flag: FlagSpec, prefix: string, current: string): Completion {
  const values = flag.choices ?? (flag.kind === 'boolean' ? ['true', 'false'] : []);
  if (values.length > 0) return { candidates: values.map((v) => `${prefix}${v}`).filter((c) => c.startsWith(current)), directive: 'none' };
  return { candidates: [], directive: fileDirective(flag.valueName) };
}

async function argumentCompletion(kind: ArgumentKind | undefined, current: string, names: NameSource): Promise<Completion> {
  const starting = (list: readonly string[]): string[] => [...new Set(list)].filter((name) => name.startsWith(current)).sort();
  switch (kind) {
    case undefined:
      return { candidates: [], directive: 'none' };
    case 'pod-uuid':
      return { candidates: starting(await names.podUuids()), directive: 'none' };
    case 'pod':
      return { candidates: starting([...(await names.podNames()), ...(await names.podUuids())]), directive: 'none' };
    case 'image':
      return { candidates: starting(await names.imageNames(current)), directive: 'none' };
    case 'image-or-file':
      return { candidates: starting(await names.imageNames(current)), directive: 'files' };
    case 'file':
    case 'file-or-dir':
      return { candidates: [], directive: 'files' };
    case 'dir':
      return { candidates: [], directive: 'dirs' };
  }
}

/**
 * Candidates for `current`, the word under the cursor, after `words` (the words typed before it,
 * without the program name). `names` is asked only when a positional argument is completed;
 * `nameSourceFor` gets the --dir/--config-dir/--run-dir typed on the line.
 */
export async function completeWords(
  root: CommandSpec,
  words: readonly string[],
  current: string,
  nameSourceFor: (locations: TypedLocations) => NameSource,
): Promise<Completion> {
  const position = locate(root, words);
  const flags = flagsOf(position.spec).filter((f) => f.hidden !== true);
  if (position.pendingFlag !== undefined) return valueCompletion(position.pendingFlag, '', current);
  if (current.startsWith('-')) {
    const eq = current.indexOf('=');
    if (eq >= 0) {
      const flag = findFlag(flags, current);
      return flag === undefined ? { candidates: [], directive: 'none' } : valueCompletion(flag, current.slice(0, eq + 1), current);
    }
    const candidates = flags.map((f) => (f.kind === 'boolean' || f.optionalValue !== undefined ? `--${f.name}` : `--${f.name}=`)).filter((c) => c.startsWith(current));
    return { candidates: candidates.sort(), directive: 'none' };
  }
  if (position.spec.subcommands !== undefined && position.positionals === 0) {
    const children = visibleChildren(position.spec).map((child) => child.name);
    return { candidates: (position.path.length === 0 ? [...children, 'help'] : children).filter((c) => c.startsWith(current)).sort(), directive: 'none' };
  }
  // Only the first positional names a pod or an image (export UUID OUT, extract IMAGE DIR …),
  // except for commands that take a list of them (image rm IMAGE…, run IMAGE --- IMAGE …).
  const command = position.path.join(' ');
  const kind = ARGUMENT_KINDS[command];
  if (position.positionals > 0 && !LIST_COMMANDS.has(command)) return { candidates: [], directive: kind === undefined ? 'none' : 'files' };
  return argumentCompletion(kind, current, nameSourceFor(position.locations));
}

/** The wire format between `rocklet __complete` and the shell scripts: candidates, then `:directive`. */
export function formatCompletion(completion: Completion): string {
  return `${[...completion.candidates, `:${completion.directive}`].join('\n')}\n`;
}
