/**
 * @module daemon/applied — what the daemon last started for each pod: the file, spec hash, pod
 * UUID and the spec itself, in `<data-dir>/daemon/applied/<pod>.json` (atomically replaced).
 *
 * Units stay the truth for *whether* a pod runs and which hash it runs (actual.ts); this record
 * only adds what units cannot carry: the spec of the running version, for the changed-field
 * list of an update (`rocklet plan`) and for keeping the host ports of a pod whose file turned
 * invalid reserved. Losing it (a wiped data dir) costs those details, never a pod.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PodSpec } from '../podfile/index.js';
import { errnoCode, writeJsonAtomic } from '../util/index.js';
import type { PodFileKey } from './pod-dir.js';
import { classifyEntry } from './pod-dir.js';

export interface AppliedPod {
  readonly pod: string;
  readonly file: PodFileKey;
  readonly hash: string;
  readonly uuid: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly spec: PodSpec;
  /** Image IDs the running version uses, and those of the version before it (kept for a rollback by image gc). */
  readonly images: readonly string[];
  readonly previousImages: readonly string[];
}

const RECORD = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?)\.json$/;

function parseRecord(text: string): AppliedPod | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // a torn or foreign file is no record (writes are atomic, so: foreign)
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.pod !== 'string' || typeof r.file !== 'string' || typeof r.hash !== 'string' || typeof r.uuid !== 'string') return undefined;
  if (typeof r.startedAt !== 'number' || typeof r.spec !== 'object' || r.spec === null) return undefined;
  const entry = classifyEntry(r.file);
  if (entry.kind !== 'pod-file') return undefined;
  const ids = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  return { pod: r.pod, file: entry.key, hash: r.hash, uuid: r.uuid, startedAt: r.startedAt, spec: r.spec as PodSpec, images: ids(r.images), previousImages: ids(r.previousImages) };
}

/** The records under `<dataDir>/daemon/applied/`. */
export class AppliedRecords {
  private readonly dir: string;
  private readonly records = new Map<string, AppliedPod>();

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'daemon', 'applied');
  }

  /** Reads every record (unreadable ones are skipped: they only carry details). */
  async load(): Promise<this> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return this;
      throw error;
    }
    for (const name of names) {
      if (!RECORD.test(name)) continue;
      const record = parseRecord(await readFile(path.join(this.dir, name), 'utf8').catch(() => ''));
      if (record !== undefined) this.records.set(record.pod, record);
    }
    return this;
  }

  get(pod: string): AppliedPod | undefined {
    return this.records.get(pod);
  }

  all(): IterableIterator<AppliedPod> {
    return this.records.values();
  }

  async set(record: AppliedPod): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeJsonAtomic(path.join(this.dir, `${record.pod}.json`), record, { mode: 0o600 });
    this.records.set(record.pod, record);
  }

  async delete(pod: string): Promise<void> {
    this.records.delete(pod);
    await rm(path.join(this.dir, `${pod}.json`), { force: true });
  }
}
