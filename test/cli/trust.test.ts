/**
 * `rocklet trust` as a user runs it: the built executable with real gpg keys, a real keystore
 * in a temp config dir, a loopback HTTPS server with a throw-away CA for key URLs and
 * discovery (on 127.77.1.1:443, since discovery URLs carry no port), and a real terminal
 * (util-linux `script` gives the command a pty) for the fingerprint review.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parsePublicKeys } from '../../src/image/index.js';
import type { GpgKey, HttpsServer, TempDir } from '../harness/index.js';
import { createGpgKey, execCommand, makeTempDir, startHttpsServer } from '../harness/index.js';
import { Owned, createExpiredKey, lower, revokeKey } from '../image/trust/keys.js';
import type { CliResult } from './run-cli.js';
import { CLI_PATH, runRocklet } from './run-cli.js';

const HOST = '127.77.1.1';
const PROMPT = 'Are you sure you want to trust this key (yes/no)? ';

function grouped(fingerprint: string): string {
  return (fingerprint.toUpperCase().match(/.{4}/g) ?? []).join(' ');
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs rocklet on a pseudo-terminal, typing `input`; stdout and stderr arrive merged, with \r\n. */
async function runOnTerminal(args: readonly string[], input: string): Promise<CliResult> {
  const command = [process.execPath, CLI_PATH, ...args].map(quote).join(' ');
  const result = await execCommand(['script', '--quiet', '--return', '--command', command, '/dev/null'], { input });
  return { code: result.code, stdout: result.stdout.replace(/\r\n/g, '\n'), stderr: result.stderr };
}

describe('rocklet trust', () => {
  const owned = new Owned();
  let tmp: TempDir;
  let server: HttpsServer;
  let alice: GpgKey;
  let bob: GpgKey;
  let keyFile = '';
  let config = '';
  let counter = 0;
  const trustedKeys = (): string => join(config, 'trustedkeys');
  const trust = (...args: string[]): Promise<CliResult> => runRocklet(['trust', `--config-dir=${config}`, ...args]);
  const filesUnder = async (dir: string): Promise<string[]> => {
    try {
      return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };

  before(async () => {
    tmp = await owned.own(makeTempDir('cli-trust'));
    [alice, bob] = await Promise.all([
      owned.own(createGpgKey({ name: 'Alice Publisher', email: 'alice@example.invalid' })),
      owned.own(createGpgKey({ name: 'Bob Publisher', email: 'bob@example.invalid', algo: 'rsa2048' })),
    ]);
    keyFile = join(tmp.path, 'alice.asc');
    await writeFile(keyFile, alice.armoredPublicKey);
    server = await startHttpsServer({ host: HOST, port: 443 });
    owned.add({ remove: () => server.close() });
    server.route('/keys/alice.asc', { kind: 'bytes', body: alice.armoredPublicKey });
  });
  after(() => owned.removeAll());
  beforeEach(() => {
    config = join(tmp.path, `config-${counter++}`);
  });

  it('needs exactly one of --prefix and --root (usage errors, exit 2)', async () => {
    const cases: [string[], string][] = [
      [[], 'trust: trust needs --prefix=PREFIX or --root'],
      [[keyFile], 'trust: aborting due to implicit unbounded trust (root domain): give --prefix=PREFIX to trust the key for images below PREFIX only, or --root to trust it for every image'],
      [['--root', '--prefix=example.com', keyFile], 'trust: --root and --prefix usage mutually exclusive'],
      [['--root'], 'trust: --root needs at least one KEY (file path or https URL): keys are discovered only for a --prefix'],
    ];
    for (const [args, message] of cases) {
      const result = await trust(...args);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr.split('\n')[0], message);
    }
    const scheme = await trust('--prefix=https://example.com/app', '--skip-fingerprint-review', keyFile);
    assert.equal(scheme.code, 254);
    assert.match(scheme.stderr, /^trust: --prefix must not contain a URL scheme, omit https:\/\/\ntrust: hint: use --prefix=example.com\/app\n/);
    assert.deepEqual(await filesUnder(trustedKeys()), []);
  });

  it('refuses to ask on a non-terminal stdin without --skip-fingerprint-review, and stores nothing', async () => {
    const result = await trust('--prefix=example.com/app', keyFile);
    assert.equal(result.code, 254);
    assert.equal(result.stderr, 'trust: cannot ask to confirm the key fingerprint: standard input is not a terminal\n'
      + 'trust: hint: check the fingerprint with the key\'s publisher, then run again with --skip-fingerprint-review\n');
    assert.deepEqual(await filesUnder(trustedKeys()), []);
  });

  it('--skip-fingerprint-review trusts the key for the prefix: rkt\'s messages and the keystore layout', async () => {
    const result = await trust('--prefix=example.com/app', '--skip-fingerprint-review', keyFile);
    const stored = join(trustedKeys(), 'prefix.d', 'example.com', 'app', lower(alice.fingerprint));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `gpg key fingerprint is: ${grouped(alice.fingerprint)}\n\tAlice Publisher <alice@example.invalid>\n`);
    assert.equal(result.stderr, [
      'trust: prefix: "example.com/app"',
      `trust: key: "${keyFile}"`,
      `trust: Trusting "${keyFile}" for prefix "example.com/app" without fingerprint review.`,
      `trust: Added key for prefix "example.com/app" at "${stored}"`,
      '',
    ].join('\n'));
    assert.deepEqual(await filesUnder(trustedKeys()), [stored]);
    assert.equal((await stat(stored)).mode & 0o777, 0o644);
    const [key] = await parsePublicKeys(await readFile(stored, 'utf8'), stored);
    assert.equal(key?.fingerprint, lower(alice.fingerprint));
  });

  it('--root trusts every key of a file holding several keys, each shown', async () => {
    const ring = join(tmp.path, 'ring.asc');
    await writeFile(ring, `${alice.armoredPublicKey}${bob.armoredPublicKey}`);
    const result = await trust('--root', '--skip-fingerprint-review', ring);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`gpg key fingerprint is: ${grouped(alice.fingerprint)}\n\tAlice Publisher <alice@example.invalid>\ngpg key fingerprint is: ${grouped(bob.fingerprint)}\n\tBob Publisher <bob@example.invalid>\n`));
    const rootDir = join(trustedKeys(), 'root.d');
    assert.deepEqual(await filesUnder(trustedKeys()), [join(rootDir, lower(alice.fingerprint)), join(rootDir, lower(bob.fingerprint))].sort());
    assert.match(result.stderr, new RegExp(`trust: Added root key at "${join(rootDir, lower(bob.fingerprint))}"\n`));
  });

  it('refuses expired and revoked keys and bad key files with clear messages; one bad KEY stores nothing', async () => {
    const expired = await owned.own(createExpiredKey());
    const revokedKey = await owned.own(createGpgKey({ name: 'Revoked', email: 'revoked@example.invalid' }));
    const expiredFile = join(tmp.path, 'expired.asc');
    const revokedFile = join(tmp.path, 'revoked.asc');
    const junkFile = join(tmp.path, 'junk.asc');
    await writeFile(expiredFile, expired.armoredPublicKey);
    await writeFile(revokedFile, await revokeKey(revokedKey));
    await writeFile(junkFile, 'this is not a key\n');
    const cases: [string, RegExp][] = [
      [expiredFile, new RegExp(`^trust: key ${lower(expired.fingerprint)} from "${expiredFile}" has expired and cannot be trusted: the key expired on 2020-01-02T00:00:00.000Z\n`)],
      [revokedFile, new RegExp(`^trust: key ${lower(revokedKey.fingerprint)} from "${revokedFile}" is revoked and cannot be trusted\n`)],
      [junkFile, new RegExp(`^trust: "${junkFile}" is not an OpenPGP public key: no OpenPGP key block found\n`)],
      [join(tmp.path, 'missing.asc'), new RegExp(`^trust: key file "${join(tmp.path, 'missing.asc')}" does not exist\n`)],
    ];
    for (const [file, message] of cases) {
      const result = await trust('--prefix=example.com/app', '--skip-fingerprint-review', keyFile, file);
      assert.equal(result.code, 254, file);
      assert.match(result.stderr, message);
      assert.deepEqual(await filesUnder(trustedKeys()), [], `nothing stored for ${file}`);
    }
  });

  it('fetches an https key URL with --ca-file; without it the certificate is refused with a hint', async () => {
    const url = `${server.origin}/keys/alice.asc`;
    const refused = await trust('--prefix=example.com/app', '--skip-fingerprint-review', url);
    assert.equal(refused.code, 254);
    assert.match(refused.stderr, /the server's TLS certificate is not trusted/);
    assert.match(refused.stderr, /hint: trust its CA with --ca-file FILE/);
    const result = await trust('--prefix=example.com/app', '--skip-fingerprint-review', `--ca-file=${server.caFile}`, url);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`trust: Trusting "${url}" for prefix "example.com/app" without fingerprint review.\n`));
    assert.deepEqual(await filesUnder(trustedKeys()), [join(trustedKeys(), 'prefix.d', 'example.com', 'app', lower(alice.fingerprint))]);
    const http = await trust('--prefix=example.com/app', '--skip-fingerprint-review', `http://${HOST}:1/keys/alice.asc`);
    assert.equal(http.code, 254);
    assert.match(http.stderr, /plain HTTP is not allowed/);
  });

  it('fetches a plain http key URL only with --insecure-allow-http (rkt) or --insecure-options=http', async () => {
    const plain = await startHttpsServer({ tls: false });
    owned.add({ remove: () => plain.close() });
    plain.route('/alice.asc', { kind: 'bytes', body: alice.armoredPublicKey });
    const url = `${plain.origin}/alice.asc`;
    const refused = await trust('--prefix=example.com/app', '--skip-fingerprint-review', url);
    assert.equal(refused.code, 254);
    assert.match(refused.stderr, /plain HTTP is not allowed/);
    assert.equal(plain.requests.length, 0, 'nothing was requested');
    for (const flag of ['--insecure-allow-http', '--insecure-options=http']) {
      const result = await trust('--prefix=example.com/app', '--skip-fingerprint-review', flag, url);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /trust: Added key for prefix "example\.com\/app"/);
    }
  });

  it('without KEY discovers the prefix\'s keys through ac-discovery-pubkeys', async () => {
    server.route('/team/app', { kind: 'status', status: 404 });
    server.route('/team', { kind: 'bytes', contentType: 'text/html', body: `<html><head><meta name="ac-discovery-pubkeys" content="${HOST}/team ${server.origin}/keys/alice.asc"></head></html>` });
    const prefix = `${HOST}/team/app`;
    const result = await trust(`--prefix=${prefix}`, '--skip-fingerprint-review', `--ca-file=${server.caFile}`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^trust: discovered 1 key location for prefix "${prefix}" at https://${HOST}/team\\?ac-discovery=1\n`));
    assert.deepEqual(await filesUnder(trustedKeys()), [join(trustedKeys(), 'prefix.d', ...prefix.split('/'), lower(alice.fingerprint))]);
    const none = await trust(`--prefix=${HOST}/nothing`, '--skip-fingerprint-review', `--ca-file=${server.caFile}`);
    assert.equal(none.code, 254);
    assert.match(none.stderr, /^trust: error determining key location: prefix meta discovery error: no public keys found for "127\.77\.1\.1\/nothing"/);
  });

  it('on a terminal, shows the key and asks; "no" trusts nothing (exit 1)', async () => {
    const result = await runOnTerminal(['trust', `--config-dir=${config}`, '--prefix=example.com/app', keyFile], 'no\n');
    assert.equal(result.code, 1, result.stdout);
    assert.ok(result.stdout.includes(`gpg key fingerprint is: ${grouped(alice.fingerprint)}\n\tAlice Publisher <alice@example.invalid>\n${PROMPT}`), result.stdout);
    assert.ok(result.stdout.includes(`trust: Not trusting "${keyFile}" (key ${lower(alice.fingerprint)}): declined at the fingerprint review.\n`), result.stdout);
    assert.deepEqual(await filesUnder(trustedKeys()), []);
  });

  it('on a terminal, asks again until yes or no, and "yes" trusts after review', async () => {
    const result = await runOnTerminal(['trust', `--config-dir=${config}`, '--prefix=example.com/app', keyFile], 'maybe\nyes\n');
    assert.equal(result.code, 0, result.stdout);
    assert.equal(result.stdout.split(PROMPT).length - 1, 2, result.stdout);
    assert.ok(result.stdout.includes('trust: please answer "yes" or "no", not "maybe"\n'), result.stdout);
    assert.ok(result.stdout.includes(`trust: Trusting "${keyFile}" for prefix "example.com/app" after fingerprint review.\n`), result.stdout);
    assert.deepEqual(await filesUnder(trustedKeys()), [join(trustedKeys(), 'prefix.d', 'example.com', 'app', lower(alice.fingerprint))]);
  });
});
