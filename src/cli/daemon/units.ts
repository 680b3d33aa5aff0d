/**
 * @module cli/daemon/units — how the daemon's units run rocklet and crun: by absolute paths,
 * since a unit has no shell and systemd's PATH is not the operator's.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, notFound } from '../../util/index.js';
import type { GlobalOptions } from '../globals.js';

/** The argv prefix that runs this very rocklet with this invocation's --dir and --config-dir. */
export function unitRockletArgv(globals: GlobalOptions): [string, ...string[]] {
  const script = process.argv[1];
  const base: [string, ...string[]] = script === undefined ? [process.execPath] : [process.execPath, path.resolve(script)];
  return [...base, `--dir=${globals.dir}`, `--config-dir=${globals.configDir}`];
}

/** `name`'s absolute path, searched in `searchPath` (PATH) and the usual system directories. */
export async function findProgram(name: string, searchPath: string | undefined): Promise<string> {
  const dirs = [...(searchPath ?? '').split(':').filter((d) => d.startsWith('/')), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' && errnoCode(error) !== 'EACCES' && errnoCode(error) !== 'ENOTDIR') throw error;
    }
  }
  throw notFound('ERR_PROGRAM_NOT_FOUND', `${name} was not found in PATH or the system directories`, { hint: `install ${name} (./install.sh does)` });
}
