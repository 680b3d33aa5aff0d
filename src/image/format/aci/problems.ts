/**
 * @module problems — collecting validation problems with their field paths, and small typed
 * readers for untrusted JSON. Validators add every problem they find (not just the first) so a
 * user fixes a manifest in one round; each problem names the field path and what is wrong.
 */

/** One thing wrong with an input, at a field path such as `app.ports[1].port`. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** An append-only list of problems. */
export class Problems {
  readonly list: Problem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** `path` + `.key`, or just `key` at the top. */
export function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** `path[index]`. */
export function item(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** What a JSON value is, for messages: `a string`, `an array`, `null` … */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'object') {
    return `${type === 'object' ? 'an' : 'a'} ${type}`;
  }
  return type;
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `path`, or undefined after recording a problem. */
export function readObject(problems: Problems, path: string, value: unknown): Record<string, unknown> | undefined {
  if (isRecord(value)) return value;
  problems.add(path, `must be an object, not ${kindOf(value)}`);
  return undefined;
}

/** The array at `path`, or undefined after recording a problem. */
export function readArray(problems: Problems, path: string, value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value as readonly unknown[];
  problems.add(path, `must be a list, not ${kindOf(value)}`);
  return undefined;
}

/** A string (possibly empty) at `path`, or undefined after recording a problem. */
export function readString(problems: Problems, path: string, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  problems.add(path, `must be a string, not ${kindOf(value)}`);
  return undefined;
}

/** A boolean at `path`, or undefined after recording a problem. */
export function readBoolean(problems: Problems, path: string, value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  problems.add(path, `must be true or false, not ${kindOf(value)}`);
  return undefined;
}

/** An integer in [min, max] at `path`, or undefined after recording a problem. */
export function readInteger(
  problems: Problems,
  path: string,
  value: unknown,
  range: { readonly min: number; readonly max: number },
): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.add(path, `must be an integer, not ${typeof value === 'number' ? String(value) : kindOf(value)}`);
    return undefined;
  }
  if (value < range.min || value > range.max) {
    problems.add(path, `must be between ${range.min} and ${range.max}, not ${value}`);
    return undefined;
  }
  return value;
}

/**
 * Record a problem for every key of `object` not in `allowed`. Keys are matched exactly
 * (appc's Go decoder matched case-insensitively; formats.md §1.8 #32), with a hint when only
 * the case differs.
 */
export function checkKeys(problems: Problems, path: string, object: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    problems.add(child(path, key), near === undefined ? 'unknown field' : `unknown field (field names are case-sensitive: did you mean "${near}"?)`);
  }
}

/** Record a problem for each later duplicate of a name in `names` (entries are [path, name]). */
export function checkUnique(problems: Problems, entries: readonly (readonly [string, string])[], what: string): void {
  const seen = new Map<string, string>();
  for (const [path, name] of entries) {
    const first = seen.get(name);
    if (first === undefined) seen.set(name, path);
    else problems.add(path, `duplicate ${what} "${name}" (first at ${first})`);
  }
}
