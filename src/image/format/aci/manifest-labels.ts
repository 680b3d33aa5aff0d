/**
 * @module manifest-labels — labels and annotations of an ImageManifest (formats.md §1.3,
 * §1.8 #12–#23): AC Identifier names, unique, `name` reserved; os must be linux and arch one
 * of appc's names for it; `created` is RFC 3339, `homepage`/`documentation` are http(s) URLs.
 */
import type { ACIdentifier } from './ac-types.js';
import { SUPPORTED_OS, VALID_OS_ARCH, checkACIdentifier } from './ac-types.js';
import type { Problems } from './problems.js';
import { checkKeys, checkUnique, child, item, readArray, readObject, readString } from './problems.js';

/** A label (`version`, `os`, `arch` or any AC Identifier except `name`). */
export interface Label {
  readonly name: ACIdentifier;
  readonly value: string;
}

/** An annotation: free metadata, some with checked values. */
export interface Annotation {
  readonly name: ACIdentifier;
  readonly value: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** True for an RFC 3339 timestamp with a `T` (and a real calendar date). */
export function isRfc3339(text: string): boolean {
  return RFC3339.test(text) && !Number.isNaN(Date.parse(text));
}

function readNameValueList(problems: Problems, path: string, value: unknown, what: string): Label[] {
  const entries: Label[] = [];
  const names: [string, string][] = [];
  (readArray(problems, path, value) ?? []).forEach((entry, index) => {
    const at = item(path, index);
    const object = readObject(problems, at, entry);
    if (object === undefined) return;
    checkKeys(problems, at, object, ['name', 'value']);
    const nameText = readString(problems, child(at, 'name'), object['name']);
    const text = readString(problems, child(at, 'value'), object['value']);
    const name = nameText === undefined ? undefined : checkACIdentifier(problems, child(at, 'name'), nameText);
    if (name === undefined) return;
    names.push([child(at, 'name'), name]);
    if (text !== undefined) entries.push({ name, value: text });
  });
  checkUnique(problems, names, what);
  return entries;
}

/**
 * Validate a `labels` list. With `checkPlatform`, `os` must be a supported OS and `arch` must
 * be valid for it (an `arch` without `os` is ignored, as appc does).
 */
export function parseLabels(problems: Problems, path: string, value: unknown, checkPlatform: boolean): Label[] {
  if (value === undefined) return [];
  const labels = readNameValueList(problems, path, value, 'label');
  labels.forEach((label) => {
    if (label.name === 'name') problems.add(path, 'a label may not be called "name" (it would shadow the image name)');
  });
  if (!checkPlatform) return labels;
  const os = labels.find((label) => label.name === 'os');
  const arch = labels.find((label) => label.name === 'arch');
  if (os === undefined) return labels;
  const arches = VALID_OS_ARCH[os.value];
  if (arches === undefined) {
    problems.add(labelPath(path, labels, os), `unknown os "${os.value}" (appc knows ${Object.keys(VALID_OS_ARCH).join(', ')})`);
  } else if (!(SUPPORTED_OS as readonly string[]).includes(os.value)) {
    problems.add(labelPath(path, labels, os), `os "${os.value}" is not supported: rocklet runs ${SUPPORTED_OS.join(', ')} images only`);
  }
  if (arch !== undefined && arches !== undefined && !arches.includes(arch.value)) {
    problems.add(labelPath(path, labels, arch), `arch "${arch.value}" is not valid for os "${os.value}" (valid: ${arches.join(', ')})`);
  }
  return labels;
}

function labelPath(path: string, labels: readonly Label[], label: Label): string {
  return child(item(path, labels.indexOf(label)), 'value');
}

/** Validate an `annotations` list, checking the values of `created`, `homepage` and `documentation`. */
export function parseAnnotations(problems: Problems, path: string, value: unknown): Annotation[] {
  if (value === undefined) return [];
  const annotations = readNameValueList(problems, path, value, 'annotation');
  annotations.forEach((annotation, index) => {
    const at = child(item(path, index), 'value');
    if (annotation.name === 'created' && !isRfc3339(annotation.value)) {
      problems.add(at, `created must be an RFC 3339 timestamp (like 2024-05-01T12:00:00Z), not "${annotation.value}"`);
    }
    if ((annotation.name === 'homepage' || annotation.name === 'documentation') && !isHttpUrl(annotation.value)) {
      problems.add(at, `${annotation.name} must be an http or https URL, not "${annotation.value}"`);
    }
  });
  return annotations;
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}
