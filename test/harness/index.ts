/**
 * @module harness — the real-systemd test harness used by every e2e test: a private systemd
 * per test file, scratch netns, busybox rootfs, a loopback registry, gpg keys, temp dirs, and
 * the sweep of leftovers from crashed runs. Needs root. See names.ts for where things live.
 */
export { execCommand, execChecked, DEFAULT_EXEC_TIMEOUT_MS } from './exec.js';
export type { ExecResult, ExecOptions } from './exec.js';
export { bootTestSystemd, resolveCgroupMode, systemState, sweepStaleHarnessResources } from './testsd.js';
export type { BootOptions, CgroupMode, TestSystemd } from './testsd.js';
export { SIGRTMIN_PLUS_4 } from './testsd-instance.js';
export { makeTempDir } from './tmp.js';
export type { TempDir } from './tmp.js';
export { createNetns } from './netns.js';
export type { Netns } from './netns.js';
export { buildBusyboxRootfs, BUSYBOX_STATIC } from './rootfs.js';
export { startRegistry } from './registry.js';
export type { Registry, RegistryAuth, RegistryOptions } from './registry.js';
export { createGpgKey } from './gpg.js';
export type { GpgKey, GpgKeyOptions } from './gpg.js';
export { httpGet } from './http.js';
export type { HttpResponse } from './http.js';
export { startHttpsServer, etagOf, type HttpsServer, type HttpsServerOptions, type Route, type BytesOptions, type LoggedRequest } from './https-server.js';
export { waitFor, sleep, isAlive, identify, pidExists } from './proc.js';
export type { ProcessIdentity, WaitOptions } from './proc.js';
export { HARNESS_ROOT, INSTANCE_ROOT, TEMP_ROOT, INSTANCE_PREFIX, RESOURCE_PREFIX } from './names.js';
export { snapshotInstance, instanceLeftovers } from './leftovers.js';
export type { InstanceSnapshot } from './leftovers.js';
export { startTokenServer } from './token-server.js';
export type { TokenServer, TokenServerMode } from './token-server.js';
export { buildOciImage, addOciIndex, pushImage } from './oci-image.js';
export type { OciImageOptions, PushOptions } from './oci-image.js';
export { mulberry32 } from './random.js';
