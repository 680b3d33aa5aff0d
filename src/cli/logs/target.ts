/**
 * @module cli/logs/target — which pod and app `rocklet logs POD|FILE|UUID [-c APP]` means.
 *
 * The argument is tried as a pod name or a pod file name in the daemon's status file (what
 * `rocklet pods` shows), then as a UUID or unique UUID prefix in the pod store (rkt's rules and
 * messages: ambiguous and malformed prefixes are errors of their own), then as the name of a pod
 * whose units run (the daemon is down and its status lost). A pod that exists but never started
 * (a file that is Pulling, Failed, Invalid…, a prepared pod) is an error saying so, as is an app
 * that is not in the pod (naming the apps it has). Without `-c` a pod with one app means that
 * app; with several the first one is used and a note says which, as kubectl does.
 */
import path from 'node:path';
import type { PodFileStatus } from '../../daemon/index.js';
import { readActualPods, readStatusFile } from '../../daemon/index.js';
import type { PodPlan, PodStore, PodUuid, SupervisorKind } from '../../pod/index.js';
import { isPodUuid, locatePod, podStateAt, readPodPlan, readSupervisor, resolvePodUuid } from '../../pod/index.js';
import type { SystemdManager } from '../../systemd/index.js';
import { failedPrecondition, hasErrorCode, notFound } from '../../util/index.js';

/** One app of the pod whose logs are read. */
export interface LogTarget {
  readonly uuid: PodUuid;
  /** The pod's directory now (it moves when gc marks it). */
  readonly podDir: string;
  /** How it is named in messages: `pod "web"` or `pod 1a2b…`. */
  readonly label: string;
  /** `unit`: journal; `standalone`: log files. */
  readonly supervisor: SupervisorKind;
  readonly plan: PodPlan;
  readonly app: string;
  /** Set when `-c` was not given and the pod has several apps. */
  readonly defaulted?: { readonly apps: readonly string[] };
}

/** What the argument names before its pod is opened. */
interface Named {
  readonly uuid: PodUuid;
  readonly label: string;
}

function statusRowFor(rows: readonly PodFileStatus[], arg: string): PodFileStatus | undefined {
  return rows.find((row) => row.pod === arg) ?? rows.find((row) => row.file === arg || path.basename(row.file) === arg);
}

function notStarted(what: string, why: string): never {
  throw failedPrecondition('ERR_POD_NOT_STARTED', `${what} has not started: ${why}`, { hint: 'see "rocklet pods" or "rocklet status UUID"' });
}

async function fromStatus(runDir: string, arg: string): Promise<Named | undefined> {
  const status = await readStatusFile(runDir);
  const row = statusRowFor(status?.files ?? [], arg);
  if (row === undefined) return undefined;
  const label = row.pod === undefined ? `pod file "${row.file}"` : `pod "${row.pod}" (file ${row.file})`;
  if (row.uuid === undefined || !isPodUuid(row.uuid)) notStarted(label, `it is ${row.state}${row.reason === undefined ? '' : `: ${row.reason}`}`);
  return { uuid: row.uuid, label };
}

async function fromUnits(connect: () => Promise<SystemdManager | undefined>, arg: string): Promise<Named | undefined> {
  const manager = await connect();
  if (manager === undefined) return undefined;
  const actual = (await readActualPods(manager)).get(arg);
  if (actual?.uuid === undefined || !isPodUuid(actual.uuid)) return undefined;
  return { uuid: actual.uuid, label: `pod "${actual.pod}"` };
}

async function fromStore(store: PodStore, arg: string): Promise<Named | undefined> {
  try {
    const uuid = await resolvePodUuid(store, arg);
    return { uuid, label: `pod ${uuid}` };
  } catch (error) {
    // Not UUID-shaped, or no such pod: the argument may still be a pod's name.
    if (hasErrorCode(error, 'ERR_POD_UUID_INVALID') || hasErrorCode(error, 'ERR_POD_NOT_FOUND')) return undefined;
    throw error;
  }
}

function chooseApp(plan: PodPlan, label: string, requested: string | undefined): Pick<LogTarget, 'app' | 'defaulted'> {
  const names = plan.apps.map((app) => app.name);
  if (requested !== undefined) {
    if (names.includes(requested)) return { app: requested };
    throw notFound('ERR_APP_NOT_FOUND', `${label} has no app "${requested}"; its apps: ${names.join(', ')}`, { hint: 'name one of them with -c APP' });
  }
  const apps = plan.apps.filter((app) => !app.init).map((app) => app.name);
  const [first] = apps.length > 0 ? apps : names;
  if (first === undefined) throw failedPrecondition('ERR_POD_NO_APPS', `${label} has no apps`);
  return apps.length > 1 ? { app: first, defaulted: { apps } } : { app: first };
}

/** Resolves `arg` and `-c` to one started pod's app (see the module doc). */
export async function resolveLogTarget(input: {
  readonly arg: string;
  readonly app: string | undefined;
  readonly store: PodStore;
  readonly runDir: string;
  readonly connect: () => Promise<SystemdManager | undefined>;
}): Promise<LogTarget> {
  const { arg, store } = input;
  const named = (await fromStatus(input.runDir, arg)) ?? (await fromStore(store, arg)) ?? (await fromUnits(input.connect, arg));
  if (named === undefined) {
    throw notFound('ERR_POD_NOT_FOUND', `no pod "${arg}": not a pod name, a pod file or a pod UUID`, { hint: 'see "rocklet pods" and "rocklet list"' });
  }
  const at = await locatePod(store, named.uuid);
  if (at === undefined) throw notFound('ERR_POD_NOT_FOUND', `${named.label} no longer exists (pod ${named.uuid} was removed)`, { hint: 'its logs went with it' });
  if (at.dir === 'embryo' || at.dir === 'prepare' || at.dir === 'prepared') {
    notStarted(named.label, `it is ${(await podStateAt(store, named.uuid)) ?? at.dir}`);
  }
  const supervisor = await readSupervisor(at.path);
  if (supervisor === undefined) notStarted(named.label, 'it was never run (no supervisor recorded)');
  const plan = await readPodPlan(at.path);
  return { uuid: named.uuid, podDir: at.path, label: named.label, supervisor, plan, ...chooseApp(plan, named.label, input.app) };
}
