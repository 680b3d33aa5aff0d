/**
 * Test helper: real gpg keys in states the harness does not make — expired (made with gpg's
 * faked clock in 2020, valid for one day), revoked (gpg's own revocation certificate imported),
 * and key files holding several keys.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpgKey } from '../../harness/index.js';
import { execChecked, makeTempDir } from '../../harness/index.js';

/** A key that is not usable, as gpg exports it, and the dir to remove. */
export interface SpecialKey {
  readonly fingerprint: string;
  readonly armoredPublicKey: string;
  remove(): Promise<void>;
}

function gpgIn(home: string): (...args: string[]) => Promise<string> {
  return (...args) => execChecked(['gpg', '--batch', '--no-tty', ...args], { env: { ...process.env, GNUPGHOME: home } });
}

async function killAgent(home: string): Promise<void> {
  await execChecked(['gpgconf', '--homedir', home, '--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
}

/** A key created on 2020-01-01 that expired a day later. */
export async function createExpiredKey(): Promise<SpecialKey> {
  const tmp = await makeTempDir('gpg-expired');
  const gpg = gpgIn(tmp.path);
  const remove = async (): Promise<void> => {
    await killAgent(tmp.path);
    await tmp.remove();
  };
  try {
    await gpg('--faked-system-time', '20200101T000000', '--pinentry-mode', 'loopback', '--passphrase', '',
      '--quick-generate-key', 'Expired Signer <expired@example.invalid>', 'ed25519', 'sign', '1d');
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(await gpg('--with-colons', '--fingerprint', '--list-keys'))?.[1] ?? '';
    return { fingerprint, armoredPublicKey: await gpg('--armor', '--export', fingerprint), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Revokes `key` in its GNUPGHOME (gpg wrote a revocation certificate at creation) and returns the exported public key. */
export async function revokeKey(key: GpgKey): Promise<string> {
  const gpg = gpgIn(key.gnupgHome);
  const dir = join(key.gnupgHome, 'openpgp-revocs.d');
  const [name] = (await readdir(dir)).filter((n) => n.endsWith('.rev'));
  if (name === undefined) throw new Error(`no revocation certificate in ${dir}`);
  // gpg guards the certificate against accidental import with a leading colon.
  const certificate = (await readFile(join(dir, name), 'utf8')).replace(/^:-----/m, '-----');
  const file = join(key.gnupgHome, 'revocation.asc');
  await writeFile(file, certificate);
  await gpg('--import', file);
  return gpg('--armor', '--export', key.fingerprint);
}

/** One armor block holding the public keys of `keys` (imported into the first key's GNUPGHOME). */
export async function exportTogether(keys: readonly GpgKey[]): Promise<string> {
  const [first] = keys;
  if (first === undefined) throw new Error('exportTogether: no keys');
  const gpg = gpgIn(first.gnupgHome);
  for (const key of keys.slice(1)) {
    const file = join(first.gnupgHome, `import-${key.fingerprint}.asc`);
    await writeFile(file, key.armoredPublicKey);
    await gpg('--import', file);
  }
  return gpg('--armor', '--export', ...keys.map((k) => k.fingerprint));
}

/** The harness prints fingerprints upper case; the keystore names files lower case. */
export function lower(fingerprint: string): string {
  return fingerprint.toLowerCase();
}

/** Collects what a test file creates so `after` can remove all of it, even when creation failed half-way. */
export class Owned {
  readonly #items: { remove(): Promise<void> }[] = [];

  /** Awaits `creating` and remembers the result for {@link removeAll}. */
  async own<T extends { remove(): Promise<void> }>(creating: Promise<T>): Promise<T> {
    const item = await creating;
    this.#items.push(item);
    return item;
  }

  /** Remembers something already made. */
  add(item: { remove(): Promise<void> }): void {
    this.#items.push(item);
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.#items.splice(0).map((item) => item.remove()));
  }
}
