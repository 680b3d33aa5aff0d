/**
 * @module cli/commands/man — `rocklet man [--dir=DIR] [COMMAND...]`: the man page of a command
 * on stdout, or every page written into DIR (each atomically; the written paths on stdout).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { usageError, writeFileAtomic } from '../../util/index.js';
import type { CommandHandler, CommandSpec } from '../command.js';
import { manPage, manPages } from '../complete/man.js';
import { rockletVersion } from './version.js';

function commandAt(root: CommandSpec, words: readonly string[]): CommandSpec {
  let spec = root;
  for (const [i, word] of words.entries()) {
    const child = (spec.subcommands ?? []).find((c) => c.name === word && c.hidden !== true);
    if (child === undefined) {
      throw usageError('ERR_UNKNOWN_COMMAND', `no man page for "${['rocklet', ...words.slice(0, i + 1)].join(' ')}": unknown command "${word}"`, { hint: 'rocklet --help lists the commands' });
    }
    spec = child;
  }
  return spec;
}

export const handler: CommandHandler = async (ctx) => {
  const version = rockletVersion();
  const dir = ctx.flags.string('dir');
  if (dir === undefined) {
    ctx.out.stdout(manPage(ctx.args, commandAt(ctx.root, ctx.args), version).text);
    return 0;
  }
  if (ctx.args.length > 0) throw usageError('ERR_TOO_MANY_ARGUMENTS', '--dir writes every page; give no COMMAND with it');
  await mkdir(dir, { recursive: true });
  for (const page of manPages(ctx.root, version)) {
    const file = path.join(dir, page.fileName);
    await writeFileAtomic(file, page.text, { mode: 0o644 });
    ctx.out.stdout(`${file}\n`);
  }
  return 0;
};
