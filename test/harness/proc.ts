/** @module harness/proc — process identity and polling (src/host/proc.ts), for tests. */
export { sleep, errnoCode, readProcStat, identify, isAlive, pidExists, signalIdentity, withTimeout, waitFor, waitForExit } from '../../src/host/proc.js';
export type { ProcessIdentity, WaitOptions } from '../../src/host/proc.js';
