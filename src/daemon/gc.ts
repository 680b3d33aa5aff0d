/**
 * @module daemon/gc — the daemon's periodic garbage collection (cron), kubelet-style:
 *
 * 1. pods: exited pods of the daemon and of `rocklet run` (rkt's gc: marked, then deleted
 *    after `gracePeriod`, their network, mounts and namespace files released);
 * 2. images unused for `imageGracePeriod`, and trees no pod references — but never an image a
 *    valid pod file names (running or not), nor one a running pod uses, nor the previous image
 *    of each daemon pod (kept for a rollback);
 * 3. disk pressure: when the image store's filesystem is fuller than `imageHighPercent`, the
 *    least recently used unprotected images go, whatever their age, until it is below
 *    `imageLowPercent`. Checked at every resync, not only on the schedule.
 *
 * ```yaml
 * gc:
 *   schedule: "*\/10 * * * *"   # cron (5 fields, or 6 with seconds)
 *   gracePeriod: 30m             # exited pods are kept this long
 *   imageGracePeriod: 24h        # images unused this long go
 *   imageHighPercent: 85
 *   imageLowPercent: 80
 * ```
 */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { ImageId } from '../image/index.js';
import { ImageStore } from '../image/index.js';
import type { RuntimeContext } from '../pod/index.js';
import { DEFAULT_GRACE_PERIOD_MS, gcPods, podCollector, podReferences, podStore, releasePodResources } from '../pod/index.js';
import { describeYamlValue, errnoCode, invalidArgument, parseDuration, readConfigFile } from '../util/index.js';
import type { DaemonLog } from './log.js';

export interface GcSettings {
  readonly schedule: string;
  readonly podGracePeriodMs: number;
  readonly imageGracePeriodMs: number;
  readonly imageHighPercent: number;
  readonly imageLowPercent: number;
}

export const DEFAULT_GC_SETTINGS: GcSettings = {
  schedule: '*/10 * * * *',
  podGracePeriodMs: DEFAULT_GRACE_PERIOD_MS,
  imageGracePeriodMs: 24 * 3_600_000,
  imageHighPercent: 85,
  imageLowPercent: 80,
};

const KEYS = ['schedule', 'gracePeriod', 'imageGracePeriod', 'imageHighPercent', 'imageLowPercent'] as const;

/** The `gc` section of config.yaml, checked (the cron expression too). */
export async function loadGcSettings(configDir: string): Promise<GcSettings> {
  const { file, values } = await readConfigFile(configDir);
  const section = values.gc ?? {};
  const bad = (key: string, what: string): Error => invalidArgument('ERR_CONFIG_INVALID', `${file}: gc.${key}: ${what}`);
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw invalidArgument('ERR_CONFIG_INVALID', `${file}: gc must be a mapping, not ${describeYamlValue(section)}`);
  }
  const config = section as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!(KEYS as readonly string[]).includes(key)) throw invalidArgument('ERR_CONFIG_INVALID', `${file}: unknown key gc.${key} (known: ${KEYS.join(', ')})`);
  }
  const duration = (key: string, fallback: number): number => {
    const value = config[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string') throw bad(key, `expected a duration such as "30m", not ${describeYamlValue(value)}`);
    try {
      return parseDuration(value);
    } catch (error) {
      throw bad(key, (error as Error).message);
    }
  };
  const percent = (key: string, fallback: number): number => {
    const value = config[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100) throw bad(key, `expected a whole percentage 1-100, not ${describeYamlValue(value)}`);
    return value;
  };
  let schedule = DEFAULT_GC_SETTINGS.schedule;
  if (config.schedule !== undefined) {
    if (typeof config.schedule !== 'string') throw bad('schedule', `expected a cron expression string, not ${describeYamlValue(config.schedule)}`);
    const { validateCronExpression } = await import('cron');
    const check = validateCronExpression(config.schedule);
    if (!check.valid) throw bad('schedule', `"${config.schedule}" is not a cron expression: ${check.error?.message ?? 'invalid'}`);
    schedule = config.schedule;
  }
  const settings: GcSettings = {
    schedule,
    podGracePeriodMs: duration('gracePeriod', DEFAULT_GC_SETTINGS.podGracePeriodMs),
    imageGracePeriodMs: duration('imageGracePeriod', DEFAULT_GC_SETTINGS.imageGracePeriodMs),
    imageHighPercent: percent('imageHighPercent', DEFAULT_GC_SETTINGS.imageHighPercent),
    imageLowPercent: percent('imageLowPercent', DEFAULT_GC_SETTINGS.imageLowPercent),
  };
  if (settings.imageLowPercent >= settings.imageHighPercent) throw bad('imageLowPercent', `must be below gc.imageHighPercent (${settings.imageHighPercent})`);
  return settings;
}

/** How full the filesystem holding `dir` is, in percent of its blocks. */
export async function usedPercent(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.blocks === 0 ? 0 : (100 * (fs.blocks - fs.bfree)) / fs.blocks;
}

export interface GarbageCollectorOptions {
  readonly runtime: RuntimeContext;
  readonly settings: GcSettings;
  readonly log: DaemonLog;
  /** Images that must stay: named by valid pod files, used by daemon pods now or before. */
  readonly protectedImages: (store: ImageStore) => Promise<ReadonlySet<ImageId>>;
}

export class GarbageCollector {
  private running: Promise<void> = Promise.resolve();
  private job: { stop(): void } | undefined;

  constructor(private readonly options: GarbageCollectorOptions) {}

  /** Runs on the schedule until {@link stop}. */
  async start(): Promise<void> {
    const { CronJob } = await import('cron');
    this.job = CronJob.from({ cronTime: this.options.settings.schedule, onTick: () => this.trigger('schedule'), start: true, unrefTimeout: true });
  }

  stop(): void {
    this.job?.stop();
  }

  /** Queues a collection (one at a time); resolves when it is done. Errors are logged. */
  trigger(reason: 'schedule' | 'disk-pressure' | 'request'): Promise<void> {
    this.running = this.running.then(() => this.collect(reason)).catch((error: unknown) => {
      this.options.log.error({ action: 'gc', reason: error instanceof Error ? error.message : String(error) }, 'garbage collection failed');
    });
    return this.running;
  }

  /** A collection when the image store's filesystem is over the high mark. Never rejects (logs). */
  async checkDiskPressure(): Promise<void> {
    let used: number;
    try {
      used = await usedPercent(path.join(this.options.runtime.dataDir, 'images'));
    } catch (error) {
      // No image store yet: nothing to relieve.
      if (errnoCode(error) !== 'ENOENT') this.options.log.error({ action: 'gc', reason: String(error) }, 'cannot measure the image store\'s filesystem');
      return;
    }
    if (used > this.options.settings.imageHighPercent) {
      this.options.log.warn({ action: 'gc', reason: 'disk-pressure', usedPercent: Math.round(used) }, `image store filesystem ${Math.round(used)}% full: collecting images`);
      await this.trigger('disk-pressure');
    }
  }

  private async collect(reason: 'schedule' | 'disk-pressure' | 'request'): Promise<void> {
    const { runtime, settings, log } = this.options;
    const pods = await gcPods(podStore(runtime.dataDir), {
      gracePeriodMs: settings.podGracePeriodMs,
      beforeDelete: podCollector(runtime, releasePodResources),
      onEvent: (event) => {
        if (event.kind === 'failed') log.warn({ action: 'gc', uuid: event.uuid, reason: String(event.error) }, `gc: pod ${event.uuid} could not be collected`);
      },
    });
    const store = await ImageStore.open(runtime.dataDir);
    const protectedImages = await this.options.protectedImages(store);
    const references = await podReferences(runtime.dataDir, await store.trees());
    const keep = new Set<ImageId>([...protectedImages, ...references.runningImages]);
    const result = await store.gc({
      gracePeriodMs: reason === 'disk-pressure' ? Number.MAX_SAFE_INTEGER : settings.imageGracePeriodMs,
      referencedTrees: references.trees,
      keepAllTrees: references.keepAllTreesBecause !== undefined,
      keepImages: keep,
    });
    const removed = result.removedImages.map((record) => record.id as string);
    if (reason === 'disk-pressure') removed.push(...(await this.relieve(store, keep)));
    const podEvents = pods.events.filter((event) => event.kind !== 'failed' && event.kind !== 'within-grace').length;
    if (podEvents > 0 || removed.length > 0 || result.removedTrees.length > 0) {
      log.info({ action: 'gc', reason, pods: podEvents, images: removed, trees: result.removedTrees.length }, `gc (${reason}): ${podEvents} pod step(s), ${removed.length} image(s), ${result.removedTrees.length} tree(s) removed`);
    }
  }

  /** Least recently used unprotected images go until the filesystem is below the low mark. */
  private async relieve(store: ImageStore, keep: ReadonlySet<ImageId>): Promise<string[]> {
    const dir = path.join(this.options.runtime.dataDir, 'images');
    const removed: string[] = [];
    const candidates = (await store.list()).filter((record) => !keep.has(record.id)).sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
    for (const record of candidates) {
      if ((await usedPercent(dir)) <= this.options.settings.imageLowPercent) break;
      await store.remove(record.id);
      removed.push(record.id);
    }
    return removed;
  }
}
