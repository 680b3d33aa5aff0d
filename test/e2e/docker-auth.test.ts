/**
 * End to end: `rocklet fetch docker://…` from real docker-registries that want credentials
 * (htpasswd Basic auth, Bearer tokens from a token server) or speak TLS with a test CA, with
 * `rocklet login`/`logout` managing `<config-dir>/auth.json`. Refusals exit 254 with their
 * message and leave the store empty.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runRocklet } from '../cli/run-cli.js';
import type { Registry, TempDir, TokenServer } from '../harness/index.js';
import { buildOciImage, makeTempDir, pushImage, startRegistry, startTokenServer } from '../harness/index.js';

async function indexOf(data: string): Promise<string[]> {
  try {
    return await readdir(path.join(data, 'images/index'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

describe('e2e: docker:// with credentials and TLS', () => {
  let tmp: TempDir;
  let tokens: TokenServer;
  let tokenRegistry: Registry;
  let basicRegistry: Registry;
  let tlsRegistry: Registry;
  let stores = 0;

  const configDir = (name: string): string => path.join(tmp.path, `config-${name}`);
  const rocklet = (config: string, args: readonly string[], input?: string) =>
    runRocklet(['--config-dir', config, '--dir', path.join(tmp.path, `data-${++stores}`), ...args], input === undefined ? {} : { input });
  const fetch = (config: string, image: string, ...flags: string[]) => {
    const data = path.join(tmp.path, `data-${++stores}`);
    return runRocklet(['--config-dir', config, '--dir', data, '--insecure-options=image', 'fetch', ...flags, image]).then((result) => ({ ...result, data }));
  };
  async function insecureConfig(name: string, hosts: readonly string[]): Promise<string> {
    const dir = configDir(name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'config.yaml'), `registries:\n${hosts.map((host) => `  "${host}":\n    insecure: true\n`).join('')}`);
    return dir;
  }

  before(async () => {
    tmp = await makeTempDir('e2e-docker-auth');
    const layout = path.join(tmp.path, 'oci');
    await buildOciImage(layout, { tag: 'img' });
    tokens = await startTokenServer({ users: { alice: 'secret' } });
    tokenRegistry = await startRegistry({ auth: { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certFile: tokens.certFile } });
    basicRegistry = await startRegistry({ auth: { kind: 'htpasswd', users: { bob: 'hunter2' } } });
    tlsRegistry = await startRegistry({ tls: true });
    await pushImage(layout, 'img', `${tokenRegistry.host}/t/busybox:1`, { creds: 'alice:secret' });
    await pushImage(layout, 'img', `${basicRegistry.host}/t/busybox:1`, { creds: 'bob:hunter2' });
    await pushImage(layout, 'img', `${tlsRegistry.host}/t/busybox:1`);
  });
  after(async () => {
    await Promise.all([tokenRegistry?.stop(), basicRegistry?.stop(), tlsRegistry?.stop()]);
    await tokens?.close();
    await tmp?.remove();
  });

  it('login writes auth.json (mode 0600, Docker\'s format) that Basic-auth pulls use; logout removes the entry', async () => {
    const config = await insecureConfig('basic', [basicRegistry.host]);
    const anonymous = await fetch(config, `docker://${basicRegistry.host}/t/busybox:1`);
    assert.equal(anonymous.code, 254);
    assert.match(anonymous.stderr, /requires authentication/);
    assert.deepEqual(await indexOf(anonymous.data), []);
    const login = await rocklet(config, ['login', '--username=bob', '--password-stdin', basicRegistry.host], 'hunter2\n');
    assert.equal(login.code, 0, login.stderr);
    const file = path.join(config, 'auth.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const body = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(body.auths[basicRegistry.host]?.auth ?? '', 'base64').toString(), 'bob:hunter2');
    const pulled = await fetch(config, `docker://${basicRegistry.host}/t/busybox:1`);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal((await rocklet(config, ['logout', basicRegistry.host])).code, 0);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { auths: {} });
    const again = await rocklet(config, ['logout', basicRegistry.host]);
    assert.equal(again.code, 254);
    assert.match(again.stderr, /no credentials for/);
  });

  it('login checks the credentials with the registry (Basic and token): wrong ones are refused naming the user, and not stored', async () => {
    const config = await insecureConfig('check', [basicRegistry.host, tokenRegistry.host]);
    for (const [host, user] of [[basicRegistry.host, 'bob'], [tokenRegistry.host, 'alice']] as const) {
      const refused = await rocklet(config, ['login', `--username=${user}`, '--password-stdin', host], 'wrong-password\n');
      assert.equal(refused.code, 254, refused.stderr);
      assert.match(refused.stderr, new RegExp(`refused the credentials of user "${user}"`));
      assert.doesNotMatch(refused.stderr, /wrong-password/, 'never a password in a message');
      await assert.rejects(stat(path.join(config, 'auth.json')), { code: 'ENOENT' }, 'nothing stored');
    }
    const tokenLogin = await rocklet(config, ['login', '--username=alice', '--password-stdin', tokenRegistry.host], 'secret\n');
    assert.equal(tokenLogin.code, 0, tokenLogin.stderr);
    assert.match(tokenLogin.stderr, /login succeeded/);
    const noUser = await rocklet(config, ['login', '--password-stdin', basicRegistry.host], 'hunter2\n');
    assert.equal(noUser.code, 2, noUser.stderr);
    assert.match(noUser.stderr, /--password-stdin needs --username/);
  });

  it('refuses wrong credentials (401) at a pull, naming the user, with nothing stored', async () => {
    const config = await insecureConfig('wrong', [basicRegistry.host]);
    // Credentials that went stale after login (auth.json written by another tool, or the password changed).
    await writeFile(path.join(config, 'auth.json'), JSON.stringify({ auths: { [basicRegistry.host]: { auth: Buffer.from('bob:hunter3').toString('base64') } } }), { mode: 0o600 });
    const result = await fetch(config, `docker://${basicRegistry.host}/t/busybox:1`);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /refused the credentials of user "bob"/);
    assert.doesNotMatch(result.stderr, /hunter3/, 'never a password in a message');
    assert.deepEqual(await indexOf(result.data), []);
  });

  it('pulls with Bearer tokens (anonymous and with credentials); a failing token server is a clear error', async (t) => {
    t.after(() => {
      tokens.mode = 'ok';
    });
    const config = await insecureConfig('token', [tokenRegistry.host]);
    assert.equal((await rocklet(config, ['login', '--username=alice', '--password-stdin', tokenRegistry.host], 'secret\n')).code, 0);
    const pulled = await fetch(config, `docker://${tokenRegistry.host}/t/busybox:1`);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.ok(tokens.requests.some((request) => request.user === 'alice' && request.scopes.includes('repository:t/busybox:pull')));
    for (const mode of ['fail', 'garbage'] as const) {
      tokens.mode = mode;
      const refused = await fetch(config, `docker://${tokenRegistry.host}/t/busybox:1`);
      assert.equal(refused.code, 254, mode);
      assert.match(refused.stderr, /token/i, mode);
      assert.deepEqual(await indexOf(refused.data), [], mode);
    }
  });

  it('speaks TLS with a CA from --ca-file (or tls.caFile); without it the certificate is refused', async () => {
    const config = configDir('tls');
    await mkdir(config, { recursive: true });
    const refused = await fetch(config, `docker://${tlsRegistry.host}/t/busybox:1`);
    assert.equal(refused.code, 254);
    assert.match(refused.stderr, /certificate|TLS/i);
    assert.deepEqual(await indexOf(refused.data), []);
    const pulled = await fetch(config, `docker://${tlsRegistry.host}/t/busybox:1`, `--ca-file=${tlsRegistry.caFile}`);
    assert.equal(pulled.code, 0, pulled.stderr);
    await writeFile(path.join(config, 'config.yaml'), `tls:\n  caFile: ${tlsRegistry.caFile}\n`);
    assert.equal((await fetch(config, `docker://${tlsRegistry.host}/t/busybox:1`)).code, 0);
  });

  it('refuses plain HTTP to a registry not configured insecure', async () => {
    const config = configDir('plain');
    await mkdir(config, { recursive: true });
    const result = await fetch(config, `docker://${basicRegistry.host}/t/busybox:1`);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /insecure|http/i);
  });
});
