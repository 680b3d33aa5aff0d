/** @module cli/commands/host-start — `rocklet host start` (cli/commands/host.ts). */
export { start as handler } from './host.js';
