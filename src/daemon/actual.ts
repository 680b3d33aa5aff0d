/**
 * @module daemon/actual — the actual state: which pods run as units, read from systemd.
 *
 * Units are named by unit-plan.ts: `rocklet-<pod>.service` (sandbox) and
 * `rocklet-<pod>_<app>.service` (apps). Every unit carries `ROCKLET_POD_UUID`,
 * `ROCKLET_POD_NAME`, `ROCKLET_SPEC_HASH` and (daemon pods) `ROCKLET_POD_FILE` in its
 * Environment=, which is all the daemon needs to adopt a pod after its own restart: no state
 * of the daemon's own is trusted over what systemd reports.
 */
import type { SystemdManager, UnitListEntry, UnitName, UnitStatus } from '../systemd/index.js';
import { statusOfListed, unitObjectPath } from '../systemd/index.js';
import { isPodUuid, parsePodUnitDescription, podStateAt, podStore } from '../pod/index.js';
import { hasErrorCode } from '../util/index.js';
import type { PodFileKey } from './pod-dir.js';
import { classifyEntry } from './pod-dir.js';

/** Environment= key naming the pod file a daemon pod's units were made from. */
export const POD_FILE_ENV = 'ROCKLET_POD_FILE';

/** A pod as its units show it. */
export interface ActualPod {
  readonly pod: string;
  readonly uuid: string | undefined;
  readonly hash: string | undefined;
  readonly file: PodFileKey | undefined;
  readonly sandbox: UnitStatus | undefined;
  /** App name → its unit (init apps included). */
  readonly apps: ReadonlyMap<string, UnitStatus>;
  /**
   * True when the sandbox unit is up but the pod is not `running` in the pod store (its lock
   * holder is gone, e.g. the daemon died before moving it into the unit): units that look fine
   * around a pod gc would take. Set by {@link withLiveness}.
   */
  readonly lost?: boolean;
}

/** `actual` with `lost` set from the pod store (see {@link ActualPod.lost}). */
export async function withLiveness(dataDir: string, given: ActualPod | undefined): Promise<ActualPod | undefined> {
  // A pod kept from an earlier reconcile may carry an earlier verdict: judge afresh.
  let actual = given;
  if (given?.lost === true) {
    const { lost: _earlier, ...unjudged } = given;
    actual = unjudged;
  }
  if (actual?.uuid === undefined || !isUnitUp(actual.sandbox) || actual.sandbox?.activeState !== 'active') return actual;
  if (!isPodUuid(actual.uuid)) return actual;
  const state = await podStateAt(podStore(dataDir), actual.uuid);
  return state === 'running' ? actual : { ...actual, lost: true };
}

const UNIT = /^rocklet-([a-z0-9]([a-z0-9.-]*[a-z0-9])?)(?:_([a-z0-9]([a-z0-9-]*[a-z0-9])?))?\.service$/;

/** `rocklet-web.service` → {pod: web}; `rocklet-web_nginx.service` → {pod: web, app: nginx}; anything else undefined. */
export function podOfUnitName(name: string): { pod: string; app?: string } | undefined {
  const match = UNIT.exec(name);
  const pod = match?.[1];
  if (pod === undefined) return undefined;
  const app = match?.[3];
  return app === undefined ? { pod } : { pod, app };
}

/** `NAME=value` entries of Environment= as a map. */
export function environmentOf(status: UnitStatus): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of status.environment ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** True while a unit runs or is on its way up (a pod in that state is left alone). */
export function isUnitUp(status: UnitStatus | undefined): boolean {
  return status !== undefined && (status.activeState === 'active' || status.activeState === 'activating' || status.activeState === 'reloading');
}

async function statusOf(manager: SystemdManager, unit: UnitName): Promise<UnitStatus | undefined> {
  try {
    return await manager.getUnitProperties(unit);
  } catch (error) {
    // Gone between the listing and the read (a transient unit collected): not there.
    if (hasErrorCode(error, 'ERR_UNIT_NOT_FOUND')) return undefined;
    throw error;
  }
}

/**
 * Who a unit's pod is: from its Environment= when it was read, else from its Description
 * (units made since the Description names the pod file; see unit-plan's describePodUnit).
 */
function identityOf(status: UnitStatus): { uuid: string | undefined; hash: string | undefined; file: string | undefined } {
  if (status.environment === undefined) {
    const id = parsePodUnitDescription(status.description);
    return { uuid: id?.uuid, hash: id?.hash, file: id?.file };
  }
  const env = environmentOf(status);
  return { uuid: env.get('ROCKLET_POD_UUID'), hash: env.get('ROCKLET_SPEC_HASH'), file: env.get(POD_FILE_ENV) };
}

function groupPods(statuses: readonly UnitStatus[]): Map<string, ActualPod> {
  const groups = new Map<string, { sandbox?: UnitStatus; apps: Map<string, UnitStatus> }>();
  for (const status of statuses) {
    const parsed = podOfUnitName(status.name);
    if (parsed === undefined) continue;
    const group = groups.get(parsed.pod) ?? { apps: new Map<string, UnitStatus>() };
    if (parsed.app === undefined) group.sandbox = status;
    else group.apps.set(parsed.app, status);
    groups.set(parsed.pod, group);
  }
  const pods = new Map<string, ActualPod>();
  for (const [pod, group] of groups) {
    // The sandbox says who the pod is; an app unit left over alone still does.
    const source = group.sandbox ?? [...group.apps.values()][0];
    const id = source === undefined ? undefined : identityOf(source);
    const fileName = id?.file;
    const entry = fileName === undefined ? undefined : classifyEntry(fileName);
    pods.set(pod, {
      pod,
      uuid: id?.uuid,
      hash: id?.hash,
      file: entry?.kind === 'pod-file' ? entry.key : undefined,
      sandbox: group.sandbox,
      apps: group.apps,
    });
  }
  return pods;
}

/**
 * D-Bus calls in flight at once while reading units: the bus daemon refuses more than its
 * `max_replies_per_connection` (128 by default) pending replies, and a host with 1,000 pods has
 * 2,000 units.
 */
const READ_CONCURRENCY = 32;

/** `read` of every entry, at most READ_CONCURRENCY at once; undefined results dropped. */
async function mapBounded(listed: readonly UnitListEntry[], read: (entry: UnitListEntry) => Promise<UnitStatus | undefined>): Promise<UnitStatus[]> {
  const statuses: (UnitStatus | undefined)[] = new Array<UnitStatus | undefined>(listed.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < listed.length; i = next++) {
      const entry = listed[i];
      if (entry !== undefined) statuses[i] = await read(entry);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, listed.length) }, worker));
  return statuses.filter((status): status is UnitStatus => status !== undefined);
}

/**
 * An active unit's status with only what the daemon needs: the sandbox's identity, from its
 * Description when that names the pod file (no call), else from Environment=; an active app's
 * NRestarts and InvocationID when `restarts` (two Properties.Get), else left unread (undefined; see
 * {@link readRestarts}). A unit in any other state (failed, stopping, starting) is read in full:
 * the crash-loop and exit handling look at more. A full read (GetAll) decodes ~350 properties;
 * every signal of a pod's units leads to one read of the pod, so with 1,000 pods starting, full
 * reads of healthy units were a good part of the daemon's and systemd's CPU per pod.
 */
async function listedStatus(manager: SystemdManager, entry: UnitListEntry, hasSandbox: boolean, restarts: boolean): Promise<UnitStatus | undefined> {
  const app = podOfUnitName(entry.name)?.app;
  if (entry.activeState !== 'active' || (app !== undefined && !hasSandbox)) return statusOf(manager, entry.name);
  if (app !== undefined) return restarts ? manager.getListedUnitStatus(entry, ['nRestarts', 'invocationId']) : statusOfListed(entry, new Map());
  if (parsePodUnitDescription(entry.description)?.file !== undefined) return statusOfListed(entry, new Map());
  return manager.getListedUnitStatus(entry, ['environment']);
}

/** Statuses of the pod units that match `patterns` (see {@link listedStatus}). */
async function readListed(manager: SystemdManager, patterns: readonly string[], restarts: boolean): Promise<UnitStatus[]> {
  const listed = (await manager.listUnitsByPatterns([], patterns)).filter((entry) => podOfUnitName(entry.name) !== undefined);
  const sandboxes = new Set(listed.flatMap((entry) => { const parsed = podOfUnitName(entry.name); return parsed?.app === undefined && parsed !== undefined ? [parsed.pod] : []; }));
  return mapBounded(listed, (entry) => listedStatus(manager, entry, sandboxes.has(podOfUnitName(entry.name)?.pod ?? ''), restarts));
}

/**
 * NRestarts of each of `pod`'s active app units that a start-up read left unread, or undefined
 * when none was (one Properties.Get per unit; units gone meanwhile are skipped).
 */
export async function readRestarts(manager: SystemdManager, pod: ActualPod): Promise<ActualPod | undefined> {
  const unread = [...pod.apps.values()].filter((unit) => unit.activeState === 'active' && unit.nRestarts === undefined);
  if (unread.length === 0) return undefined;
  const apps = new Map(pod.apps);
  for (const unit of unread) {
    const read = await manager.getListedUnitStatus({ ...unit, following: undefined, job: undefined, objectPath: unitObjectPath(unit.name) }, ['nRestarts']);
    if (read !== undefined) apps.set(podOfUnitName(unit.name)?.app ?? '', { ...unit, nRestarts: read.nRestarts ?? 0 });
  }
  return { ...pod, apps };
}

/**
 * Every pod that has units loaded in systemd, by pod name, from one unit listing plus a read of
 * each unit that is not simply active (see {@link listedStatus}): with 1,000 pods (2,000 units)
 * reading every unit dominated a daemon restart.
 */
export async function readActualPods(manager: SystemdManager): Promise<Map<string, ActualPod>> {
  return groupPods(await readListed(manager, ['rocklet-*.service'], false));
}

/** One pod's units (undefined when it has none loaded), NRestarts of its active apps included. */
export async function readActualPod(manager: SystemdManager, pod: string): Promise<ActualPod | undefined> {
  return groupPods(await readListed(manager, [`rocklet-${pod}.service`, `rocklet-${pod}_*.service`], true)).get(pod);
}
