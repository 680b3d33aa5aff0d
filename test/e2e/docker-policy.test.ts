/**
 * e2e: `rocklet fetch` and `rocklet prepare` of docker:// images checked against
 * `<config-dir>/policy.json` (the fetch path's signature seam wired to the policy evaluator),
 * with a real loopback docker-registry, skopeo-signed images (gpg simple signing into a file
 * lookaside named in registries.d) and unsigned ones. Without --insecure-options=image: a
 * signed image is accepted and listed as verified by the key, an open scope accepts, an
 * unsigned image in a signed scope and any image under the default `reject` are refused with
 * exit 254 and nothing stored.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runRocklet } from '../cli/run-cli.js';
import type { GpgKey, Registry, TempDir } from '../harness/index.js';
import { createGpgKey, makeTempDir, startRegistry } from '../harness/index.js';
import { buildOciImage, pushImage } from '../harness/oci-image.js';
import { lookasideYaml, pushSigned, writeConfig } from '../image/policy/fixtures.js';

async function indexEntries(data: string): Promise<string[]> {
  try {
    return await readdir(path.join(data, 'images', 'index'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

describe('e2e: docker:// images checked against policy.json', () => {
  let tmp: TempDir;
  let registry: Registry;
  let signer: GpgKey;
  let config: string;
  let stores = 0;
  const newStore = (): string => path.join(tmp.path, `data-${++stores}`);
  const rocklet = (data: string, args: readonly string[]) => runRocklet(['--config-dir', config, '--dir', data, ...args]);
  const image = (name: string): string => `docker://${registry.host}/e2e/${name}`;

  before(async () => {
    tmp = await makeTempDir('e2e-docker-policy');
    [registry, signer] = await Promise.all([startRegistry(), createGpgKey({ name: 'e2e policy signer' })]);
    const layout = path.join(tmp.path, 'layout');
    const sigs = path.join(tmp.path, 'sigs');
    await buildOciImage(layout, { tag: 'base' });
    await pushSigned(layout, 'base', `${registry.host}/e2e/signed/app:1`, signer, sigs);
    await pushImage(layout, 'base', `${registry.host}/e2e/signed/app:unsigned`);
    await pushImage(layout, 'base', `${registry.host}/e2e/open/app:1`);
    await pushImage(layout, 'base', `${registry.host}/e2e/elsewhere/app:1`);
    const keyPath = path.join(tmp.path, 'signer.asc');
    await writeFile(keyPath, signer.armoredPublicKey);
    config = await writeConfig(
      tmp.path,
      {
        default: [{ type: 'reject' }],
        transports: {
          docker: {
            [`${registry.host}/e2e/signed`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath }],
            [`${registry.host}/e2e/open`]: [{ type: 'insecureAcceptAnything' }],
          },
        },
      },
      { 'sigs.yaml': lookasideYaml(`${registry.host}/e2e/signed`, `file://${sigs}`) },
    );
    await writeFile(path.join(config, 'config.yaml'), `registries:\n  "${registry.host}":\n    insecure: true\n`);
  });
  after(async () => {
    await registry?.stop();
    await signer?.remove();
    await tmp?.remove();
  });

  it('fetches a signed image without --insecure-options and lists it as verified by the key', async () => {
    const data = newStore();
    const fetched = await rocklet(data, ['fetch', image('signed/app:1')]);
    assert.equal(fetched.code, 0, fetched.stderr);
    const [entry] = JSON.parse((await rocklet(data, ['image', 'list', '--format=json'])).stdout) as { verification: string }[];
    assert.match(entry?.verification ?? '', new RegExp(`signedBy.*${signer.fingerprint.slice(-16)}`, 'i'));
  });

  it('accepts an image of a scope that accepts anything, and says so', async () => {
    const data = newStore();
    const fetched = await rocklet(data, ['fetch', image('open/app:1')]);
    assert.equal(fetched.code, 0, fetched.stderr);
    const [entry] = JSON.parse((await rocklet(data, ['image', 'list', '--format=json'])).stdout) as { verification: string }[];
    assert.match(entry?.verification ?? '', /insecureAcceptAnything/);
  });

  it('refuses an unsigned image in a signed scope, and anything under the default reject; nothing is stored', async () => {
    const data = newStore();
    const unsigned = await rocklet(data, ['fetch', image('signed/app:unsigned')]);
    assert.equal(unsigned.code, 254, unsigned.stderr);
    assert.match(unsigned.stderr, /signature/i);
    const rejected = await rocklet(data, ['fetch', image('elsewhere/app:1')]);
    assert.equal(rejected.code, 254, rejected.stderr);
    assert.match(rejected.stderr, /reject/i);
    assert.deepEqual(await indexEntries(data), []);
  });

  it('applies the policy when a pod is prepared too (the path the daemon pulls through)', async () => {
    const data = newStore();
    const refused = await rocklet(data, ['prepare', image('elsewhere/app:1')]);
    assert.equal(refused.code, 254, refused.stderr);
    assert.match(refused.stderr, /reject/i);
    const prepared = await rocklet(data, ['prepare', image('signed/app:1')]);
    assert.equal(prepared.code, 0, prepared.stderr);
    assert.match(prepared.stdout.trim(), /^[0-9a-f-]{36}$/);
    const removed = await rocklet(data, ['rm', prepared.stdout.trim()]);
    assert.equal(removed.code, 0, removed.stderr);
  });
});
