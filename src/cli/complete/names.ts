/**
 * @module cli/complete/names — the machine's names for completion: pod names from the daemon's
 * status file, pod UUIDs from the pod store's state directories, image names (and IDs) from the
 * image store's index. Reads only; never creates a directory or takes a lock, and a store that
 * does not exist (yet) simply has no names.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RUN_DIR, readStatusFile } from '../../daemon/index.js';
import { ImageStore } from '../../image/index.js';
import { locatePods, podStore } from '../../pod/index.js';
import { errnoCode } from '../../util/index.js';
import { DEFAULT_DATA_DIR } from '../globals.js';
import type { NameSource, TypedLocations } from './engine.js';

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

const ID_PREFIX = /^(sha512|sha256)-/;

export function storeNameSource(locations: TypedLocations): NameSource {
  const dataDir = path.resolve(locations.dir ?? DEFAULT_DATA_DIR);
  const runDir = path.resolve(locations.runDir ?? DEFAULT_RUN_DIR);
  return {
    async podNames() {
      const status = await readStatusFile(runDir);
      return (status?.files ?? []).flatMap((file) => (file.pod === undefined ? [] : [file.pod]));
    },
    async podUuids() {
      if (!(await exists(path.join(dataDir, 'pods')))) return [];
      return (await locatePods(podStore(dataDir))).map((location) => location.uuid);
    },
    async imageNames(prefix) {
      if (!(await exists(path.join(dataDir, 'images', 'index')))) return [];
      const records = await (await ImageStore.open(dataDir)).list();
      if (ID_PREFIX.test(prefix)) return records.map((record) => record.id);
      return records.flatMap((record) => {
        const version = record.labels.find((label) => label.name === 'version')?.value;
        return version === undefined ? [record.name] : [record.name, `${record.name}:${version}`];
      });
    },
  };
}
