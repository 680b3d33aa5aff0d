/**
 * @module pod/runtime/context — what every runtime operation gets from its caller (the CLI):
 * where data and config live, which insecure options are on, and which mount namespace and host
 * network namespace it works in. Tests pass the test systemd's namespaces; production passes
 * the current ones.
 */
import type { HostNetns, NetworkConfig } from '../../net/index.js';
import type { InsecureOptions } from '../../util/index.js';
import type { MountNamespace } from '../stage1/mount-namespace.js';

/** Something the runtime wants the user to see (the CLI prints it as a diag line). */
export interface RuntimeEvent {
  readonly message: string;
}

export interface RuntimeContext {
  /** `--dir`: images/, pods/, net/ live below it. */
  readonly dataDir: string;
  /** `--config-dir`: config.yaml, trustedkeys/. */
  readonly configDir: string;
  readonly insecure: InsecureOptions;
  /** Where mounts are made and files touched (CURRENT_MOUNT_NAMESPACE in production). */
  readonly mountNamespace: MountNamespace;
  /** The host side of pod networks (currentHostNetns() in production). */
  readonly hostNetns: HostNetns;
  /**
   * The configured pod network (the `network` section of config.yaml). A loader, called only
   * where a pod network is created (pod up, run) and by teardown of a pod that recorded none
   * (net-record.ts): a broken section then fails the commands that create networks, never the
   * cleanup of pods that already have one.
   */
  readonly loadNetwork: () => Promise<NetworkConfig>;
  /** crun's state root (default DEFAULT_CRUN_ROOT). */
  readonly crunRoot?: string;
  /** Parent of the pods' IPC/UTS namespace files (default `/run/rocklet/ns`; execution). */
  readonly podNsDir?: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RuntimeEvent) => void;
}
