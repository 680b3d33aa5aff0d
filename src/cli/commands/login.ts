/**
 * @module cli/commands/login — `rocklet login [--username U] [--password-stdin] REGISTRY` and
 * `rocklet logout REGISTRY`: credentials for a Docker registry in `<config-dir>/auth.json`
 * (Docker's `auths` format, mode 0600), which pulls use for Basic and token auth. REGISTRY is
 * the host as references name it (`docker.io`, `registry.example.com`, `127.0.0.1:5000`).
 * The password comes from stdin (`--password-stdin`, or asked for), never from the command
 * line, so it does not end up in shell history or the process list. Nothing is sent to the
 * registry: a wrong password shows at the next pull (`ERR_REGISTRY_UNAUTHORIZED`).
 */
import path from 'node:path';
import { AUTH_FILE_NAME, storeCredentials } from '../../image/index.js';
import { usageError } from '../../util/index.js';
import type { CommandContext, CommandHandler } from '../command.js';

/** The one REGISTRY argument of login and logout. */
export function registryArgument(ctx: CommandContext, command: string): string {
  const [registry, ...rest] = ctx.args;
  if (registry === undefined || registry === '' || rest.length > 0) {
    throw usageError('ERR_MISSING_ARGUMENT', `${command} needs exactly one REGISTRY`, { hint: `rocklet ${command} registry.example.com` });
  }
  return registry;
}

async function readSecret(ctx: CommandContext, prompt: string): Promise<string> {
  const line = await ctx.out.readLine(prompt);
  if (line === undefined || line === '') throw usageError('ERR_MISSING_ARGUMENT', `${prompt.replace(/: $/, '')} is empty`);
  return line;
}

export const handler: CommandHandler = async (ctx) => {
  const registry = registryArgument(ctx, 'login');
  const username = ctx.flags.string('username') ?? (await readSecret(ctx, 'Username: '));
  const password = await readSecret(ctx, ctx.flags.boolean('password-stdin') ? '' : 'Password: ');
  await storeCredentials(ctx.globals.configDir, registry, { username, password });
  ctx.out.diag(`credentials for ${registry} saved in ${path.join(ctx.globals.configDir, AUTH_FILE_NAME)}`);
  return 0;
};
