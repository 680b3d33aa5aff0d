/**
 * @module manifest — the appc ImageManifest (formats.md §1.3): a typed model and a validator
 * that follows the spec text and the stricter choices of formats.md §1.8. Validation collects
 * every problem with its field path; {@link parseImageManifest} throws them all in one
 * `ERR_INVALID_MANIFEST` error.
 */
import { hasErrorCode, invalidArgument } from '../../../util/index.js';
import type { ACIdentifier } from './ac-types.js';
import { checkACIdentifier, checkAcVersion } from './ac-types.js';
import type { ImageId } from './image-id.js';
import { isImageId } from './image-id.js';
import type { App } from './manifest-app.js';
import { parseApp } from './manifest-app.js';
import type { Annotation, Label } from './manifest-labels.js';
import { parseAnnotations, parseLabels } from './manifest-labels.js';
import type { Problem } from './problems.js';
import { Problems, checkKeys, child, item, kindOf, readArray, readInteger, readObject, readString } from './problems.js';

/** An image another image is rendered on top of. */
export interface Dependency {
  readonly imageName: ACIdentifier;
  readonly imageID?: ImageId;
  readonly labels: readonly Label[];
  readonly size?: number;
}

/** A validated appc ImageManifest. `raw` is the JSON object exactly as read. */
export interface ImageManifest {
  readonly acKind: 'ImageManifest';
  readonly acVersion: string;
  readonly name: ACIdentifier;
  readonly labels: readonly Label[];
  readonly app?: App;
  readonly dependencies: readonly Dependency[];
  readonly pathWhitelist: readonly string[];
  readonly annotations: readonly Annotation[];
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The outcome of {@link validateImageManifest}. */
export type ManifestValidation =
  | { readonly ok: true; readonly manifest: ImageManifest }
  | { readonly ok: false; readonly problems: readonly Problem[] };

const TOP_KEYS = ['acKind', 'acVersion', 'name', 'labels', 'app', 'dependencies', 'pathWhitelist', 'annotations'] as const;

/** Validate parsed JSON as an ImageManifest, collecting every problem. */
export function validateImageManifest(json: unknown): ManifestValidation {
  const problems = new Problems();
  const object = readObject(problems, '(manifest)', json);
  if (object === undefined) return { ok: false, problems: problems.list };
  checkKeys(problems, '', object, TOP_KEYS);
  for (const key of ['acKind', 'acVersion', 'name'] as const) if (object[key] === undefined) problems.add(key, 'required');
  if (object['acKind'] !== undefined && object['acKind'] !== 'ImageManifest') {
    problems.add('acKind', `must be "ImageManifest", not ${describeValue(object['acKind'])}`);
  }
  const acVersion = object['acVersion'] === undefined ? undefined : readString(problems, 'acVersion', object['acVersion']);
  if (acVersion !== undefined) checkAcVersion(problems, 'acVersion', acVersion);
  const nameText = object['name'] === undefined ? undefined : readString(problems, 'name', object['name']);
  const name = nameText === undefined ? undefined : checkACIdentifier(problems, 'name', nameText);
  const labels = parseLabels(problems, 'labels', object['labels'], true);
  const app = object['app'] === undefined ? undefined : parseApp(problems, 'app', object['app']);
  const dependencies = parseDependencies(problems, 'dependencies', object['dependencies']);
  const pathWhitelist = parsePathWhitelist(problems, 'pathWhitelist', object['pathWhitelist']);
  const annotations = parseAnnotations(problems, 'annotations', object['annotations']);
  if (!problems.empty || acVersion === undefined || name === undefined) return { ok: false, problems: problems.list };
  return {
    ok: true,
    manifest: {
      acKind: 'ImageManifest', acVersion, name, labels, dependencies, pathWhitelist, annotations, raw: object,
      ...(app === undefined ? {} : { app }),
    },
  };
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : kindOf(value);
}

function parseDependencies(problems: Problems, path: string, value: unknown): Dependency[] {
  if (value === undefined) return [];
  const dependencies: Dependency[] = [];
  (readArray(problems, path, value) ?? []).forEach((entry, index) => {
    const at = item(path, index);
    const object = readObject(problems, at, entry);
    if (object === undefined) return;
    checkKeys(problems, at, object, ['imageName', 'imageID', 'labels', 'size']);
    if (object['imageName'] === undefined) problems.add(child(at, 'imageName'), 'required');
    const nameText = object['imageName'] === undefined ? undefined : readString(problems, child(at, 'imageName'), object['imageName']);
    const imageName = nameText === undefined ? undefined : checkACIdentifier(problems, child(at, 'imageName'), nameText);
    const idText = object['imageID'] === undefined ? undefined : readString(problems, child(at, 'imageID'), object['imageID']);
    if (idText !== undefined && !isImageId(idText)) {
      problems.add(child(at, 'imageID'), `"${idText}" is not a full image ID (sha512- and 128 lowercase hex digits)`);
    }
    const labels = parseLabels(problems, child(at, 'labels'), object['labels'], false);
    const size = object['size'] === undefined ? undefined : readInteger(problems, child(at, 'size'), object['size'], { min: 0, max: Number.MAX_SAFE_INTEGER });
    if (imageName === undefined) return;
    dependencies.push({
      imageName, labels,
      ...(idText !== undefined && isImageId(idText) ? { imageID: idText } : {}),
      ...(size === undefined ? {} : { size }),
    });
  });
  return dependencies;
}

function parsePathWhitelist(problems: Problems, path: string, value: unknown): string[] {
  if (value === undefined) return [];
  const paths: string[] = [];
  (readArray(problems, path, value) ?? []).forEach((entry, index) => {
    const text = readString(problems, item(path, index), entry);
    if (text === undefined) return;
    if (!text.startsWith('/')) problems.add(item(path, index), `must be an absolute path, not "${text}"`);
    else if (text.split('/').includes('..')) problems.add(item(path, index), `must not contain "..", not "${text}"`);
    else paths.push(text);
  });
  return paths;
}

/** Render problems as message lines: `app.exec: must be a list, not a string`. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((problem) => (problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`)).join('\n');
}

/**
 * Parse and validate manifest text. Throws `ERR_MANIFEST_NOT_JSON` when the text is not JSON
 * and `ERR_INVALID_MANIFEST` listing every problem (one per line) when it is not a valid
 * ImageManifest. `source` names the file in messages.
 */
export function parseImageManifest(text: string, source = 'manifest'): ImageManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidArgument('ERR_MANIFEST_NOT_JSON', `${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = validateImageManifest(json);
  if (result.ok) return result.manifest;
  const count = result.problems.length;
  const lines = formatProblems(result.problems).split('\n').map((line) => `  ${line}`).join('\n');
  const error = invalidArgument(
    'ERR_INVALID_MANIFEST',
    `invalid image manifest in ${source} (${count} problem${count === 1 ? '' : 's'}):\n${lines}`,
    { hint: 'fix the fields named above; see the appc ImageManifest spec' },
  );
  throw Object.assign(error, { problems: result.problems });
}

/**
 * The problems of an `ERR_INVALID_MANIFEST` error thrown by {@link parseImageManifest} (also
 * when it comes from reading an ACI), so callers can print them one per line or as JSON;
 * undefined for any other error.
 */
export function manifestProblems(error: unknown): readonly Problem[] | undefined {
  if (!hasErrorCode(error, 'ERR_INVALID_MANIFEST')) return undefined;
  const { problems } = error as { problems?: unknown };
  return Array.isArray(problems) ? (problems as Problem[]) : undefined;
}

/** The value of label `name`, if present. */
export function labelValue(labels: readonly Label[], name: string): string | undefined {
  return labels.find((label) => label.name === name)?.value;
}
