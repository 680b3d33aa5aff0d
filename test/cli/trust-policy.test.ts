/**
 * `rocklet trust --type/--lookaside/--list` as a user runs it: the built executable editing the
 * signature policy of a temp config dir with real gpg and ECDSA keys; what it writes is then
 * loaded the way the fetch path loads it.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSignaturePolicy } from '../../src/image/index.js';
import type { GpgKey, TempDir } from '../harness/index.js';
import { createGpgKey, makeTempDir } from '../harness/index.js';
import type { CliResult } from './run-cli.js';
import { runRocklet } from './run-cli.js';

describe('rocklet trust: the signature policy', () => {
  let tmp: TempDir;
  let key: GpgKey;
  let gpgFile = '';
  let pemFile = '';
  let counter = 0;
  let config = '';
  const trust = (...args: string[]): Promise<CliResult> => runRocklet(['trust', `--config-dir=${config}`, ...args]);
  const fresh = async (): Promise<void> => {
    config = join(tmp.path, `config-${counter++}`);
    await mkdir(config);
  };
  const policyText = (): Promise<string> => readFile(join(config, 'policy.json'), 'utf8');

  before(async () => {
    tmp = await makeTempDir('cli-trust-policy');
    key = await createGpgKey({ name: 'Policy Publisher' });
    gpgFile = join(tmp.path, 'publisher.gpg');
    await writeFile(gpgFile, key.armoredPublicKey);
    pemFile = join(tmp.path, 'cosign.pub');
    await writeFile(pemFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
  });
  after(async () => {
    await key.remove();
    await tmp.remove();
  });

  it('writes signedBy, sigstoreSigned, accept and reject entries the policy loader reads back', async () => {
    await fresh();
    let result = await trust('--type=signedBy', '--scope=registry.example.com/team', `--pubkeys=${gpgFile}`);
    assert.equal(result.code, 0, result.stderr);
    const copied = join(config, 'policy-keys', `${key.fingerprint.toLowerCase()}.gpg`);
    assert.match(result.stderr, new RegExp(`trust: copied key to "${copied}"`));
    assert.match(result.stderr, /created ".*policy\.json": transports\.docker\["registry\.example\.com\/team"\]/);
    assert.match(result.stderr, /rejects images of every scope it does not name/);
    assert.equal((await stat(copied)).mode & 0o777, 0o644);
    assert.equal((await stat(join(config, 'policy.json'))).mode & 0o777, 0o644);
    result = await trust('--type=sigstoreSigned', '--scope=quay.io', `--pubkeys=${pemFile}`, '--lookaside=https://sigs.example.com/quay');
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await trust('--type=accept', '--scope=docker.io/library/busybox')).code, 0);
    assert.equal((await trust('--type=accept', '--scope=default')).code, 0);
    assert.equal((await trust('--type=reject', '--scope=default')).code, 0);
    assert.deepEqual(JSON.parse(await policyText()), {
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          'registry.example.com/team': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: copied }],
          'quay.io': [{ type: 'sigstoreSigned', keyPath: (await readdir(join(config, 'policy-keys'))).filter((n) => n.endsWith('.pub')).map((n) => join(config, 'policy-keys', n))[0] }],
          'docker.io/library/busybox': [{ type: 'insecureAcceptAnything' }],
        },
      },
    });
    const loaded = await loadSignaturePolicy(config);
    assert.equal(loaded.state, 'configured');
    const list = await trust('--list', '--format=json');
    assert.equal(list.code, 0, list.stderr);
    const shown = JSON.parse(list.stdout) as { policy: { entries: { transport: string; scope: string; type: string; keys: string }[] }; lookasides: { scope: string; url: string }[] };
    assert.deepEqual(shown.policy.entries.map((e) => [e.transport, e.scope, e.type]), [
      ['*', 'default', 'reject'], ['docker', 'registry.example.com/team', 'signedBy'], ['docker', 'quay.io', 'sigstoreSigned'], ['docker', 'docker.io/library/busybox', 'insecureAcceptAnything'],
    ]);
    assert.deepEqual(shown.lookasides, [{ scope: 'quay.io', url: 'https://sigs.example.com/quay', file: `${join(config, 'registries.d', 'rocklet-quay.io.yaml')}: docker["quay.io"]` }]);
    const table = await trust('--list');
    assert.match(table.stdout, /TRANSPORT +SCOPE +REQUIREMENT +KEYS +IDENTITY\n\* +default +reject/);
    assert.match(table.stdout, /docker +registry\.example\.com\/team +signedBy +\S+\.gpg +matchRepoDigestOrExact/);
  });

  it('removes a copied key once no scope names it, and nothing else', async () => {
    await fresh();
    const keyDir = join(config, 'policy-keys');
    const copied = join(keyDir, `${key.fingerprint.toLowerCase()}.gpg`);
    assert.equal((await trust('--type=signedBy', '--scope=quay.io/a', `--pubkeys=${gpgFile}`)).code, 0);
    assert.equal((await trust('--type=signedBy', '--scope=quay.io/b', `--pubkeys=${gpgFile}`)).code, 0);
    await writeFile(join(keyDir, 'operator-notes.txt'), 'mine\n');
    // Still named by quay.io/b: kept.
    let result = await trust('--type=reject', '--scope=quay.io/a');
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /removed key/);
    assert.equal((await stat(copied)).isFile(), true);
    // The last scope naming it changes: the copy goes, and says so.
    result = await trust('--type=accept', '--scope=quay.io/b');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`trust: removed key "${copied}": policy.json no longer names it`));
    assert.deepEqual(await readdir(keyDir), ['operator-notes.txt'], 'only the copy rocklet made was removed');
    assert.equal((await loadSignaturePolicy(config)).state, 'configured');
  });

  it('refuses bad requests with usage errors (exit 2) and bad keys, scopes and files with 254, changing nothing', async () => {
    await fresh();
    assert.equal((await trust('--type=accept', '--scope=quay.io')).code, 0);
    const before = await policyText();
    const cases: [string[], number, RegExp][] = [
      [['--type=signedBy', '--scope=quay.io'], 2, /--type=signedBy needs --pubkeys=FILE/],
      [['--type=reject', '--scope=quay.io', `--pubkeys=${gpgFile}`], 2, /--type=reject takes no --pubkeys/],
      [['--type=acceptAll', '--scope=quay.io'], 2, /--type/],
      [['--type=accept'], 2, /--type=accept needs --scope=SCOPE/],
      [['--type=accept', '--scope=quay.io', '--prefix=example.com/app'], 2, /--prefix \(appc keys\) cannot be combined/],
      [['--lookaside=https://x.example.com'], 2, /--lookaside needs --scope=SCOPE/],
      [['--type=signedBy', '--scope=quay.io', `--pubkeys=${pemFile}`], 254, /is not an OpenPGP public key/],
      [['--type=sigstoreSigned', '--scope=quay.io', `--pubkeys=${gpgFile}`], 254, /is not a PEM public key/],
      [['--type=accept', '--scope=library/busybox'], 254, /invalid --scope: "library\/busybox" is not a fully qualified name/],
      [['--lookaside=ftp://x/y', '--scope=quay.io'], 254, /only file:\/\/, http:\/\/ and https:\/\/ lookasides/],
    ];
    for (const [args, code, message] of cases) {
      const result = await trust(...args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(await policyText(), before, `${args.join(' ')} changed policy.json`);
    }
    assert.deepEqual(await readdir(join(config, 'registries.d')).catch(() => []), []);
    // A broken policy.json is reported with file and key, and never rewritten.
    const broken = '{"default": [{"type": "reject"}], "transports": {"docker": {"quay.io": [{"type": "signedBy", "keyType": "GPGKeys"}]}}}';
    await writeFile(join(config, 'policy.json'), broken);
    for (const args of [['--type=accept', '--scope=docker.io'], ['--list']]) {
      const result = await trust(...args);
      assert.equal(result.code, 254);
      assert.match(result.stderr, /policy\.json: transports\.docker\["quay\.io"\]\[0\]: needs one of "keyPath", "keyPaths" or "keyData"/);
    }
    assert.equal(await policyText(), broken);
    // A lookaside scope another registries.d file already configures.
    await mkdir(join(config, 'registries.d'));
    await writeFile(join(config, 'registries.d', 'site.yaml'), 'docker:\n  quay.io:\n    lookaside: file:///srv/sigs\n');
    const conflict = await trust('--lookaside=https://other.example.com', '--scope=quay.io');
    assert.equal(conflict.code, 254);
    assert.match(conflict.stderr, /site\.yaml: docker\["quay\.io"\]: already configures scope "quay\.io"/);
  });
});
