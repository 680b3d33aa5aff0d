/** @module cli/commands/host-status — `rocklet host status` (cli/commands/host.ts). */
export { status as handler } from './host.js';
