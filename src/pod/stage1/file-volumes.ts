/**
 * @module pod/stage1/file-volumes — configMap, secret and downwardAPI volumes on the host: a
 * tmpfs at `<pod>/volumes/<name>` (so a Secret's bytes never reach a disk) holding each file
 * with its mode, owned by root; apps mount it read-only. Made once per pod (`pod up`): a change
 * to an object gives the pod a new version rather than rewriting files under a running app.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition } from '../../util/index.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';
import { mountTmpfs } from './mounts.js';
import type { PreparedVolume } from './volumes.js';
import { volumeDir } from './volumes.js';

export interface VolumeFileContent {
  /** Relative, without `..` (checked again here: the plan is a file on disk). */
  readonly path: string;
  readonly mode: number;
  readonly data: Buffer;
}

/** Mounts the volume's tmpfs (unless mounted already) and writes its files. */
export async function prepareFilesVolume(ns: MountNamespace, podDir: string, name: string, files: readonly VolumeFileContent[]): Promise<PreparedVolume> {
  const dir = volumeDir(podDir, name);
  const host = nsPath(ns, dir);
  await mkdir(host, { recursive: true, mode: 0o755 });
  if (await mountTmpfs(ns, dir, { mode: 0o755, uid: 0, gid: 0 })) {
    for (const file of files) {
      const parts = file.path.split('/');
      if (file.path.startsWith('/') || parts.includes('..') || parts.includes('')) {
        throw failedPrecondition('ERR_POD_PLAN_INVALID', `volume "${name}": file path "${file.path}" is not a plain relative path`);
      }
      const target = path.join(host, file.path);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, file.data, { mode: file.mode, flag: 'wx' });
      await chmod(target, file.mode); // the umask must not narrow the mode the pod asked for
    }
  }
  return { name, source: dir, kind: 'directory', recursive: false };
}
