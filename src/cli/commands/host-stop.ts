/** @module cli/commands/host-stop — `rocklet host stop` (cli/commands/host.ts). */
export { stop as handler } from './host.js';
