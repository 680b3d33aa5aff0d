/**
 * e2e: the daemon's periodic garbage collection (config.yaml `gc`, here every second with no
 * grace periods). Exited pods (the replaced version of a daemon pod, a `rocklet run` pod) are
 * deleted; an image nobody names is removed; kept are the image the running pod uses, the one
 * it used before its update (for a rollback), and one named only by a pod file that is not
 * running here (Skipped). (A second Skipped file names the image the pod is updated to, so gc cannot
 * take it before the update.)
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import { DaemonFixture, podYaml } from '../daemon/fixture.js';

describe('e2e: rocklet daemon garbage collection', () => {
  let d: DaemonFixture;
  const ids = new Map<string, string>();
  before(async () => {
    d = await DaemonFixture.create('e2e-daemon-gc');
    for (const [name, version] of [['docker.io/library/busybox', '2.0'], ['docker.io/library/busybox', '3.0'], ['example.com/unused', '1']] as const) {
      const aci = path.join(d.fx.tmp.path, `${version}.aci`);
      const id = await buildAppAci(aci, { name, version, app: { exec: ['/bin/sh', '-c', `echo ${name}:${version}`], user: '0', group: '0' } });
      const fetched = await d.fx.rocklet(['--insecure-options=image', 'fetch', aci]);
      assert.equal(fetched.code, 0, fetched.stderr);
      ids.set(`${name}:${version}`, id);
    }
    ids.set('docker.io/library/busybox:1.36', d.busyboxId);
  });
  after(() => d?.dispose());

  it('collects exited pods and unnamed images, keeps named, running and previous images', async () => {
    await writeFile(path.join(d.configDir, 'config.yaml'), 'gc:\n  schedule: "* * * * * *"\n  gracePeriod: 0s\n  imageGracePeriod: 0s\n');
    await d.writePod('app.yaml', podYaml('app', 'exec sleep 1000'));
    await d.writePod('edge.yaml', podYaml('edge', 'exec sleep 1000', { nodeSelector: 'role: edge' }).replace('busybox:1.36', 'busybox:2.0'));
    // Names 3.0 from the start, so gc (every second) cannot take it before app.yaml moves to it.
    await d.writePod('next.yaml', podYaml('next', 'exec sleep 1000', { nodeSelector: 'role: next' }).replace('busybox:1.36', 'busybox:3.0'));
    const ran = await d.fx.rocklet(['--insecure-options=image', 'run', '--net=none', ids.get('example.com/unused:1') ?? '']);
    assert.equal(ran.code, 0, ran.stderr);
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
    const first = await d.waitForRow('app.yaml', (r) => r.state === 'Running');
    await d.writePod('app.yaml', podYaml('app', 'exec sleep 1000').replace('busybox:1.36', 'busybox:3.0'));
    await d.waitForRow('app.yaml', (r) => r.state === 'Running' && r.uuid !== first.uuid);
    const collected = await waitFor(async () => {
      const listed = await d.fx.rocklet(['image', 'list', '--full', '--no-legend']);
      return listed.stdout.includes(ids.get('example.com/unused:1') ?? 'none') ? undefined : listed.stdout;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    assert.ok(collected !== undefined, `the unnamed image was collected:\n${await d.daemonLog()}`);
    for (const kept of ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:2.0', 'docker.io/library/busybox:3.0']) {
      assert.ok(collected.includes(ids.get(kept) ?? 'none'), `${kept} is kept`);
    }
    const pods = await waitFor(async () => {
      const listed = await d.fx.rocklet(['list', '--no-legend']);
      const lines = listed.stdout.split('\n').filter((line) => line.trim() !== '');
      return lines.length === 1 ? lines : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    assert.ok(pods !== undefined, `only the running pod is left: ${(await d.fx.rocklet(['list'])).stdout}\n${await d.daemonLog()}`);
    assert.match(pods[0] ?? '', /running/);
    assert.match(await d.daemonLog(), /"action":"gc"/);
  });
});
