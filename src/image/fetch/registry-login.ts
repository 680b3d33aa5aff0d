/**
 * @module fetch/registry-login — check credentials with a registry before `rocklet login`
 * stores them: the registry's `/v2/` challenge answered with them (Basic, or a Bearer token
 * from its token server), over the same connection settings a pull uses (config.yaml's
 * `registries` `insecure`, `--ca-file`).
 */
import type { Credentials } from '../registry/auth-file.js';
import { credentialKey } from '../registry/auth-file.js';
import { RegistryClient } from '../registry/client.js';
import { loadFetchSettings } from './settings.js';

/**
 * Resolves when `registry` accepts `credentials`. Errors: `ERR_REGISTRY_UNAUTHORIZED` naming
 * the user (never the password), the token server's and the connection's errors.
 */
export async function checkRegistryLogin(configDir: string, registry: string, credentials: Credentials, signal?: AbortSignal): Promise<void> {
  const settings = await loadFetchSettings(configDir);
  const host = credentialKey(registry);
  const client = new RegistryClient({
    registry: host,
    settings,
    insecure: settings.registries?.get(host)?.insecure ?? false,
    credentials: new Map([[host, credentials]]),
    credentialSource: 'rocklet login',
  });
  await client.checkLogin(signal);
}
