/** @module harness/testsd-instance — a running private systemd (src/host/instance.ts), for tests. */
export { SIGRTMIN_PLUS_4 } from '../../src/host/index.js';
export type { PrivateSystemd as TestSystemd } from '../../src/host/index.js';
