/**
 * @module cli/commands/login — `rocklet login [--username U] [--password-stdin] REGISTRY` and
 * `rocklet logout REGISTRY`: credentials for a Docker registry in `<config-dir>/auth.json`
 * (Docker's `auths` format, mode 0600), which pulls use for Basic and token auth. REGISTRY is
 * the host as references name it (`docker.io`, `registry.example.com`, `127.0.0.1:5000`).
 * The password comes from stdin (`--password-stdin`, which needs `--username`, or asked for
 * without echo on a terminal), never from the command line, so it does not end up in shell
 * history or the process list. The credentials are checked with the registry (its `/v2/`
 * challenge: Basic, or a token from its token server) before they are stored: wrong ones are
 * `ERR_REGISTRY_UNAUTHORIZED` and auth.json stays as it was.
 */
import path from 'node:path';
import { AUTH_FILE_NAME, checkRegistryLogin, storeCredentials } from '../../image/index.js';
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

async function readAnswer(ctx: CommandContext, prompt: string, what: string, secret: boolean): Promise<string> {
  const line = await ctx.out.readLine(prompt, { secret });
  if (line === undefined || line === '') throw usageError('ERR_MISSING_ARGUMENT', `${what} is empty`);
  return line;
}

export const handler: CommandHandler = async (ctx) => {
  const registry = registryArgument(ctx, 'login');
  const fromStdin = ctx.flags.boolean('password-stdin');
  const flagUser = ctx.flags.string('username');
  if (fromStdin && flagUser === undefined) {
    throw usageError('ERR_MISSING_ARGUMENT', '--password-stdin needs --username (stdin holds only the password)', { hint: `echo "$PASSWORD" | rocklet login --username=USER --password-stdin ${registry}` });
  }
  const username = flagUser ?? (await readAnswer(ctx, 'Username: ', 'the user name', false));
  const password = await readAnswer(ctx, fromStdin ? '' : 'Password: ', 'the password', !fromStdin);
  // Checked with the registry first: wrong credentials are refused here, not at the next pull.
  await checkRegistryLogin(ctx.globals.configDir, registry, { username, password }, ctx.signal);
  await storeCredentials(ctx.globals.configDir, registry, { username, password });
  ctx.out.diag(`login succeeded: credentials for ${registry} saved in ${path.join(ctx.globals.configDir, AUTH_FILE_NAME)}`);
  return 0;
};
