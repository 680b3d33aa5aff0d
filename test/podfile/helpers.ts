/** Test helpers for the pod-file parser: parse inline text, assert validity or specific errors. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, PodFileFailure, PodFileSuccess, PodSpec } from '../../src/podfile/index.js';
import { formatDiagnostic, parsePodFile } from '../../src/podfile/index.js';

/** The machine name tests pretend to run on. */
export const NODE_NAME = 'node-1';

/** Directories under the source tree (tests run from dist/test/podfile). */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/podfile/', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

export function parse(text: string | Uint8Array, file = 'pod.yaml'): ReturnType<typeof parsePodFile> {
  return parsePodFile(text, file, { nodeName: NODE_NAME });
}

/** Parses and asserts success (showing the errors otherwise). */
export function valid(text: string, file = 'pod.yaml'): PodFileSuccess {
  const result = parse(text, file);
  if (!result.ok) assert.fail(`expected a valid pod file, got:\n${result.errors.map((e) => formatDiagnostic(e)).join('\n')}`);
  return result;
}

/** Parses and asserts failure. */
export function invalid(text: string | Uint8Array, file = 'pod.yaml'): PodFileFailure {
  const result = parse(text, file);
  if (result.ok) assert.fail(`expected errors, got a valid pod:\n${JSON.stringify(result.spec)}`);
  for (const error of result.errors) assert.ok(error.message.length > 0, 'every error has a message');
  return result;
}

/** Asserts that some error has `path` (exactly) and a message matching `message`. */
export function hasError(result: PodFileFailure, path: string, message: RegExp): Diagnostic {
  const found = result.errors.find((e) => e.path === path && message.test(e.message));
  if (found === undefined) {
    assert.fail(`no error at ${path} matching ${String(message)}; got:\n${result.errors.map((e) => formatDiagnostic(e)).join('\n')}`);
  }
  return found;
}

/** Asserts that parsing fails with an error at `path` matching `message`. */
export function rejects(text: string, path: string, message: RegExp): Diagnostic {
  return hasError(invalid(text), path, message);
}

/** A Kubernetes pod with one container; `container` and `spec` are YAML lines indented for their place. */
export function pod(options: { container?: string; spec?: string; metadata?: string; top?: string; image?: string } = {}): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: web',
    ...(options.metadata === undefined ? [] : [options.metadata]),
    'spec:',
    ...(options.spec === undefined ? [] : [options.spec]),
    '  containers:',
    '    - name: app',
    `      image: ${options.image ?? 'nginx:1.27'}`,
    ...(options.container === undefined ? [] : [options.container]),
    ...(options.top === undefined ? [] : [options.top]),
    '',
  ].join('\n');
}

/** The spec of a valid pod built with {@link pod}. */
export function podSpec(options: Parameters<typeof pod>[0] = {}): PodSpec {
  return valid(pod(options)).spec;
}

/** Files of a fixture directory as [name, text]. */
export function filesIn(dir: string): [string, string][] {
  return readdirSync(dir)
    .filter((name) => /\.(ya?ml|json)$/.test(name))
    .sort()
    .map((name) => [name, readFileSync(`${dir}/${name}`, 'utf8')]);
}
