/**
 * @module harness/gpg — throw-away OpenPGP signing keys in a temp GNUPGHOME.
 *
 * Unprotected keys made with `gpg --batch` (ed25519 in ~30 ms, rsa2048 in ~100 ms). gpg starts
 * a gpg-agent per GNUPGHOME that outlives gpg itself; `remove()` ends it through its own socket
 * (`gpgconf --kill all`) before deleting the dir, and so does the sweep for a crashed runner.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execChecked } from './exec.js';
import { makeTempDir } from './tmp.js';

/** Options of {@link createGpgKey}. */
export interface GpgKeyOptions {
  name?: string;
  email?: string;
  /** Default 'ed25519'. */
  algo?: 'ed25519' | 'rsa2048';
}

/** A signing key in its own GNUPGHOME. */
export interface GpgKey {
  readonly gnupgHome: string;
  /** 40 hex digits, upper case, as gpg prints it. */
  readonly fingerprint: string;
  readonly armoredPublicKey: string;
  /** Writes an armored detached signature of `file` to `out` (default `<file>.asc`); returns its path. */
  sign(file: string, out?: string): Promise<string>;
  /** Stops the GNUPGHOME's gpg-agent and deletes the dir. Idempotent. */
  remove(): Promise<void>;
}

function rsaParameters(uid: { name: string; email: string }): string {
  return [
    '%no-protection', 'Key-Type: RSA', 'Key-Length: 2048', 'Key-Usage: sign',
    `Name-Real: ${uid.name}`, `Name-Email: ${uid.email}`, 'Expire-Date: 0', '%commit', '',
  ].join('\n');
}

/** Creates a fresh signing key (no passphrase) in a new temp GNUPGHOME. */
export async function createGpgKey(opts: GpgKeyOptions = {}): Promise<GpgKey> {
  const tmp = await makeTempDir('gpg');
  const home = tmp.path;
  const env = { ...process.env, GNUPGHOME: home };
  const gpg = (...args: string[]): Promise<string> => execChecked(['gpg', '--batch', '--no-tty', ...args], { env });
  let removed: Promise<void> | undefined;
  const remove = async (): Promise<void> => {
    await execChecked(['gpgconf', '--homedir', home, '--kill', 'all'], { env });
    await tmp.remove();
  };
  try {
    const uid = { name: opts.name ?? 'rocklet test signer', email: opts.email ?? `signer-${process.pid}@example.invalid` };
    if ((opts.algo ?? 'ed25519') === 'ed25519') {
      await gpg('--pinentry-mode', 'loopback', '--passphrase', '', '--quick-generate-key', `${uid.name} <${uid.email}>`, 'ed25519', 'sign', 'never');
    } else {
      const params = join(home, 'keygen.params');
      await writeFile(params, rsaParameters(uid));
      await gpg('--generate-key', params);
    }
    const listing = await gpg('--with-colons', '--fingerprint', '--list-secret-keys');
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1];
    if (fingerprint === undefined) throw new Error(`gpg made no key in ${home}:\n${listing}`);
    const armoredPublicKey = await gpg('--armor', '--export', fingerprint);
    return {
      gnupgHome: home,
      fingerprint,
      armoredPublicKey,
      async sign(file: string, out = `${file}.asc`): Promise<string> {
        await gpg('--yes', '--local-user', fingerprint, '--armor', '--detach-sign', '--output', out, file);
        return out;
      },
      remove: () => (removed ??= remove()),
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
