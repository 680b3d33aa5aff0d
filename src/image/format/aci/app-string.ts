/**
 * @module app-string — appc's image reference syntax `name[:version][,label=value…]`
 * (formats.md §1.7, `discovery/parse.go`): one colon at most and only right after the name; a
 * label may appear once; `:version` together with `version=` is an error.
 */
import { invalidArgument } from '../../../util/index.js';
import type { ACIdentifier } from './ac-types.js';
import { acIdentifierProblem, isACIdentifier } from './ac-types.js';
import type { Label } from './manifest-labels.js';

/** A parsed image reference: the name and the labels it asks for (version included). */
export interface AppString {
  readonly name: ACIdentifier;
  readonly labels: readonly Label[];
}

function invalid(text: string, why: string): never {
  throw invalidArgument('ERR_INVALID_IMAGE_NAME', `invalid image name "${text}": ${why}`, {
    hint: 'use name[:version][,label=value...], e.g. example.com/app:1.0,arch=amd64',
  });
}

/** Parse `name[:version][,label=value...]`; throws `ERR_INVALID_IMAGE_NAME`. */
export function parseAppString(text: string): AppString {
  const [head = '', ...rest] = text.split(',');
  const colon = head.indexOf(':');
  const nameText = colon === -1 ? head : head.slice(0, colon);
  if (!isACIdentifier(nameText)) invalid(text, acIdentifierProblem(nameText));
  const labels = new Map<string, string>();
  if (colon !== -1) {
    const version = head.slice(colon + 1);
    if (version === '') invalid(text, 'empty version after ":"');
    labels.set('version', version);
  }
  for (const part of rest) {
    const equals = part.indexOf('=');
    if (part.includes(':')) invalid(text, `":" may only follow the name, not appear in "${part}"`);
    if (equals <= 0) invalid(text, `"${part}" is not label=value`);
    const name = part.slice(0, equals);
    if (!isACIdentifier(name)) invalid(text, `label ${acIdentifierProblem(name)}`);
    if (labels.has(name)) invalid(text, name === 'version' && colon !== -1 ? 'the version is given twice' : `label "${name}" is given twice`);
    labels.set(name, part.slice(equals + 1));
  }
  return { name: nameText, labels: [...labels].map(([name, value]) => ({ name: name as ACIdentifier, value })) };
}
