/** @module harness/instance-record — instance.json of a private systemd (src/host/instance-record.ts). */
export { recordPath, writeRecord, readRecord } from '../../src/host/instance-record.js';
export type { InstanceRecord } from '../../src/host/instance-record.js';
