/**
 * @module podfile/appc-common — appc value types over the PodNode tree (formats.md §1.2): AC
 * Names (which rocklet also caps at 63 characters, to fit unit names), AC Identifiers, name/value
 * lists with unique names, checked annotation values, and image labels with the os/arch table.
 * The spec text wins over appc's more lenient Go code (§1.8 rows "Go valid, ours invalid").
 */
import { SUPPORTED_OS, VALID_OS_ARCH, isACIdentifier, isACName, isRfc3339 } from '../image/index.js';
import { itemPath } from './node.js';
import type { PodNode, Position } from './node.js';
import type { Fields } from './reader.js';
import { readList, readObject, readString, readStringMap, required } from './reader.js';
import type { Scope } from './scope.js';

export const AC_NAME_RULE = 'an AC Name is lowercase letters and digits with single "-" between them ([a-z0-9]+(-[a-z0-9]+)*)';
export const AC_IDENTIFIER_RULE = 'an AC Identifier is lowercase letters and digits with single separators - . _ ~ / between them';

/** An AC Name of at most 63 characters, or undefined after recording why not. */
export function readAcName(scope: Scope, node: PodNode, path: string): string | undefined {
  const value = readString(scope.sink, node, path);
  if (value === undefined) return undefined;
  if (!isACName(value)) scope.sink.error(node.pos, path, value === '' ? 'must not be empty' : `"${value}" is not a valid AC Name: ${AC_NAME_RULE}`);
  else if (value.length > 63) scope.sink.error(node.pos, path, `"${value.slice(0, 20)}..." is ${value.length} characters long (rocklet allows 63)`);
  else return value;
  return undefined;
}

/** An AC Identifier, or undefined after recording why not. */
export function readAcIdentifier(scope: Scope, node: PodNode, path: string): string | undefined {
  const value = readString(scope.sink, node, path);
  if (value === undefined) return undefined;
  if (isACIdentifier(value)) return value;
  scope.sink.error(node.pos, path, value === '' ? 'must not be empty' : `"${value}" is not a valid AC Identifier: ${AC_IDENTIFIER_RULE}`);
  return undefined;
}

export interface NameValue {
  readonly name: string;
  readonly value: string;
  readonly pos: Position;
  readonly path: string;
}

/** A list of `{name, value}` with unique names checked by `readName`. */
export function readNameValueList(
  scope: Scope,
  node: PodNode | undefined,
  path: string,
  readName: (scope: Scope, node: PodNode, path: string) => string | undefined,
  what: string,
): NameValue[] {
  const items = node === undefined ? [] : (readList(scope.sink, node, path, 1024) ?? []);
  const result: NameValue[] = [];
  items.forEach((item, index) => {
    const at = itemPath(path, index);
    const fields = readObject(scope.sink, item, at, { fields: ['name', 'value'] });
    if (fields === undefined) return;
    const nameNode = required(scope.sink, fields, 'name');
    const valueNode = required(scope.sink, fields, 'value');
    const name = nameNode === undefined ? undefined : readName(scope, nameNode, fields.at('name'));
    const value = valueNode === undefined ? undefined : readString(scope.sink, valueNode, fields.at('value'));
    if (name === undefined || value === undefined || nameNode === undefined) return;
    const first = result.find((entry) => entry.name === name);
    if (first !== undefined) scope.sink.error(nameNode.pos, fields.at('name'), `duplicate ${what} "${name}" (also ${first.path})`);
    else result.push({ name, value, pos: valueNode?.pos ?? nameNode.pos, path: fields.at('value') });
  });
  return result;
}

/** appc annotations: AC Name keys (spec text); `created` RFC 3339, `homepage`/`documentation` http(s) URLs. */
export function readAcAnnotations(scope: Scope, fields: Fields, key: string): NameValue[] {
  const annotations = readNameValueList(scope, fields.get(key), fields.at(key), readAcName, 'annotation');
  for (const annotation of annotations) {
    if (annotation.name === 'created' && !isRfc3339(annotation.value)) {
      scope.sink.error(annotation.pos, annotation.path, `"${annotation.value}" is not an RFC 3339 timestamp (like 2024-05-01T12:00:00Z)`);
    }
    if ((annotation.name === 'homepage' || annotation.name === 'documentation') && !/^https?:\/\/[^\s/]+/.test(annotation.value)) {
      scope.sink.error(annotation.pos, annotation.path, `"${annotation.value}" is not an http or https URL`);
    }
  }
  return annotations;
}

/** Image labels: AC Identifier names, unique, not `name`; os/arch from appc's table, linux only. */
export function readImageLabels(scope: Scope, node: PodNode | undefined, path: string): Record<string, string> {
  const labels = readNameValueList(scope, node, path, readAcIdentifier, 'label');
  const result: Record<string, string> = {};
  for (const label of labels) {
    if (label.name === 'name') scope.sink.error(label.pos, label.path, 'a label may not be called "name" (it would shadow the image name)');
    result[label.name] = label.value;
  }
  const os = labels.find((label) => label.name === 'os');
  const arch = labels.find((label) => label.name === 'arch');
  if (os !== undefined) {
    const arches = VALID_OS_ARCH[os.value];
    if (arches === undefined) scope.sink.error(os.pos, os.path, `unknown os "${os.value}" (appc knows ${Object.keys(VALID_OS_ARCH).join(', ')})`);
    else if (!(SUPPORTED_OS as readonly string[]).includes(os.value)) scope.sink.error(os.pos, os.path, `os "${os.value}": rocklet runs linux images only`);
    else if (arch !== undefined && !arches.includes(arch.value)) {
      scope.sink.error(arch.pos, arch.path, `arch "${arch.value}" is not valid for os ${os.value} (appc names: ${arches.join(', ')})`);
    }
  }
  return result;
}

/** A free-form string → string map (`userLabels`, `userAnnotations`). */
export function readFreeMap(scope: Scope, fields: Fields, key: string): Record<string, string> {
  const node = fields.get(key);
  const entries = node === undefined ? [] : (readStringMap(scope.sink, node, fields.at(key)) ?? []);
  return Object.fromEntries(entries.map(({ entry, value }) => [entry.key, value]));
}
