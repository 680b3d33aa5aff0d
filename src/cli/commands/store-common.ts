/**
 * @module cli/commands/store-common — what the pod commands share (the store commands `list`,
 * `status`, `rm`, `gc`, `export`, and the execution commands through exec-common): the pod store
 * of `--dir`, UUID arguments (a unique prefix, or `--uuid-file`), rkt's root check, the runtime
 * context of this process (its pod network from the `network` section of
 * `<config-dir>/config.yaml`, read when needed), and the `beforeDelete` of gc and rm (the runtime's
 * releasePodResources, then any mount still below the pod directory).
 */
import type { NetworkConfig } from '../../net/index.js';
import { currentHostNetns, loadNetworkConfig } from '../../net/index.js';
import type { BeforeDelete, PodStore, PodUuid, RuntimeContext } from '../../pod/index.js';
import {
  CURRENT_MOUNT_NAMESPACE, podCollector, podStore, readUuidFile, releasePodResources, resolvePodUuid,
} from '../../pod/index.js';
import { permissionDenied, usageError } from '../../util/index.js';
import type { CommandContext } from '../command.js';

/** The pod store under `--dir`. */
export function storeOf(ctx: CommandContext): PodStore {
  return podStore(ctx.globals.dir);
}

/** rkt's `ensureSuperuser`: gc and rm change what root owns. */
export function requireRoot(): void {
  if (process.geteuid?.() !== 0) {
    throw permissionDenied('ERR_NOT_ROOT', 'cannot run as unprivileged user', { hint: 'run it as root (sudo)' });
  }
}

/**
 * The one pod a command is about: the UUID argument (any unique prefix) or `--uuid-file`, not
 * both. Throws `UUID cannot be empty`, `no matches found for "X"`, `ambiguous uuid, N matches`.
 */
export async function podArgument(ctx: CommandContext, store: PodStore, args: readonly string[]): Promise<PodUuid> {
  const file = ctx.flags.string('uuid-file');
  const usage = `usage: rocklet ${ctx.command} [flags] UUID (or --uuid-file=FILE)`;
  if (file !== undefined) {
    if (args.length > 0) throw usageError('ERR_TOO_MANY_ARGUMENTS', 'give either UUID or --uuid-file, not both', { hint: usage });
    return resolvePodUuid(store, await readUuidFile(file));
  }
  const [first, ...rest] = args;
  if (first === undefined) throw usageError('ERR_MISSING_ARGUMENT', 'missing UUID argument', { hint: usage });
  if (rest.length > 0) throw usageError('ERR_TOO_MANY_ARGUMENTS', `too many arguments: expected 1, got ${args.length}`, { hint: usage });
  return resolvePodUuid(store, first);
}

/**
 * The runtime context of a store command run from the CLI (this process's namespaces). The
 * configured network is read from config.yaml when first needed, once: by the commands that
 * create a pod network (exec-common's networkingContext reads it up front, so a bad section
 * fails them before they change anything), and by teardown of a pod that recorded no network.
 * gc, rm, stop and pod down of pods with a record never read it.
 */
export function runtimeContext(ctx: CommandContext): RuntimeContext {
  let network: Promise<NetworkConfig> | undefined;
  return {
    dataDir: ctx.globals.dir,
    configDir: ctx.globals.configDir,
    insecure: ctx.globals.insecure,
    mountNamespace: CURRENT_MOUNT_NAMESPACE,
    hostNetns: currentHostNetns(),
    loadNetwork: () => (network ??= loadNetworkConfig(ctx.globals.configDir, { dataDir: ctx.globals.dir })),
    signal: ctx.signal,
    onEvent: (event) => ctx.out.debug(event.message),
  };
}

/** What gc and rm run before deleting a pod: the runtime's release, then leftover mounts. */
export function podBeforeDelete(ctx: CommandContext): BeforeDelete {
  return podCollector(runtimeContext(ctx), releasePodResources);
}
