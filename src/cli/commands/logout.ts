/**
 * @module cli/commands/logout — `rocklet logout REGISTRY`: remove the registry's entry from
 * `<config-dir>/auth.json` (the rest of the file is kept). `ERR_NOT_LOGGED_IN` when it has none.
 */
import path from 'node:path';
import { AUTH_FILE_NAME, storeCredentials } from '../../image/index.js';
import { notFound } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { registryArgument } from './login.js';

export const handler: CommandHandler = async (ctx) => {
  const registry = registryArgument(ctx, 'logout');
  if (!(await storeCredentials(ctx.globals.configDir, registry, undefined))) {
    throw notFound('ERR_NOT_LOGGED_IN', `no credentials for ${registry} in ${path.join(ctx.globals.configDir, AUTH_FILE_NAME)}`);
  }
  ctx.out.diag(`removed the credentials for ${registry}`);
  return 0;
};
