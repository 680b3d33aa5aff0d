/** @module harness/exec — the host layer's command runner (src/host/exec.ts), for tests. */
export { execCommand, execChecked, DEFAULT_EXEC_TIMEOUT_MS } from '../../src/host/exec.js';
export type { ExecResult, ExecOptions } from '../../src/host/exec.js';
