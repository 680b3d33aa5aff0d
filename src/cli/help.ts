/** @module cli/help — renders `--help` text from the command table. */
import type { CommandSpec } from './command.js';
import type { FlagSpec } from './flags.js';
import { GLOBAL_FLAGS } from './globals.js';

export function flagLabel(flag: FlagSpec): string {
  const short = flag.short === undefined ? '    ' : `-${flag.short}, `;
  const value = flag.kind === 'boolean' ? '' : flag.optionalValue !== undefined ? `[=${flag.valueName ?? 'VALUE'}]` : `=${flag.valueName ?? 'VALUE'}`;
  return `${short}--${flag.name}${value}`;
}

function flagLines(flags: readonly FlagSpec[]): string[] {
  const visible = flags.filter((f) => f.hidden !== true);
  const width = Math.max(...visible.map((f) => flagLabel(f).length));
  return visible.map((f) => {
    const suffix = f.defaultText === undefined ? '' : ` (default ${f.defaultText})`;
    return `  ${flagLabel(f).padEnd(width)}  ${f.help}${suffix}`;
  });
}

/** Help text for `path` (e.g. ['image', 'rm']) whose spec is `spec`. */
export function renderHelp(path: readonly string[], spec: CommandSpec): string {
  const fullName = ['rocklet', ...path].join(' ');
  const lines = [`${fullName} - ${spec.summary}`, '', 'Usage:', `  ${fullName} ${spec.usage}`];
  if (spec.description !== undefined) lines.push('', ...spec.description.split('\n'));
  const subcommands = (spec.subcommands ?? []).filter((s) => s.hidden !== true);
  if (subcommands.length > 0) {
    const width = Math.max(...subcommands.map((s) => s.name.length));
    lines.push('', 'Commands:', ...subcommands.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}${s.load === undefined && s.subcommands === undefined ? ' (not implemented yet)' : ''}`));
  }
  if (spec.flags !== undefined && spec.flags.length > 0) lines.push('', 'Flags:', ...flagLines(spec.flags));
  lines.push('', 'Global flags:', ...flagLines(GLOBAL_FLAGS));
  if (subcommands.length > 0) lines.push('', `Use "${fullName} COMMAND --help" for more about a command.`);
  return `${lines.join('\n')}\n`;
}
