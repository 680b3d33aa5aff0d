import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { execCommand } from './exec.js';
import { createGpgKey } from './gpg.js';
import { waitFor } from './proc.js';
import { makeTempDir } from './tmp.js';

async function agentRunningFor(home: string): Promise<boolean> {
  const ps = await execCommand(['ps', '-eo', 'stat=,args=']);
  return ps.stdout.split('\n').some((l) => !l.trim().startsWith('Z') && l.includes('gpg-agent') && l.includes(home));
}

for (const algo of ['ed25519', 'rsa2048'] as const) {
  describe(`createGpgKey (${algo})`, () => {
    it('makes a key whose detached signatures gpg verifies, and removes its home and agent', async (t) => {
      const key = await createGpgKey({ algo, name: 'Harness Test', email: 'harness@example.invalid' });
      t.after(() => key.remove());
      const files = await makeTempDir('gpg-data');
      t.after(() => files.remove());
      assert.match(key.fingerprint, /^[0-9A-F]{40}$/);
      assert.match(key.armoredPublicKey, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);

      const file = `${files.path}/payload.tar`;
      await writeFile(file, 'payload bytes\n');
      const asc = await key.sign(file);
      assert.equal(asc, `${file}.asc`);
      assert.match(await readFile(asc, 'utf8'), /^-----BEGIN PGP SIGNATURE-----/);
      const env = { ...process.env, GNUPGHOME: key.gnupgHome };
      const good = await execCommand(['gpg', '--batch', '--verify', asc, file], { env });
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stderr, /Good signature from "Harness Test <harness@example.invalid>"/);
      await writeFile(file, 'tampered bytes\n');
      assert.equal((await execCommand(['gpg', '--batch', '--verify', asc, file], { env })).code, 1);

      await key.remove();
      await assert.rejects(access(key.gnupgHome), { code: 'ENOENT' });
      assert.equal(await waitFor(async () => !(await agentRunningFor(key.gnupgHome)), { timeoutMs: 30_000 }), true);
    });
  });
}
