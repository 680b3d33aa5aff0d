/**
 * @module daemon/source — the desired state's input: the pod directory's files, as last read.
 *
 * `PodFileCache` reads files on request (a file whose stat fingerprint did not change is not
 * parsed again) and turns them into admission candidates. `watchPodDir` reports names that
 * changed, debounced per name: an editor's save (write to a temp file and rename, truncate
 * then write, write a backup first) ends in one report of the final name. Events only mark
 * names dirty; what a file says is read when it is reconciled, never taken from an event.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { PodFileOptions } from '../podfile/index.js';
import type { Candidate } from './admission.js';
import type { PodFileKey, ReadPodFile } from './pod-dir.js';
import { classifyEntry, readDaemonPodFile, summarizeErrors } from './pod-dir.js';
import type { ConfigLookup } from '../podfile/index.js';
import { NO_SHARED_OBJECTS, bindPodConfig } from '../podfile/index.js';
import { errnoCode } from '../util/index.js';

interface CachedFile {
  readonly read: Exclude<ReadPodFile, { kind: 'missing' | 'unchanged' }>;
  readonly firstSeen: number;
}

export class PodFileCache {
  private readonly files = new Map<PodFileKey, CachedFile>();
  private readonly ignored = new Set<string>();

  /** The shared ConfigMaps and Secrets pod files are bound against (shared-config.ts). */
  shared: ConfigLookup = NO_SHARED_OBJECTS;

  constructor(
    readonly dir: string,
    /** This machine's name, or the parse options (name and rocklet's protected paths). */
    private readonly nodeName: string | PodFileOptions,
    /** Called once per ignored name (the daemon logs it). */
    private readonly onIgnored: (name: string, reason: string) => void = () => undefined,
    /** false: a bundle in a checkout, not the live pod directory (see unsafeFileReason). */
    private readonly checkOwner = true,
  ) {}

  /** Reads `name` again if it changed; true when what the daemon knows of it changed. */
  async refresh(name: string): Promise<boolean> {
    const entry = classifyEntry(name);
    if (entry.kind === 'ignored') {
      if (!this.ignored.has(name)) {
        this.ignored.add(name);
        this.onIgnored(name, entry.reason);
      }
      return false;
    }
    const before = this.files.get(entry.key);
    // A parsed file with the same stat fingerprint is not read again (a refusal is re-checked: cheap).
    const previous = before?.read.kind === 'parsed' ? before.read.fingerprint : undefined;
    const read = await readDaemonPodFile(this.dir, entry.key, this.nodeName, previous, this.checkOwner);
    if (read.kind === 'unchanged') return false;
    if (read.kind === 'missing') {
      this.files.delete(entry.key);
      return before !== undefined;
    }
    this.files.set(entry.key, { read, firstSeen: before?.firstSeen ?? Date.now() });
    return before === undefined || JSON.stringify(outcomeOf(before.read)) !== JSON.stringify(outcomeOf(read));
  }

  /** Reads the whole directory again; returns the names whose state changed. A missing directory is empty. */
  async scan(): Promise<Set<string>> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      names = [];
    }
    const changed = new Set<string>();
    const present = new Set(names);
    for (const key of this.files.keys()) if (!present.has(key) && (await this.refresh(key))) changed.add(key);
    for (const name of names) if (await this.refresh(name)) changed.add(name);
    return changed;
  }

  keys(): PodFileKey[] {
    return [...this.files.keys()];
  }

  candidates(): Candidate[] {
    return [...this.files].map(([key, file]) => ({ key, firstSeen: file.firstSeen, outcome: boundOutcome(file.read, this.shared) }));
  }
}

function outcomeOf(read: Exclude<ReadPodFile, { kind: 'missing' | 'unchanged' }>): Candidate['outcome'] {
  if (read.kind === 'refused') return { ok: false, reason: read.reason };
  const { result } = read;
  if (result.ok) return { ok: true, spec: result.spec, hash: result.hash };
  return { ok: false, reason: summarizeErrors(result.errors), ...(result.identity === undefined ? {} : { podName: result.identity.name }) };
}

/**
 * The outcome with the pod's ConfigMap/Secret references bound: the effective hash (spec +
 * referenced objects) and the objects, or invalid naming each missing object or key.
 */
function boundOutcome(read: Exclude<ReadPodFile, { kind: 'missing' | 'unchanged' }>, shared: ConfigLookup): Candidate['outcome'] {
  const outcome = outcomeOf(read);
  if (!outcome.ok || read.kind !== 'parsed' || !read.result.ok) return outcome;
  const bound = bindPodConfig(outcome.spec, outcome.hash, read.result.objects, shared);
  if (!bound.ok) {
    const [first] = bound.problems;
    const more = bound.problems.length - 1;
    return { ok: false, reason: `${first ?? ''}${more > 0 ? ` (and ${more} more)` : ''}`, podName: outcome.spec.name };
  }
  return { ok: true, spec: outcome.spec, hash: bound.hash, config: bound.config };
}

/** A running watch; `close()` stops it. */
export interface DirWatch {
  close(): Promise<void>;
}

/**
 * How much longer a name must stay gone before its disappearance is reported. An editor's
 * save can leave the name missing for a moment (vim renames the file to a backup, then writes
 * it anew); on a loaded host that moment can outlast the debounce, and reporting it would stop
 * the pod and start it again. Only disappearances wait: a new or changed file is reported
 * after the debounce alone.
 */
export const GONE_GRACE_MS = 250;

/**
 * Watches `dir` (not its subdirectories) and calls `onName(name)` once per burst of events on
 * a name, `debounceMs` after the last one (a name found missing then, `goneGraceMs` later if it
 * is still missing). `onError` gets watcher errors.
 */
export async function watchDir(dir: string, debounceMs: number, onName: (name: string) => void, onError: (error: unknown) => void, goneGraceMs = 0): Promise<DirWatch> {
  const { watch } = await import('chokidar');
  const timers = new Map<string, NodeJS.Timeout>();
  const watcher = watch(dir, { depth: 0, ignoreInitial: true, persistent: true, followSymlinks: false });
  const fire = (name: string): void => {
    timers.delete(name);
    onName(name);
  };
  // A timer is current while the map holds it: an event in between replaces it.
  const arm = (name: string, delayMs: number, mayWaitForGone: boolean): void => {
    clearTimeout(timers.get(name));
    const timer: NodeJS.Timeout = setTimeout(() => {
      if (timers.get(name) !== timer) return;
      if (!mayWaitForGone) {
        fire(name);
        return;
      }
      void lstat(path.join(dir, name)).then(() => true, (error: unknown) => errnoCode(error) !== 'ENOENT').then((exists) => {
        if (timers.get(name) !== timer) return;
        if (exists) fire(name);
        else arm(name, goneGraceMs, false);
      });
    }, delayMs);
    timers.set(name, timer);
  };
  const report = (file: unknown): void => {
    if (typeof file !== 'string') return;
    const slash = file.lastIndexOf('/');
    if (file.slice(0, Math.max(slash, 0)) !== dir) return; // the directory itself, or deeper
    arm(file.slice(slash + 1), debounceMs, goneGraceMs > 0);
  };
  watcher.on('add', report).on('change', report).on('unlink', report).on('addDir', report).on('unlinkDir', report);
  // chokidar's own events skip what it cannot stat (a dangling symlink) and editor swap files;
  // the inotify events underneath still name them, and the daemon must judge those names too.
  watcher.on('raw', (_event: string, name: string, details: unknown) => {
    const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (watched === dir && name !== '' && !name.includes('/')) report(`${dir}/${name}`);
  });
  watcher.on('error', onError);
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    async close(): Promise<void> {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await watcher.close();
    },
  };
}
