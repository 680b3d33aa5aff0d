/**
 * @module daemon/machine-labels — this machine's labels, matched against `spec.nodeSelector`
 * (fleet's machine metadata, kubelet's node labels).
 *
 * `<config-dir>/machine.yaml`:
 *
 * ```yaml
 * labels:
 *   role: edge
 *   topology.kubernetes.io/zone: rack-3
 * ```
 *
 * plus the labels kubelet sets itself: `kubernetes.io/hostname`, `kubernetes.io/os`,
 * `kubernetes.io/arch` (the file may override them). Keys and values follow Kubernetes' label
 * syntax; every problem names the file and the key. A missing file means no extra labels.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { describeYamlValue, invalidArgument, loadYaml, readTextIfExists } from '../util/index.js';

export const MACHINE_FILE_NAME = 'machine.yaml';

/** Label key → value. */
export type MachineLabels = Readonly<Record<string, string>>;

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Go's GOARCH for Node's `process.arch` (what images and kubelet call the architecture). */
export function goArch(arch: string = process.arch): string {
  const map: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}

/** The labels every machine has (kubelet's well-known node labels). */
export function builtinLabels(host: string = hostname()): MachineLabels {
  return { 'kubernetes.io/hostname': host.toLowerCase(), 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': goArch() };
}

/** Why `key` is not a valid label key, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `the prefix "${prefix}" is not a DNS subdomain`;
  if (!NAME.test(name)) return 'a label name has 1-63 characters from A-Z a-z 0-9 - _ . and starts and ends with a letter or digit';
  return undefined;
}

/** Why `value` is not a valid label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  return value === '' || NAME.test(value) ? undefined : 'a label value has at most 63 characters from A-Z a-z 0-9 - _ . and starts and ends with a letter or digit';
}

/** Parses the text of machine.yaml (`file` names it in errors). */
export async function parseMachineFile(text: string, file: string): Promise<MachineLabels> {
  const { parse } = await loadYaml();
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw invalidArgument('ERR_MACHINE_FILE_INVALID', `${file}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalidArgument('ERR_MACHINE_FILE_INVALID', `${file}: expected a mapping with "labels:", got ${describeYamlValue(doc)}`);
  }
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (key !== 'labels') throw invalidArgument('ERR_MACHINE_FILE_INVALID', `${file}: unknown key "${key}" (the file holds "labels:")`);
  }
  const labels = top.labels;
  if (labels === null || labels === undefined) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    throw invalidArgument('ERR_MACHINE_FILE_INVALID', `${file}: labels must be a mapping of key: value, not ${describeYamlValue(labels)}`);
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) throw invalidArgument('ERR_MACHINE_FILE_INVALID', `${file}: labels."${key}": invalid key: ${keyProblem}`);
    if (typeof value !== 'string') {
      throw invalidArgument('ERR_MACHINE_FILE_INVALID', `${file}: labels."${key}": the value must be a string, not ${describeYamlValue(value)}`, {
        hint: 'quote values such as "true" or "3" so YAML reads them as strings',
      });
    }
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) throw invalidArgument('ERR_MACHINE_FILE_INVALID', `${file}: labels."${key}": invalid value "${value}": ${valueProblem}`);
    result[key] = value;
  }
  return result;
}

/** Options of {@link loadMachineLabels}. */
export interface LoadMachineLabelsOptions {
  /**
   * An existing but empty file is an error (`ERR_MACHINE_FILE_EMPTY`) instead of "no labels":
   * the daemon, which already has labels, would otherwise stop every pod with a nodeSelector
   * in the instant between an editor's truncate and its write.
   */
  readonly emptyIsError?: boolean;
}

/** The machine's labels: built-ins overlaid with `<configDir>/machine.yaml`. */
export async function loadMachineLabels(
  configDir: string,
  file: string = path.join(configDir, MACHINE_FILE_NAME),
  options: LoadMachineLabelsOptions = {},
): Promise<MachineLabels> {
  const text = await readTextIfExists(file);
  if (text !== undefined && text.trim() === '' && options.emptyIsError === true) {
    throw invalidArgument('ERR_MACHINE_FILE_EMPTY', `${file} is empty`, { hint: 'to remove every label write "labels: {}"; an empty file is taken for a write in progress' });
  }
  const own = text === undefined ? {} : await parseMachineFile(text, file);
  return { ...builtinLabels(), ...own };
}
