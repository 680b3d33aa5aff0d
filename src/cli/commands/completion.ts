/** @module cli/commands/completion — `rocklet completion bash|zsh|fish`: prints the completion script. */
import { usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { completionScript, SHELLS } from '../complete/scripts.js';
import type { Shell } from '../complete/scripts.js';
import { expectArguments } from './image-common.js';

function isShell(name: string): name is Shell {
  return (SHELLS as readonly string[]).includes(name);
}

export const handler: CommandHandler = (ctx) => {
  const [shell = ''] = expectArguments(ctx, { names: ['SHELL'] });
  if (!isShell(shell)) {
    throw usageError('ERR_UNKNOWN_SHELL', `no completion for shell "${shell}": rocklet completes ${SHELLS.join(', ')}`, { hint: 'rocklet completion bash' });
  }
  ctx.out.stdout(completionScript(shell));
  return Promise.resolve(0);
};
