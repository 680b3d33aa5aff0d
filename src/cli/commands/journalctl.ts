/** @module cli/commands/journalctl — `rocklet journalctl …` (cli/commands/passthrough.ts). */
export { journalctl as handler } from './passthrough.js';
