/**
 * @module cli/complete/man — man pages (roff, man(7) macros) from the command table: the same
 * summaries, usage lines, descriptions and flag tables `--help` prints, one page per command
 * (`rocklet-image-rm.1`), groups listing their commands, every page pointing at its parent and
 * children under SEE ALSO.
 */
import type { CommandSpec } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { GLOBAL_FLAGS } from '../globals.js';
import { flagLabel } from '../help.js';

export interface ManPage {
  /** e.g. `rocklet-image-rm.1`. */
  readonly fileName: string;
  /** The command path, e.g. ['image', 'rm']. */
  readonly path: readonly string[];
  readonly text: string;
}

/** Text made safe for roff: backslashes, hyphens that are options, and a leading control character. */
export function roffEscape(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    // Non-ASCII (…, →) as groff/mandoc Unicode escapes: troff reads its input as Latin-1.
    .replace(/[^\x00-\x7f]/gu, (char) => `\\[u${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function pageName(path: readonly string[]): string {
  return ['rocklet', ...path].join('-');
}

function flagItems(flags: readonly FlagSpec[]): string[] {
  return flags
    .filter((flag) => flag.hidden !== true)
    .flatMap((flag) => {
      const choices = flag.choices === undefined ? '' : ` One of: ${flag.choices.join(', ')}.`;
      const fallback = flag.defaultText === undefined ? '' : ` Default: ${flag.defaultText}.`;
      return ['.TP', `.B ${roffEscape(flagLabel(flag).trim())}`, roffEscape(`${flag.help}.${choices}${fallback}`.replace(/\.\./g, '.'))];
    });
}

function visibleChildren(spec: CommandSpec): CommandSpec[] {
  return (spec.subcommands ?? []).filter((child) => child.hidden !== true);
}

/** The page of one command. `version` goes into the page footer. */
export function manPage(path: readonly string[], spec: CommandSpec, version: string): ManPage {
  const name = pageName(path);
  const full = ['rocklet', ...path].join(' ');
  const lines = [
    `.TH ${roffEscape(name.toUpperCase())} 1 "" "rocklet ${roffEscape(version)}" "rocklet Manual"`,
    '.SH NAME',
    `${roffEscape(name)} \\- ${roffEscape(spec.summary)}`,
    '.SH SYNOPSIS',
    `.B ${roffEscape(full)}`,
    roffEscape(spec.usage),
  ];
  if (spec.description !== undefined) {
    lines.push('.SH DESCRIPTION');
    // Paragraphs of --help become paragraphs; single line breaks stay line breaks.
    const paragraphs = spec.description.split('\n\n');
    paragraphs.forEach((paragraph, i) => {
      if (i > 0) lines.push('.PP');
      lines.push('.nf', roffEscape(paragraph), '.fi');
    });
  }
  const children = visibleChildren(spec);
  if (children.length > 0) {
    lines.push('.SH COMMANDS');
    for (const child of children) lines.push('.TP', `.B ${roffEscape(child.name)}`, `${roffEscape(child.summary)}. See \\fB${roffEscape(pageName([...path, child.name]))}\\fR(1).`);
  }
  if (spec.flags !== undefined && spec.flags.some((flag) => flag.hidden !== true)) lines.push('.SH OPTIONS', ...flagItems(spec.flags));
  lines.push('.SH GLOBAL OPTIONS', ...flagItems(GLOBAL_FLAGS));
  lines.push(
    '.SH EXIT STATUS',
    '0 on success, 2 for usage errors (unknown command or flag, bad flag value), 254 when rocklet itself fails;',
    'commands that say otherwise above (run, validate, plan) document their own codes.',
  );
  const related = [...(path.length > 0 ? [pageName(path.slice(0, -1))] : []), ...children.map((child) => pageName([...path, child.name]))];
  if (related.length > 0) lines.push('.SH SEE ALSO', related.map((page) => `\\fB${roffEscape(page)}\\fR(1)`).join(', '));
  return { fileName: `${name}.1`, path, text: `${lines.join('\n')}\n` };
}

/** Pages for `root` and every visible command below it. */
export function manPages(root: CommandSpec, version: string, path: readonly string[] = []): ManPage[] {
  return [manPage(path, root, version), ...visibleChildren(root).flatMap((child) => manPages(child, version, [...path, child.name]))];
}
