/**
 * @module pod/stage1/crun-state — crun's `state` and `list --format=json` output, parsed once
 * into typed values (OCI runtime state, plus what crun adds).
 */
import { runtimeFailure } from '../../util/index.js';

export const CONTAINER_STATUSES = ['creating', 'created', 'running', 'stopped', 'paused'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

/** One container as crun reports it. */
export interface ContainerState {
  readonly id: string;
  /** Host PID of the container's init (in crun's PID namespace); 0 once stopped. */
  readonly pid: number;
  readonly status: ContainerStatus;
  readonly bundle: string;
  /** RFC 3339 creation time. */
  readonly created: string;
}

function field<T>(record: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const value = record[name];
  if (!check(value)) throw runtimeFailure('ERR_CRUN_OUTPUT', `unexpected crun ${what} output: field "${name}" is ${JSON.stringify(value)}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStatus = (v: unknown): v is ContainerStatus => (CONTAINER_STATUSES as readonly unknown[]).includes(v);

function parseOne(value: unknown, what: string): ContainerState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw runtimeFailure('ERR_CRUN_OUTPUT', `unexpected crun ${what} output: not an object`);
  }
  const record = value as Record<string, unknown>;
  return {
    id: field(record, 'id', isString, what),
    pid: field(record, 'pid', isNumber, what),
    status: field(record, 'status', isStatus, what),
    bundle: field(record, 'bundle', isString, what),
    created: field(record, 'created', isString, what),
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw runtimeFailure('ERR_CRUN_OUTPUT', `crun ${what} printed no JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}

/** Parses `crun state ID`. */
export function parseContainerState(text: string): ContainerState {
  return parseOne(parseJson(text, 'state'), 'state');
}

/** Parses `crun list --format=json` (an empty root prints `[]` or nothing). */
export function parseContainerList(text: string): ContainerState[] {
  if (text.trim() === '') return [];
  const value = parseJson(text, 'list');
  if (!Array.isArray(value)) throw runtimeFailure('ERR_CRUN_OUTPUT', 'unexpected crun list output: not an array');
  return value.map((entry) => parseOne(entry, 'list'));
}
