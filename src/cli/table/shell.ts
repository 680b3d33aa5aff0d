/** @module cli/table/shell — living with the CLI: shell completion and man pages. */
import type { CommandSpec } from '../command.js';

export const SHELL_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'completion', summary: 'print the shell completion script for bash, zsh or fish', usage: 'bash|zsh|fish',
    description: 'Completes commands, flags, flag values, pod names, pod UUIDs and image names (the last three read from the\n'
      + 'stores named by --dir and --run-dir on the line, or their defaults).\n\n'
      + 'bash: source <(rocklet completion bash), or save it as /usr/share/bash-completion/completions/rocklet\n'
      + 'zsh:  source <(rocklet completion zsh), or save it as _rocklet in a directory of $fpath\n'
      + 'fish: rocklet completion fish > ~/.config/fish/completions/rocklet.fish',
    load: () => import('../commands/completion.js'),
  },
  {
    name: 'man', summary: 'print or write the man pages of rocklet\'s commands', usage: '[flags] [COMMAND...]',
    description: 'The pages are made from the same tables as --help. Without --dir, prints the page of COMMAND (default: rocklet)\n'
      + 'in roff (man -l - reads it); with --dir, writes one page per command (rocklet-image-rm.1 …) into DIR.\n'
      + 'Example: rocklet man --dir=/usr/local/share/man/man1 && mandb -q',
    flags: [{ name: 'dir', kind: 'string', valueName: 'DIR', help: 'write every page into DIR (created if missing) instead of printing one' }],
    load: () => import('../commands/man.js'),
  },
  {
    name: '__complete', summary: 'completion candidates for the words after "--" (used by the completion scripts)', usage: '-- [WORD...] CURRENT',
    hidden: true, load: () => import('../commands/complete.js'),
  },
];

