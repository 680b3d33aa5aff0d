/**
 * @module podfile/expand — Kubernetes `$(VAR)` expansion (kubelet's
 * third_party/forked/golang/expansion): `$(NAME)` is replaced by the variable's value when
 * defined and left as written when not; `$$` is a literal `$`. Env values may use variables
 * defined earlier in the same container; command and args use the container's whole env (not
 * the image's). The runtime calls expandContainer when it knows the downward-API values;
 * appc pods are never expanded.
 */
import type { ContainerSpec, FieldPath, PodSpec } from './types.js';

/** Expands `$(NAME)` references in `input` using `lookup`. */
export function expandVariables(input: string, lookup: (name: string) => string | undefined): string {
  let output = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    output += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      output += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        output += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        output += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      output += `$${next ?? ''}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return output + input.slice(checkpoint);
}

/** The downward-API values only the daemon or runtime knows when a pod starts. */
export interface RuntimeFieldValues {
  readonly uid: string;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly podIP: string;
}

/** A container's final environment and argv after expansion. */
export interface ExpandedContainer {
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
}

function fieldValue(spec: PodSpec, field: FieldPath, values: RuntimeFieldValues): string {
  switch (field) {
    case 'metadata.name':
      return spec.name;
    case 'metadata.namespace':
      return spec.namespace;
    case 'metadata.uid':
      return values.uid;
    case 'spec.nodeName':
      return values.nodeName;
    case 'status.hostIP':
      return values.hostIP;
    case 'status.podIP':
      return values.podIP;
  }
}

/** Resolves env (fieldRefs and `$(VAR)` references) and expands command/args, as kubelet does. */
export function expandContainer(spec: PodSpec, container: ContainerSpec, values: RuntimeFieldValues): ExpandedContainer {
  const expand = spec.format === 'kubernetes';
  const defined = new Map<string, string>();
  const env = container.env.map((variable) => {
    const value =
      variable.kind === 'field'
        ? fieldValue(spec, variable.fieldPath, values)
        : expand
          ? expandVariables(variable.value, (name) => defined.get(name))
          : variable.value;
    defined.set(variable.name, value);
    return { name: variable.name, value };
  });
  const argv = (list: readonly string[] | undefined): readonly string[] | undefined =>
    list === undefined || !expand ? list : list.map((item) => expandVariables(item, (name) => defined.get(name)));
  const command = argv(container.command);
  const args = argv(container.args);
  return { env, ...(command === undefined ? {} : { command }), ...(args === undefined ? {} : { args }) };
}
