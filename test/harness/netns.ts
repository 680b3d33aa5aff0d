/**
 * @module harness/netns — scratch network namespaces for network tests.
 *
 * Named `rltest-<runnerpid>-<n>` so the sweep can remove those of crashed runners. `lo` is
 * brought up on creation. Tests never touch the host's own network namespace.
 */
import type { ExecResult } from './exec.js';
import { execChecked, execCommand } from './exec.js';
import { newNetnsName } from './names.js';

/** A network namespace created by {@link createNetns}. */
export interface Netns {
  /** The `ip netns` name, e.g. `rltest-1234-3`. */
  readonly name: string;
  /** Runs argv inside the namespace (`ip netns exec`). */
  exec(argv: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** Deletes the namespace (and the links in it). Idempotent. */
  remove(): Promise<void>;
}

/** Creates a fresh named network namespace with `lo` up. */
export async function createNetns(): Promise<Netns> {
  const name = newNetnsName();
  await execChecked(['ip', 'netns', 'add', name]);
  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    await execChecked(['ip', 'netns', 'del', name]);
    removed = true;
  };
  try {
    await execChecked(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    name,
    exec: (argv, opts = {}) => execCommand(['ip', 'netns', 'exec', name, ...argv], opts),
    remove,
  };
}
