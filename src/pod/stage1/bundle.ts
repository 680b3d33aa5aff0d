/**
 * @module pod/stage1/bundle — the OCI bundle on disk: `<bundle>/config.json`, written
 * atomically (temp file + fsync + rename) so crun never reads half a config, even when a
 * crashed `app prepare` is re-run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../../util/index.js';
import type { OciSpec } from './oci-spec.js';

/** The config file name crun looks for in a bundle. */
export const BUNDLE_CONFIG = 'config.json';

/** Writes `config` as `<dir>/config.json` (mode 0600: it can hold secrets in env). `dir` must exist. */
export async function writeBundle(dir: string, config: OciSpec): Promise<string> {
  const file = path.join(dir, BUNDLE_CONFIG);
  // Every app prepare writes it afresh, and it is only read while the app starts: no fsync.
  await writeJsonAtomic(file, config, { mode: 0o600, durable: false });
  return file;
}

/** Reads back a bundle's config (for `enter`, `status`, tests). Not validated: rocklet wrote it. */
export async function readBundle(dir: string): Promise<OciSpec> {
  return JSON.parse(await readFile(path.join(dir, BUNDLE_CONFIG), 'utf8')) as OciSpec;
}
