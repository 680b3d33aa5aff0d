/**
 * @module cli/dispatch — from argv to a finished command: resolve the command path
 * (unique prefixes allowed, like rkt's cobra), parse flags, load and run the handler,
 * and turn every outcome into an exit code. The only place that decides exit codes.
 */
import { failedPrecondition, usageError } from '../util/index.js';
import type { CommandContext, CommandSpec, Output } from './command.js';
import { parseFlags } from './flags.js';
import type { FlagSpec } from './flags.js';
import { GLOBAL_FLAGS, readGlobalOptions } from './globals.js';
import type { GlobalOptions } from './globals.js';
import { renderHelp } from './help.js';
import { formatError } from './report-error.js';
import { closestMatch } from './suggest.js';
import { ROOT_COMMAND } from './table/index.js';

export interface CliIo {
  readonly output: (prefix: string, debug: boolean) => Output;
  readonly stderr: (text: string) => void;
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
}

interface Resolved {
  readonly path: string[];
  readonly spec: CommandSpec;
  /** Global flags that appeared before the command words, plus everything after them. */
  readonly rest: string[];
}

function findSubcommand(parent: CommandSpec, word: string): CommandSpec | undefined {
  const children = parent.subcommands ?? [];
  const exact = children.find((c) => c.name === word);
  if (exact !== undefined) return exact;
  const byPrefix = children.filter((c) => c.hidden !== true && c.name.startsWith(word));
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) {
    throw usageError('ERR_AMBIGUOUS_COMMAND', `ambiguous command "${word}": could be ${byPrefix.map((c) => c.name).join(', ')}`);
  }
  return undefined;
}

function takesValue(token: string): boolean {
  if (!token.startsWith('-') || token.includes('=')) return false;
  const name = token.replace(/^--?/, '');
  const flag = GLOBAL_FLAGS.find((f) => f.name === name || f.short === name);
  return flag !== undefined && flag.kind !== 'boolean' && flag.optionalValue === undefined;
}

/** Walks argv: global flags may precede and be mixed with command words. */
function resolve(argv: readonly string[]): Resolved {
  const path: string[] = [];
  const rest: string[] = [];
  let spec = ROOT_COMMAND;
  let i = 0;
  let commandEnd = 0;
  for (; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') break;
    if (token.startsWith('-')) {
      rest.push(token);
      if (takesValue(token) && i + 1 < argv.length) rest.push(argv[++i] as string);
      continue;
    }
    if (spec.subcommands === undefined) break;
    const next = token === 'help' && spec === ROOT_COMMAND ? undefined : findSubcommand(spec, token);
    if (next === undefined) {
      if (token === 'help' && spec === ROOT_COMMAND) {
        rest.push('--help');
        continue;
      }
      const suggestion = closestMatch(token, (spec.subcommands ?? []).filter((c) => c.hidden !== true).map((c) => c.name));
      throw usageError('ERR_UNKNOWN_COMMAND', `unknown command "${token}" for "${['rocklet', ...path].join(' ')}"`, {
        hint: suggestion === undefined ? `run "${['rocklet', ...path].join(' ')} --help" for the list of commands` : `did you mean "${suggestion}"?`,
      });
    }
    spec = next;
    path.push(next.name);
    commandEnd = i + 1;
    if (spec.passThrough === true) break;
  }
  // A passThrough command's arguments are the tool's, global flags before it are rocklet's.
  if (spec.passThrough === true) return { path, spec, rest: argv.slice(commandEnd) };
  return { path, spec, rest: [...rest, ...argv.slice(i)] };
}

async function execute(resolved: Resolved, io: CliIo, prefix: string): Promise<number> {
  const { path, spec, rest } = resolved;
  const flagSpecs: readonly FlagSpec[] = [...(spec.flags ?? []), ...GLOBAL_FLAGS];
  const { flags, args } = spec.passThrough === true
    ? parseFlags([], flagSpecs)
    : parseFlags(rest, flagSpecs, spec.stopAtFirstPositional === true ? { stopAtFirstPositional: true } : {});
  const globals: GlobalOptions = readGlobalOptions(flags);
  const out = io.output(prefix, globals.debug);
  if (flags.boolean('help')) {
    out.stdout(renderHelp(path, spec));
    return 0;
  }
  const versionCommand = path.length === 0 && flags.boolean('version') ? findSubcommand(spec, 'version') : undefined;
  if (versionCommand !== undefined) return execute({ path: ['version'], spec: versionCommand, rest: rest.filter((token) => token !== '--version') }, io, 'version');
  if (spec.load === undefined) {
    if (spec.subcommands !== undefined) {
      io.stderr(renderHelp(path, spec));
      throw usageError('ERR_MISSING_COMMAND', path.length === 0 ? 'missing command' : `missing subcommand for "${path.join(' ')}"`);
    }
    throw failedPrecondition('ERR_NOT_IMPLEMENTED', 'not implemented yet');
  }
  const module = await spec.load();
  const ctx: CommandContext = { command: prefix, globals, flags, args, rawArgs: rest, out, signal: io.signal, env: io.env, root: ROOT_COMMAND };
  return module.handler(ctx);
}

/** Runs one rocklet invocation; returns the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const formatFlag = argv.find((a) => a.startsWith('--format='))?.slice('--format='.length);
  const format = formatFlag === 'json' || formatFlag === 'json-pretty' ? formatFlag : undefined;
  let prefix = 'rocklet';
  try {
    const resolved = resolve(argv);
    prefix = resolved.path.length === 0 ? 'rocklet' : resolved.path.join(' ');
    if (resolved.spec.runsInHost === true && !argv.includes('--help') && !argv.includes('-h')) {
      const routed = await (await import('./host-route.js')).runInHost(argv, io);
      if (routed !== undefined) return routed;
    }
    return await execute(resolved, io, prefix);
  } catch (error: unknown) {
    const report = formatError(prefix, error, { debug, format });
    io.stderr(report.text);
    return report.exitCode;
  }
}
