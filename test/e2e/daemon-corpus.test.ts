/**
 * e2e: the corpus of pod files shaped like real ones (test/fixtures/corpus, after the Kubernetes
 * website's examples, kubeadm and `podman kube generate`) run under the daemon, as issue 14 asks
 * of "the ones whose images the tests can provide": every file naming only busybox (which the
 * fixture imports as docker.io/library/busybox:1.36) and not refused on purpose is dropped into
 * the pod directory, with the corpus' ConfigMap and Secret under <config-dir>/configmaps|secrets,
 * and each must reach Running (probes, hooks, sidecars, privileges and projected volumes
 * included). The files naming other images are listed, so a new corpus file is never skipped
 * silently.
 */
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DaemonFixture } from '../daemon/fixture.js';
import type { PodsRow } from '../daemon/fixture.js';

const CORPUS = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));
/** Refused on purpose (test/podfile/corpus.test.ts checks the refusal). */
const REFUSED = new Set(['projected-token.yaml']);
/** restartPolicy Never and a command that ends (`ls`): Completed, as on a kubelet. */
const COMPLETES = new Set(['configmap-volume.yaml']);
/** Images the tests cannot provide offline. */
const OTHER_IMAGES = new Set(['static-etcd.yaml', 'grpc-liveness.yaml']);

describe('e2e: the corpus of real pod files under the daemon', () => {
  let d: DaemonFixture;
  const runnable: string[] = [];
  before(async () => {
    d = await DaemonFixture.create('daemon-corpus');
    const names = (await readdir(CORPUS)).filter((name) => name.endsWith('.yaml')).sort();
    for (const name of names) {
      const text = await readFile(path.join(CORPUS, name), 'utf8');
      const images = [...text.matchAll(/^\s*(?:-\s+)?image:\s*(\S+)/gm)].map((m) => m[1] ?? '');
      const busyboxOnly = images.length > 0 && images.every((image) => /^(docker\.io\/library\/)?busybox:1\.36$/.test(image));
      if (REFUSED.has(name)) continue;
      assert.equal(busyboxOnly, !OTHER_IMAGES.has(name), `${name}: images ${images.join(', ')}; list it in OTHER_IMAGES or make it run on busybox`);
      if (busyboxOnly) runnable.push(name);
    }
    for (const kind of ['configmaps', 'secrets']) {
      const dir = path.join(d.configDir, kind);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      for (const file of await readdir(path.join(CORPUS, 'config', kind))) {
        await copyFile(path.join(CORPUS, 'config', kind, file), path.join(dir, file));
        await chmod(path.join(dir, file), 0o600);
      }
    }
    for (const name of runnable) await d.writePod(name, await readFile(path.join(CORPUS, name), 'utf8'));
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
  });
  after(async () => {
    await d?.dispose();
  });

  it('runs every corpus file whose images the tests provide (a pod whose command ends under restartPolicy Never completes)', async () => {
    assert.ok(runnable.length >= 10, `runnable corpus files: ${runnable.join(', ')}`);
    const rows: PodsRow[] = [];
    // A pod that completes is Running first: each file is waited for until it reaches its own
    // expected state, or a state only an edit can end, which then fails the comparison (a
    // Failed start is retried with back-off, so it is waited out).
    const expected = (name: string): string => (COMPLETES.has(name) ? 'Completed' : 'Running');
    const stuck = new Set(['Invalid', 'Rejected', 'Skipped']);
    for (const name of runnable) rows.push(await d.waitForRow(name, (row) => row.state === expected(name) || stuck.has(row.state), 90_000));
    assert.deepEqual(rows.map((row) => [row.file, row.state]), runnable.map((name) => [name, expected(name)]));
  });
});
