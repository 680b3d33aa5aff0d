/**
 * @module podfile/pod-file — the entry point: one file's bytes → a validated PodSpec and its
 * hash, or every error found (file, line:column, field path, message). Decides the format:
 * strict JSON when the first non-blank character is `{`, else YAML 1.1; a Kubernetes Pod
 * (`apiVersion`/`kind`) or an appc PodManifest (`acKind`), never both.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { errnoCode, loadYaml } from '../util/index.js';
import { parseAppcPodManifest } from './appc-manifest.js';
import type { Diagnostic } from './diagnostics.js';
import { DiagnosticSink, FILE_START, NO_POSITION } from './diagnostics.js';
import { looksLikeJson, parseJsonSource } from './json-source.js';
import type { PodIdentity } from './kube-pod.js';
import { parseKubernetesPod } from './kube-pod.js';
import type { PodNode } from './node.js';
import { PARSE_LIMITS, describeNode } from './node.js';
import type { PodFileOptions, Scope } from './scope.js';
import { decodePodFileText } from './source-text.js';
import { specHash } from './spec-hash.js';
import type { ConfigObject, ConfigObjectKind, PodSpec, SpecHash } from './types.js';
import { parseYamlDocuments } from './yaml-source.js';
import { configObjectKindOf, parseConfigObject } from './kube-objects.js';

export interface PodFileSuccess {
  readonly ok: true;
  readonly file: string;
  readonly spec: PodSpec;
  readonly hash: SpecHash;
  readonly identity: PodIdentity;
  readonly warnings: readonly Diagnostic[];
  /** ConfigMaps and Secrets written beside the Pod in the same file (a multi-document YAML). */
  readonly objects: readonly ConfigObject[];
}

export interface PodFileFailure {
  readonly ok: false;
  readonly file: string;
  /** Never empty. */
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  /** namespace/name when they could be read despite the errors. */
  readonly identity?: PodIdentity;
}

export type PodFileResult = PodFileSuccess | PodFileFailure;

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.column - b.column;
}

function finish(sink: DiagnosticSink, spec: PodSpec | undefined, identity: PodIdentity | undefined, objects: readonly ConfigObject[] = []): PodFileResult {
  sink.errors.sort(byPosition); // stable: equal positions keep the order found
  sink.warnings.sort(byPosition);
  if (spec !== undefined && sink.errors.length === 0) {
    return { ok: true, file: sink.file, spec, hash: specHash(spec), identity: { namespace: spec.namespace, name: spec.name }, warnings: sink.warnings, objects };
  }
  if (sink.errors.length === 0) sink.error(FILE_START, '', 'invalid pod file'); // defensive: a failure always says something
  return { ok: false, file: sink.file, errors: sink.errors, warnings: sink.warnings, ...(identity === undefined ? {} : { identity }) };
}

/**
 * Parses and validates one pod file. `fileName` is used in diagnostics and, for appc
 * manifests, as the source of the pod name. Pure: no I/O. Never throws for bad input.
 */
export function parsePodFile(input: Uint8Array | string, fileName: string, options: PodFileOptions = {}): PodFileResult {
  const sink = new DiagnosticSink(fileName);
  const text = decodePodFileText(input, sink);
  if (text === undefined) return finish(sink, undefined, undefined);
  const roots = looksLikeJson(text) ? oneRoot(parseJsonSource(text, sink)) : parseYamlDocuments(text, sink);
  if (roots === undefined) return finish(sink, undefined, undefined);
  const { pods, objects } = splitDocuments({ sink, options }, roots);
  const [root, second] = pods;
  if (second !== undefined) {
    sink.error(second.pos, '', `one pod per file: found ${pods.length} documents that are not ConfigMaps or Secrets (${pods.map(documentKindOf).join(', ')}); ConfigMaps and Secrets may sit beside the pod, the rest need files of their own`);
    return finish(sink, undefined, undefined);
  }
  if (root === undefined) {
    sink.error(FILE_START, '', objects.length === 0
      ? 'not a pod file: no Pod document'
      : 'not a pod file: it holds only ConfigMaps and Secrets; put them beside a Pod in its file, or in <config-dir>/configmaps/ and <config-dir>/secrets/ to share them');
    return finish(sink, undefined, undefined);
  }
  if (root.kind !== 'map') {
    sink.error(root.pos, '', `expected a Kubernetes Pod or an appc PodManifest (a map), got ${describeNode(root)}`);
    return finish(sink, undefined, undefined);
  }
  const keys = new Set(root.entries.map((entry) => entry.key));
  const scope = { sink, options };
  if ((keys.has('apiVersion') || keys.has('kind')) && keys.has('acKind')) {
    sink.error(root.pos, '', 'ambiguous format: both apiVersion/kind (Kubernetes) and acKind (appc) are present; keep one');
    return finish(sink, undefined, undefined);
  }
  if (keys.has('acKind')) {
    if (objects.length > 0) sink.error(root.pos, '', 'an appc PodManifest cannot reference ConfigMaps or Secrets; write them beside a Kubernetes Pod');
    const result = parseAppcPodManifest(scope, root, fileName);
    return finish(sink, result.spec, result.identity);
  }
  if (!keys.has('apiVersion') && !keys.has('kind')) {
    sink.error(root.pos, '', 'not a pod file: expected "apiVersion: v1" and "kind: Pod" (Kubernetes) or "acKind": "PodManifest" (appc)');
    return finish(sink, undefined, undefined);
  }
  const result = parseKubernetesPod(scope, root);
  return finish(sink, result.spec, result.identity, objects);
}

function documentKindOf(root: PodNode): string {
  const kind = root.kind === 'map' ? root.entries.find((entry) => entry.key === 'kind' || entry.key === 'acKind')?.value : undefined;
  return kind?.kind === 'scalar' && typeof kind.value === 'string' ? kind.value : 'a document without kind';
}

function oneRoot(root: PodNode | undefined): PodNode[] | undefined {
  return root === undefined ? undefined : [root];
}

/** The documents that are not ConfigMaps or Secrets, and the objects (each name once per kind). */
function splitDocuments(scope: Scope, roots: readonly PodNode[]): { pods: PodNode[]; objects: ConfigObject[] } {
  const pods: PodNode[] = [];
  const objects: ConfigObject[] = [];
  for (const root of roots) {
    const kind = configObjectKindOf(root);
    if (kind === undefined || root.kind !== 'map') {
      pods.push(root);
      continue;
    }
    const object = parseConfigObject(scope, root, kind);
    if (object === undefined) continue;
    if (objects.some((other) => other.kind === object.kind && other.name === object.name && other.namespace === object.namespace)) {
      scope.sink.error(root.pos, 'metadata.name', `duplicate ${kind} "${object.name}" in this file`);
      continue;
    }
    objects.push(object);
  }
  return { pods, objects };
}

/** A file of ConfigMaps or Secrets (`<config-dir>/configmaps|secrets/`): the objects, or every problem. */
export type ConfigObjectFileResult =
  | { readonly ok: true; readonly file: string; readonly objects: readonly ConfigObject[] }
  | { readonly ok: false; readonly file: string; readonly errors: readonly Diagnostic[] };

/** Parses a file of `kind` objects (one or more YAML documents, or one JSON object). Pure. */
export function parseConfigObjectFile(input: Uint8Array | string, fileName: string, kind: ConfigObjectKind): ConfigObjectFileResult {
  const sink = new DiagnosticSink(fileName);
  const text = decodePodFileText(input, sink);
  const roots = text === undefined ? undefined : looksLikeJson(text) ? oneRoot(parseJsonSource(text, sink)) : parseYamlDocuments(text, sink);
  const objects: ConfigObject[] = [];
  for (const root of roots ?? []) {
    const found = configObjectKindOf(root);
    if (found !== kind || root.kind !== 'map') {
      const where = kind === 'Secret' ? 'secrets/' : 'configmaps/';
      sink.error(root.pos, 'kind', found === undefined ? `expected kind ${kind} in ${where}` : `a ${found} does not belong in ${where}; put it in ${found === 'Secret' ? 'secrets/' : 'configmaps/'}`);
      continue;
    }
    const object = parseConfigObject({ sink, options: {} }, root, kind);
    if (object !== undefined) objects.push(object);
  }
  sink.errors.sort(byPosition);
  if (roots === undefined || sink.errors.length > 0) {
    if (sink.errors.length === 0) sink.error(FILE_START, '', 'invalid file');
    return { ok: false, file: fileName, errors: sink.errors };
  }
  return { ok: true, file: fileName, objects };
}

// Errors that describe the file (the user can fix them); anything else is rocklet's own failure.
const FILE_ERRNOS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a path component is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'I/O error',
  ENXIO: 'no such device',
};

function fileProblem(path: string, message: string): PodFileFailure {
  const sink = new DiagnosticSink(path);
  sink.error(NO_POSITION, '', message);
  return { ok: false, file: path, errors: sink.errors, warnings: [] };
}

/**
 * Reads and parses a pod file. Opens without blocking (a FIFO never hangs the caller),
 * refuses non-regular files and files over the size limit before reading them, and reads at
 * most limit + 1 bytes. Unreadable files are failures with the errno named; errors that are
 * not about the file (EMFILE, ENOMEM …) are thrown.
 */
export async function readPodFile(path: string, options: PodFileOptions = {}): Promise<PodFileResult> {
  await loadYaml(); // parsePodFile is synchronous: load the fast copy of the YAML library first
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = errnoCode(error);
    const known = code === undefined ? undefined : FILE_ERRNOS[code];
    if (known === undefined) throw error;
    return fileProblem(path, `cannot read file: ${known} (${code ?? ''})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return fileProblem(path, `not a regular file (${stat.isDirectory() ? 'a directory' : 'a device, FIFO or socket'})`);
    if (stat.size > PARSE_LIMITS.maxBytes) {
      return fileProblem(path, `file is too large: ${stat.size} bytes (the limit is ${PARSE_LIMITS.maxBytes} bytes, 1 MiB)`);
    }
    // Sized from fstat; grows if the file grows while we read, never beyond limit + 1 bytes.
    let buffer = Buffer.allocUnsafe(stat.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length > PARSE_LIMITS.maxBytes) break;
        buffer = Buffer.concat([buffer, Buffer.allocUnsafe(Math.min(buffer.length, PARSE_LIMITS.maxBytes + 1 - buffer.length))]);
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return parsePodFile(buffer.subarray(0, length), path, options);
  } catch (error) {
    const code = errnoCode(error);
    const known = code === undefined ? undefined : FILE_ERRNOS[code];
    if (known === undefined) throw error;
    return fileProblem(path, `cannot read file: ${known} (${code ?? ''})`);
  } finally {
    await handle.close();
  }
}
