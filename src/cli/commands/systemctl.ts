/** @module cli/commands/systemctl — `rocklet systemctl …` (cli/commands/passthrough.ts). */
export { systemctl as handler } from './passthrough.js';
