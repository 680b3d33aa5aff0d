/**
 * @module registry/garbage — keeps a download's dead socket chunks from piling up.
 *
 * Every chunk a socket reads is a fresh buffer outside the V8 heap, dead as soon as it is
 * written and hashed; V8 collects them only when its young generation fills with small
 * objects, so 30–40 MB of dead chunks sat in a pull's RSS (bench/registry-pull.mjs). A minor
 * collection after every {@link COLLECT_EVERY_BYTES} downloaded frees them for a ~1 ms pause.
 * It needs V8's `gc` function, enabled at run time; when that is refused nothing changes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes downloaded (by all downloads together) between two collections. */
export const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;

type Collect = (options: { type: 'minor' | 'major'; execution: 'sync' }) => void;

let collect: Collect | null | undefined;
let sinceLast = 0;

function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const found: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    collect = typeof found === 'function' ? (found as Collect) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** Count `bytes` as downloaded; collects the young generation every few MB. */
export function downloaded(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < COLLECT_EVERY_BYTES) return;
  sinceLast = 0;
  collector()?.({ type: 'minor', execution: 'sync' });
}
