/**
 * The corpus of pod files shaped like real ones (test/fixtures/corpus, what each follows in its README): each validates and
 * binds to the corpus' ConfigMaps and Secrets, or is refused naming the field and the local
 * alternative. Files that wait for a field another branch adds are listed in WAITING with it.
 */
import assert from 'node:assert/strict';
import { chmod, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { bindPodConfig, readPodFile, readSharedConfigObjects } from '../../src/podfile/index.js';
import { NODE_NAME } from './helpers.js';

const CORPUS = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));

/** Refused on purpose: the field path and what the message must say. */
const REFUSED: Readonly<Record<string, { path: string; message: RegExp }>> = {
  'projected-token.yaml': { path: 'spec.volumes[0].projected.sources[0].serviceAccountToken', message: /a service-account token is issued by a cluster's API server; put a token file in a Secret under <config-dir>\/secrets\/ and project that/ },
};

/** Files waiting for a field another branch adds (the lead flips them at merge). */
const WAITING: Readonly<Record<string, string>> = {};

describe('corpus of real pod files', async () => {
  const names = (await readdir(CORPUS)).filter((name) => name.endsWith('.yaml')).sort();
  // git keeps no modes: give secrets/ the ones the daemon requires (0700, files 0600).
  const secrets = path.join(CORPUS, 'config', 'secrets');
  await chmod(secrets, 0o700);
  for (const name of await readdir(secrets)) await chmod(path.join(secrets, name), 0o600);
  const shared = await readSharedConfigObjects(path.join(CORPUS, 'config'));
  it('has files and its shared objects load', () => {
    assert.ok(names.length >= 12);
    assert.deepEqual(shared.problems, []);
  });
  for (const name of names) {
    const refused = REFUSED[name];
    const waiting = WAITING[name];
    it(`${name} ${refused === undefined ? 'validates and binds' : 'is refused naming the field and the alternative'}`, { todo: waiting }, async () => {
      const result = await readPodFile(path.join(CORPUS, name), { nodeName: NODE_NAME });
      if (refused !== undefined) {
        assert.ok(!result.ok);
        assert.equal(result.errors.length, 1, result.errors.map((error) => error.message).join('\n'));
        assert.equal(result.errors[0]?.path, refused.path);
        assert.match(result.errors[0]?.message ?? '', refused.message);
        return;
      }
      assert.ok(result.ok, result.ok ? '' : result.errors.map((error) => `${error.path}: ${error.message}`).join('\n'));
      const bound = bindPodConfig(result.spec, result.hash, result.objects, { find: (kind, namespace, objectName) => shared.objects.find((o) => o.kind === kind && o.namespace === namespace && o.name === objectName) });
      assert.ok(bound.ok, bound.ok ? '' : bound.problems.join('\n'));
    });
  }
});
