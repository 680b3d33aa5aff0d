/**
 * @module systemd/unit-list — typed records of `ListUnitsByPatterns` (`a(ssssssouso)`).
 */
import { internalError } from '../util/index.js';
import { type ObjectPath, type UnitName, isUnitName } from './unit-name.js';
import {
  type ActiveState,
  type LoadState,
  type SubState,
  parseActiveState,
  parseLoadState,
  parseSubState,
} from './unit-state.js';

/** A job queued for a unit, as listed with it. */
export interface ListedJob {
  readonly id: number;
  /** e.g. `start`, `stop`, `restart`. */
  readonly type: string;
  readonly path: ObjectPath;
}

/** One row of ListUnitsByPatterns. */
export interface UnitListEntry {
  readonly name: UnitName;
  readonly description: string;
  readonly loadState: LoadState;
  readonly activeState: ActiveState;
  readonly subState: SubState;
  /** The unit this one follows (device aliases), if any. */
  readonly following: string | undefined;
  readonly objectPath: ObjectPath;
  readonly job: ListedJob | undefined;
}

/** A state filter of ListUnitsByPatterns: any load, active or sub state. */
export type UnitStateFilter = LoadState | ActiveState | SubState;

function malformed(row: unknown): Error {
  return internalError('ERR_SYSTEMD_PROTOCOL', `malformed ListUnitsByPatterns row from systemd: ${JSON.stringify(row)}`);
}

/**
 * Decodes the rows; units whose names this facade does not accept (device, swap, automount)
 * are left out, since no call here can act on them.
 * @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` on a row of the wrong shape.
 */
export function decodeUnitList(rows: unknown): UnitListEntry[] {
  if (!Array.isArray(rows)) throw malformed(rows);
  const entries: UnitListEntry[] = [];
  for (const row of rows as unknown[]) {
    if (!Array.isArray(row) || row.length !== 10) throw malformed(row);
    const [name, description, load, active, sub, following, path, jobId, jobType, jobPath] = row as unknown[];
    if (typeof name !== 'string' || typeof description !== 'string' || typeof following !== 'string') throw malformed(row);
    if (typeof path !== 'string' || typeof jobId !== 'number' || typeof jobType !== 'string' || typeof jobPath !== 'string') {
      throw malformed(row);
    }
    if (!isUnitName(name)) continue;
    entries.push({
      name,
      description,
      loadState: parseLoadState(load),
      activeState: parseActiveState(active),
      subState: parseSubState(sub),
      following: following === '' ? undefined : following,
      objectPath: path as ObjectPath,
      job: jobId === 0 ? undefined : { id: jobId, type: jobType, path: jobPath as ObjectPath },
    });
  }
  return entries;
}
