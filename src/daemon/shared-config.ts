/**
 * @module daemon/shared-config — the shared ConfigMaps and Secrets (`<config-dir>/configmaps/`,
 * `<config-dir>/secrets/`) as the daemon last read them, and the watch that reads them again.
 * A change only swaps the snapshot: admission binds every pod file against it again
 * (source.ts), so exactly the pods whose referenced objects changed get a new effective hash
 * and are updated like an edited pod file; a pod whose object went missing becomes Invalid
 * naming it (its last good version keeps running).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SharedConfigObjects } from '../podfile/index.js';
import { CONFIG_OBJECT_DIRS, readSharedConfigObjects, sharedConfigObjects } from '../podfile/index.js';
import { errnoCode } from '../util/index.js';
import type { DirWatch } from './source.js';
import { watchDir } from './source.js';

const SUBDIRS = Object.values(CONFIG_OBJECT_DIRS);

export class SharedConfigSource {
  current: SharedConfigObjects = sharedConfigObjects([]);
  private readonly watches = new Map<string, DirWatch>();
  private fingerprint = '';

  constructor(
    private readonly configDir: string,
    private readonly debounceMs: number,
    private readonly onChange: () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Reads both directories again; true when what they hold (or their problems) changed. */
  async reload(): Promise<boolean> {
    const next = await readSharedConfigObjects(this.configDir);
    const fingerprint = JSON.stringify([next.objects, next.problems]);
    if (fingerprint === this.fingerprint) return false;
    this.fingerprint = fingerprint;
    this.current = next;
    return true;
  }

  /** Watches each directory that exists now; `configDirChanged(name)` starts the missing ones. */
  async watch(): Promise<void> {
    for (const name of SUBDIRS) await this.watchSubdir(name);
  }

  /** A name in the config dir changed: a configmaps/ or secrets/ directory may have appeared or gone. */
  async configDirChanged(name: string): Promise<boolean> {
    if (!SUBDIRS.includes(name)) return false;
    await this.watchSubdir(name);
    return this.reload();
  }

  private async watchSubdir(name: string): Promise<void> {
    const dir = path.join(this.configDir, name);
    const existing = this.watches.get(name);
    let present = false;
    try {
      present = (await stat(dir)).isDirectory();
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    if (present && existing === undefined) {
      this.watches.set(name, await watchDir(dir, this.debounceMs, () => {
        this.reload().then((changed) => {
          if (changed) this.onChange();
        }, this.onError);
      }, this.onError));
    } else if (!present && existing !== undefined) {
      this.watches.delete(name);
      await existing.close();
    }
  }

  async close(): Promise<void> {
    for (const watch of this.watches.values()) await watch.close();
    this.watches.clear();
  }
}
