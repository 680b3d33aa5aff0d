/**
 * @module manifest-app — the `app` section of an ImageManifest (formats.md §1.3): exec, user,
 * group, supplementary GIDs, event handlers, working directory, environment, isolators, mount
 * points, ports and user annotations/labels.
 */
import type { ACName } from './ac-types.js';
import { checkACName } from './ac-types.js';
import type { Isolator } from './isolators.js';
import { parseAppIsolators } from './isolators.js';
import type { Problems } from './problems.js';
import {
  checkKeys, checkUnique, child, item, readArray, readBoolean, readInteger, readObject, readString,
} from './problems.js';

export const EVENT_HANDLER_NAMES = ['pre-start', 'post-stop'] as const;
export type EventHandlerName = (typeof EVENT_HANDLER_NAMES)[number];

export interface EventHandler {
  readonly name: EventHandlerName;
  readonly exec: readonly string[];
}

export interface EnvironmentVariable {
  readonly name: string;
  readonly value: string;
}

export interface MountPoint {
  readonly name: ACName;
  readonly path: string;
  readonly readOnly: boolean;
}

export interface Port {
  readonly name: ACName;
  readonly protocol: string;
  readonly port: number;
  /** Ports `port … port + count - 1` are exposed. */
  readonly count: number;
  readonly socketActivated: boolean;
}

/** How to run an image's app. `exec` may be empty (then a pod must override it). */
export interface App {
  readonly exec: readonly string[];
  readonly user: string;
  readonly group: string;
  readonly supplementaryGIDs: readonly number[];
  readonly eventHandlers: readonly EventHandler[];
  readonly workingDirectory?: string;
  readonly environment: readonly EnvironmentVariable[];
  readonly isolators: readonly Isolator[];
  readonly mountPoints: readonly MountPoint[];
  readonly ports: readonly Port[];
  readonly userAnnotations: Readonly<Record<string, string>>;
  readonly userLabels: Readonly<Record<string, string>>;
}

const APP_KEYS = [
  'exec', 'user', 'group', 'supplementaryGIDs', 'supplementaryGids', 'eventHandlers', 'workingDirectory',
  'environment', 'isolators', 'mountPoints', 'ports', 'userAnnotations', 'userLabels',
] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const PROTOCOLS = ['tcp', 'udp'] as const;

/** Validate an `app` object at `path`; returns the typed app when it has no problems. */
export function parseApp(problems: Problems, path: string, value: unknown): App | undefined {
  const object = readObject(problems, path, value);
  if (object === undefined) return undefined;
  const before = problems.list.length;
  checkKeys(problems, path, object, APP_KEYS);
  const exec = object['exec'] === undefined ? [] : readExec(problems, child(path, 'exec'), object['exec'], false);
  const user = readIdentity(problems, path, object, 'user');
  const group = readIdentity(problems, path, object, 'group');
  const supplementaryGIDs = readGids(problems, path, object);
  const eventHandlers = readEventHandlers(problems, child(path, 'eventHandlers'), object['eventHandlers']);
  const workingDirectory = readWorkingDirectory(problems, child(path, 'workingDirectory'), object['workingDirectory']);
  const environment = readEnvironment(problems, child(path, 'environment'), object['environment']);
  const isolators = object['isolators'] === undefined ? [] : parseAppIsolators(problems, child(path, 'isolators'), object['isolators']);
  const mountPoints = readMountPoints(problems, child(path, 'mountPoints'), object['mountPoints']);
  const ports = readPorts(problems, child(path, 'ports'), object['ports']);
  const userAnnotations = readStringMap(problems, child(path, 'userAnnotations'), object['userAnnotations']);
  const userLabels = readStringMap(problems, child(path, 'userLabels'), object['userLabels']);
  if (problems.list.length !== before || user === undefined || group === undefined) return undefined;
  return {
    exec, user, group, supplementaryGIDs, eventHandlers, environment, isolators, mountPoints, ports, userAnnotations, userLabels,
    ...(workingDirectory === undefined ? {} : { workingDirectory }),
  };
}

/** A command line: a list of strings whose first element is a non-empty program. */
function readExec(problems: Problems, path: string, value: unknown, required: boolean): string[] {
  const list = readArray(problems, path, value);
  if (list === undefined) return [];
  if (required && list.length === 0) problems.add(path, 'must not be empty');
  const exec: string[] = [];
  list.forEach((entry, index) => {
    const text = readString(problems, item(path, index), entry);
    if (text !== undefined) exec.push(text);
  });
  if (exec[0] === '') problems.add(item(path, 0), 'the program must not be empty');
  return exec;
}

function readIdentity(problems: Problems, path: string, object: Record<string, unknown>, key: 'user' | 'group'): string | undefined {
  const at = child(path, key);
  if (object[key] === undefined) {
    problems.add(at, `required when app is present (a name, a numeric id, or an absolute path whose owner ${key} is used)`);
    return undefined;
  }
  const text = readString(problems, at, object[key]);
  if (text === '') problems.add(at, 'must not be empty');
  return text === '' ? undefined : text;
}

function readGids(problems: Problems, path: string, object: Record<string, unknown>): number[] {
  // The spec's own example spells it supplementaryGids; the field list says supplementaryGIDs.
  const canonical = object['supplementaryGIDs'];
  const alias = object['supplementaryGids'];
  if (canonical !== undefined && alias !== undefined) {
    problems.add(child(path, 'supplementaryGids'), 'give either supplementaryGIDs or its alias supplementaryGids, not both');
    return [];
  }
  const key = alias === undefined ? 'supplementaryGIDs' : 'supplementaryGids';
  const value = alias ?? canonical;
  if (value === undefined) return [];
  const at = child(path, key);
  const list = readArray(problems, at, value) ?? [];
  const gids: number[] = [];
  list.forEach((entry, index) => {
    const gid = readInteger(problems, item(at, index), entry, { min: 0, max: 2 ** 32 - 2 });
    if (gid !== undefined) gids.push(gid);
  });
  return gids;
}

function readEventHandlers(problems: Problems, path: string, value: unknown): EventHandler[] {
  if (value === undefined) return [];
  const handlers: EventHandler[] = [];
  const names: [string, string][] = [];
  (readArray(problems, path, value) ?? []).forEach((entry, index) => {
    const at = item(path, index);
    const object = readObject(problems, at, entry);
    if (object === undefined) return;
    checkKeys(problems, at, object, ['name', 'exec']);
    const name = readString(problems, child(at, 'name'), object['name']);
    if (object['exec'] === undefined) problems.add(child(at, 'exec'), 'required');
    const exec = object['exec'] === undefined ? [] : readExec(problems, child(at, 'exec'), object['exec'], true);
    if (name === undefined) return;
    if (!(EVENT_HANDLER_NAMES as readonly string[]).includes(name)) {
      problems.add(child(at, 'name'), `unknown event handler "${name}" (expected pre-start or post-stop)`);
      return;
    }
    names.push([child(at, 'name'), name]);
    handlers.push({ name: name as EventHandlerName, exec });
  });
  checkUnique(problems, names, 'event handler');
  return handlers;
}

function readAbsolutePath(problems: Problems, path: string, value: unknown): string | undefined {
  const text = readString(problems, path, value);
  if (text === undefined) return undefined;
  if (!text.startsWith('/')) {
    problems.add(path, `must be an absolute path, not "${text}"`);
    return undefined;
  }
  return text;
}

function readWorkingDirectory(problems: Problems, path: string, value: unknown): string | undefined {
  return value === undefined ? undefined : readAbsolutePath(problems, path, value);
}

function readEnvironment(problems: Problems, path: string, value: unknown): EnvironmentVariable[] {
  if (value === undefined) return [];
  const variables: EnvironmentVariable[] = [];
  const names: [string, string][] = [];
  (readArray(problems, path, value) ?? []).forEach((entry, index) => {
    const at = item(path, index);
    const object = readObject(problems, at, entry);
    if (object === undefined) return;
    checkKeys(problems, at, object, ['name', 'value']);
    const name = readString(problems, child(at, 'name'), object['name']);
    const variableValue = readString(problems, child(at, 'value'), object['value']);
    if (name === undefined) return;
    if (!ENV_NAME.test(name)) {
      problems.add(child(at, 'name'), `"${name}" is not a valid variable name (a letter or _ first, then letters, digits, _ . -)`);
      return;
    }
    names.push([child(at, 'name'), name]);
    if (variableValue !== undefined) variables.push({ name, value: variableValue });
  });
  checkUnique(problems, names, 'environment variable');
  return variables;
}

function readMountPoints(problems: Problems, path: string, value: unknown): MountPoint[] {
  if (value === undefined) return [];
  const mountPoints: MountPoint[] = [];
  const names: [string, string][] = [];
  (readArray(problems, path, value) ?? []).forEach((entry, index) => {
    const at = item(path, index);
    const object = readObject(problems, at, entry);
    if (object === undefined) return;
    checkKeys(problems, at, object, ['name', 'path', 'readOnly']);
    const nameText = readString(problems, child(at, 'name'), object['name']);
    const name = nameText === undefined ? undefined : checkACName(problems, child(at, 'name'), nameText);
    if (object['path'] === undefined) problems.add(child(at, 'path'), 'required');
    const mountPath = object['path'] === undefined ? undefined : readAbsolutePath(problems, child(at, 'path'), object['path']);
    const readOnly = object['readOnly'] === undefined ? false : readBoolean(problems, child(at, 'readOnly'), object['readOnly']);
    if (name !== undefined) names.push([child(at, 'name'), name]);
    if (name !== undefined && mountPath !== undefined && readOnly !== undefined) mountPoints.push({ name, path: mountPath, readOnly });
  });
  checkUnique(problems, names, 'mount point');
  return mountPoints;
}

function readPorts(problems: Problems, path: string, value: unknown): Port[] {
  if (value === undefined) return [];
  const ports: Port[] = [];
  const names: [string, string][] = [];
  (readArray(problems, path, value) ?? []).forEach((entry, index) => {
    const at = item(path, index);
    const object = readObject(problems, at, entry);
    if (object === undefined) return;
    checkKeys(problems, at, object, ['name', 'protocol', 'port', 'count', 'socketActivated']);
    for (const key of ['name', 'protocol', 'port'] as const) if (object[key] === undefined) problems.add(child(at, key), 'required');
    const nameText = object['name'] === undefined ? undefined : readString(problems, child(at, 'name'), object['name']);
    const name = nameText === undefined ? undefined : checkACName(problems, child(at, 'name'), nameText);
    const protocol = object['protocol'] === undefined ? undefined : readString(problems, child(at, 'protocol'), object['protocol']);
    if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol)) {
      problems.add(child(at, 'protocol'), `must be tcp or udp, not "${protocol}"`);
    }
    const port = object['port'] === undefined ? undefined : readInteger(problems, child(at, 'port'), object['port'], { min: 1, max: 65535 });
    const count = object['count'] === undefined ? 1 : readInteger(problems, child(at, 'count'), object['count'], { min: 1, max: 65535 });
    if (port !== undefined && count !== undefined && port + count - 1 > 65535) {
      problems.add(child(at, 'count'), `port range ${port}-${port + count - 1} ends above 65535`);
    }
    const socketActivated =
      object['socketActivated'] === undefined ? false : readBoolean(problems, child(at, 'socketActivated'), object['socketActivated']);
    if (name !== undefined) names.push([child(at, 'name'), name]);
    if (name !== undefined && protocol !== undefined && port !== undefined && count !== undefined && socketActivated !== undefined) {
      ports.push({ name, protocol, port, count, socketActivated });
    }
  });
  checkUnique(problems, names, 'port');
  return ports;
}

function readStringMap(problems: Problems, path: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const object = readObject(problems, path, value);
  if (object === undefined) return {};
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) {
    const text = readString(problems, child(path, key), entry);
    if (text !== undefined) map[key] = text;
  }
  return map;
}
