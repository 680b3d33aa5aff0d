/**
 * End to end: Docker images that run. A docker-registry serves, inside the test systemd's own
 * network namespace (127.0.0.1:5000 there), images pushed with `skopeo copy` to a loopback
 * registry on the host (both read the same storage). `rocklet run docker://…` pulls and runs a
 * real crun pod through the overlay of its layer trees (whiteouts and an opaque directory
 * applied by overlayfs); the image's Entrypoint/Cmd/User/WorkingDir apply; a pod file naming
 * such an image is pulled and run by the daemon, with Kubernetes' args semantics.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonFixture } from '../daemon/fixture.js';
import type { Registry } from '../harness/index.js';
import { startRegistry, waitFor } from '../harness/index.js';
import type { LayerEntry } from '../harness/oci-image.js';
import { addRawLayer, buildOciImage, buildWhiteoutImage, pushImage, setCommand, writeLayerTar } from '../harness/oci-image.js';

const INNER = '127.0.0.1:5000';

describe('e2e: Docker images run (rocklet run and the daemon)', () => {
  let d: DaemonFixture;
  let registry: Registry;

  before(async () => {
    d = await DaemonFixture.create('e2e-docker-run');
    registry = await startRegistry();
    const layout = path.join(d.fx.tmp.path, 'layout');
    await buildOciImage(layout, { tag: 'base' });
    await buildWhiteoutImage(layout, 'base', 'wh', d.fx.tmp.path);
    await setCommand(layout, 'base', { entrypoint: ['/bin/sh', '-c'], cmd: ['echo from-cmd $(id -un):$(id -gn) $(pwd); exec sleep infinity'], user: 'nobody', newTag: 'cmd' });
    // More layers than one overlay mount takes (the lowerdir option must fit in a page): 31.
    await setCommand(layout, 'base', { entrypoint: [], cmd: ['/bin/sh'], newTag: 'many' });
    for (let n = 1; n <= 30; n++) {
      const tar = path.join(d.fx.tmp.path, `many-${n}.tar`);
      const entries: LayerEntry[] = n === 1 ? [{ name: 'opq/', type: 'directory' }, { name: 'opq/old', body: 'old' }] : [];
      entries.push({ name: 'many/', type: 'directory' }, { name: `many/${n}`, body: `${n}\n` });
      if (n === 20) entries.push({ name: 'many/.wh.3' }, { name: 'opq/', type: 'directory' }, { name: 'opq/.wh..wh..opq' }, { name: 'opq/new', body: 'new' });
      await writeLayerTar(tar, entries);
      await addRawLayer(layout, 'many', tar);
    }
    for (const tag of ['wh', 'cmd', 'many']) await pushImage(layout, tag, `${registry.host}/e2e/busybox:${tag}`);
    // The same storage, served where the pods' rocklet can reach it.
    assert.equal(await d.serveRegistryInside(registry), INNER);
    await writeFile(path.join(d.configDir, 'config.yaml'), `registries:\n  "${INNER}":\n    insecure: true\n`);
  });
  after(async () => {
    await d?.dispose();
    await registry?.stop();
  });

  it('rocklet run docker://… pulls and runs the image through its layers: whiteouts and opaque dirs apply', async () => {
    const result = await d.rocklet(['--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${d.fx.tmp.path}/wh.uuid`, `docker://${INNER}/e2e/busybox:wh`,
      '--exec=/bin/sh', '--', '-c', 'ls /opq; test -e /gone || echo no-gone; test -e /etc/marker || echo no-marker; cat /keep; pwd; echo $PATH']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'new\nno-gone\nno-marker\nkept\n/root\n/bin:/usr/bin\n');
    const plan = await d.fx.exec(['sh', '-c', `cat ${d.fx.dataDir}/pods/*/$(cat ${d.fx.tmp.path}/wh.uuid)/plan.json`]);
    const trees = (JSON.parse(plan.stdout) as { apps: { image: { trees: string[] } }[] }).apps[0]?.image.trees ?? [];
    assert.equal(trees.length, 3, 'the three layer trees are the overlay\'s lower dirs, nothing squashed');
    assert.ok(trees.every((tree) => tree.startsWith('layer-')));
    const uuid = (await d.fx.exec(['cat', `${d.fx.tmp.path}/wh.uuid`])).stdout.trim();
    const exported = await d.rocklet(['export', uuid, `${d.fx.tmp.path}/wh-app.aci`]);
    assert.equal(exported.code, 0, `a Docker image's app exports to an ACI: ${exported.stderr}`);
  });

  it('merges the layers into one tree when there are more than one overlay mount stacks', async () => {
    const result = await d.rocklet(['--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${d.fx.tmp.path}/many.uuid`, `docker://${INNER}/e2e/busybox:many`,
      '--exec=/bin/sh', '--', '-c', 'ls /many | wc -l; test -e /many/3 || echo no-3; cat /many/30; ls /opq']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '29\nno-3\n30\nnew\n');
    const plan = await d.fx.exec(['sh', '-c', `cat ${d.fx.dataDir}/pods/*/$(cat ${d.fx.tmp.path}/many.uuid)/plan.json`]);
    const trees = (JSON.parse(plan.stdout) as { apps: { image: { trees: string[] } }[] }).apps[0]?.image.trees ?? [];
    assert.equal(trees.length, 1);
    assert.match(trees[0] ?? '', /^deps-[0-9a-f]{64}$/);
  });

  it('runs the image\'s Entrypoint + Cmd as its User (name resolved in the image) in its WorkingDir', async () => {
    const result = await d.rocklet(['--insecure-options=image', 'run', '--net=none', `docker://${INNER}/e2e/busybox:cmd`, '--exec=/bin/sh', '--', '-c', 'id -u; id -g; pwd']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '65534\n65534\n/root\n', 'nobody, its primary group from /etc/passwd');
  });

  it('runs a pod file naming a registry image under the daemon: pulled by the daemon, args replace the Cmd', async () => {
    await d.startDaemon();
    await d.writePod('docker.yaml', [
      'apiVersion: v1', 'kind: Pod',
      'metadata: {name: dockerpod, annotations: {rocklet.io/insecure-options: image}}',
      'spec:', '  terminationGracePeriodSeconds: 2', '  containers:',
      '  - name: main', `    image: ${INNER}/e2e/busybox:cmd`,
      '    args: ["echo from-args $(id -un) $(cat /etc/marker); exec sleep infinity"]', '',
    ].join('\n'));
    const row = await d.waitForRow('docker.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1, 60_000);
    assert.equal(row.pod, 'dockerpod');
    const journal = await waitFor(async () => {
      const text = await d.fx.sd.journal('rocklet-dockerpod_main.service');
      return text.includes('from-args') ? text : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    assert.ok(journal !== undefined, await d.fx.sd.journal('rocklet-dockerpod_main.service'));
    assert.match(journal, /from-args nobody base/);
    assert.doesNotMatch(journal, /from-cmd/);
    const listed = await d.rocklet(['--format=json', 'image', 'list']);
    assert.match(listed.stdout, new RegExp(`"name":"${INNER}/e2e/busybox:cmd"`));
  });
});
