/**
 * preparePod / preparePodFile on a real image store and pod store in a temp dir, with real
 * busybox ACIs signed by real gpg keys. Every refused preparation is checked to leave no pod.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FetchSettings } from '../../../src/image/index.js';
import { ImageStore, loadFetchSettings } from '../../../src/image/index.js';
import type { PlanningContext, RunRequest, RuntimeEvent } from '../../../src/pod/index.js';
import { POD_FILES, podStateAt, podStore, preparePod, readPodManifest, readPodMeta, readPodPlan } from '../../../src/pod/index.js';
import { preparePodFile } from '../../../src/pod/runtime/prepare-pod-file.js';
import type { InsecureOptions } from '../../../src/util/index.js';
import { errnoCode, hasErrorCode, parseInsecureOptions } from '../../../src/util/index.js';
import type { GpgKey, TempDir } from '../../harness/index.js';
import { createGpgKey, makeTempDir } from '../../harness/index.js';
import { trustKey } from '../../image/fetch/helpers.js';
import { SERVER_APP, buildAppAci } from './aci.js';
import { app, request } from './plan-fixtures.js';

describe('preparePod', () => {
  let tmp: TempDir;
  let signer: GpgKey;
  let config: string;
  let settings: FetchSettings;
  let signedAci: string;
  let signedId: string;
  let unsignedAci: string;
  let stores = 0;

  before(async () => {
    tmp = await makeTempDir('prepare');
    signer = await createGpgKey({ name: 'prepare signer' });
    config = path.join(tmp.path, 'config');
    await mkdir(config);
    await trustKey(config, signer, 'example.com');
    signedAci = path.join(tmp.path, 'server.aci');
    signedId = await buildAppAci(signedAci, { name: 'example.com/server', app: SERVER_APP });
    await signer.sign(signedAci);
    unsignedAci = path.join(tmp.path, 'plain.aci');
    await buildAppAci(unsignedAci, { name: 'example.com/plain' });
    settings = await loadFetchSettings(config, {});
  });
  after(async () => {
    await signer.remove();
    await tmp.remove();
  });

  function context(insecure = ''): PlanningContext & { events: RuntimeEvent[]; dataDir: string } {
    const events: RuntimeEvent[] = [];
    const insecureOptions: InsecureOptions = parseInsecureOptions(insecure === '' ? 'none' : insecure);
    return { dataDir: path.join(tmp.path, `data-${++stores}`), configDir: config, insecure: insecureOptions, onEvent: (event) => events.push(event), events };
  }

  async function podDirs(dataDir: string): Promise<string[]> {
    const found: string[] = [];
    for (const dir of ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage', 'garbage']) {
      const uuids = await readdir(path.join(dataDir, 'pods', dir)).catch((error: unknown) => {
        if (errnoCode(error) === 'ENOENT') return [];
        throw error;
      });
      for (const uuid of uuids) found.push(`${dir}/${uuid}`);
    }
    return found;
  }

  async function refused(ctx: PlanningContext & { dataDir: string }, req: RunRequest, code: string, message: RegExp): Promise<void> {
    await assert.rejects(preparePod(ctx, req, { fetchSettings: settings }), (error: unknown) => hasErrorCode(error, code) && message.test(error.message));
    assert.deepEqual(await podDirs(ctx.dataDir), [], 'a refused prepare left a pod behind');
  }

  it('fetches a signed image, renders it and leaves a prepared pod with manifest, metadata and plan', async () => {
    const ctx = context();
    const uuidFile = path.join(tmp.path, 'uuid-1');
    const req = request([app(signedAci, { args: ['-v'] })], { ports: [{ name: 'http', hostPort: 8080 }], uuidFileSave: uuidFile });
    const prepared = await preparePod(ctx, req, { fetchSettings: settings });
    assert.equal(await podStateAt(podStore(ctx.dataDir), prepared.uuid), 'prepared');
    assert.equal(prepared.podDir, path.join(ctx.dataDir, 'pods', 'prepared', prepared.uuid));
    assert.equal(await readFile(uuidFile, 'utf8'), prepared.uuid);
    assert.deepEqual(await readPodPlan(prepared.podDir), JSON.parse(JSON.stringify(prepared.plan)));
    assert.equal((await stat(path.join(prepared.podDir, 'plan.json'))).mode & 0o777, 0o600);
    const meta = await readPodMeta(prepared.podDir);
    assert.deepEqual(meta?.apps, [{ name: 'server', imageName: 'example.com/server', imageId: signedId, imageVersion: '1.0.0' }]);
    const manifest = await readPodManifest(prepared.podDir) as { apps: { app: { exec: string[] } }[] };
    assert.deepEqual(manifest.apps[0]?.app.exec, ['/bin/httpd', '-f', '-p', '80', '-v']);
    const [planned] = prepared.plan.apps;
    assert.deepEqual(planned?.ports, [{ name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 8080 }]);
    const trees = await (await ImageStore.open(ctx.dataDir)).trees();
    assert.deepEqual(planned?.image.trees, [trees.find((tree) => tree.layers.includes(signedId as never))?.id]);
    assert.ok(ctx.events.some((event) => /implicitly creating an "empty" volume/.test(event.message)));
  });

  it('refuses an unsigned image unless --insecure-options=image', async () => {
    const ctx = context();
    await refused(ctx, request([app(unsignedAci)]), 'ERR_SIGNATURE_MISSING', /no signature found for/);
    const insecure = context('image');
    const prepared = await preparePod(insecure, request([app(unsignedAci)]), { fetchSettings: settings });
    assert.equal(await podStateAt(podStore(insecure.dataDir), prepared.uuid), 'prepared');
  });

  it('creates no pod for bad input: duplicate names, unknown ports, missing host paths', async () => {
    const ctx = context();
    await refused(ctx, request([app(signedAci), app(signedAci)]), 'ERR_DUPLICATE_APP_NAME', /duplicate app name "server"/);
    await refused(ctx, request([app(signedAci)], { ports: [{ name: 'https', hostPort: 8443 }] }), 'ERR_PORT_UNKNOWN', /port name "https" is not declared/);
    const missing = path.join(tmp.path, 'missing-dir');
    await refused(
      ctx, request([app(signedAci)], {}, [{ name: 'www', kind: 'host', source: missing, readOnly: false, recursive: true }]),
      'ERR_VOLUME_SOURCE_MISSING', new RegExp(`host path "${missing}" does not exist`),
    );
  });

  it('keeps the pod locked in prepare/ with keepLocked (for run and pod up)', async () => {
    const ctx = context();
    const prepared = await preparePod(ctx, request([app(signedAci)]), { fetchSettings: settings, keepLocked: true });
    try {
      assert.equal(await podStateAt(podStore(ctx.dataDir), prepared.uuid), 'preparing');
      assert.equal(prepared.pod?.dir, 'prepare');
    } finally {
      await prepared.pod?.release();
    }
    assert.equal(await podStateAt(podStore(ctx.dataDir), prepared.uuid), 'aborted prepare');
  });

  it('leaves an aborted prepare (rkt) when writing fails after the pod exists', async () => {
    const ctx = context();
    const uuidFileSave = path.join(tmp.path, 'no-such-dir', 'uuid');
    await assert.rejects(preparePod(ctx, request([app(signedAci)], { uuidFileSave }), { fetchSettings: settings }), (error: unknown) => /ENOENT/.test(String(error)));
    const [left] = await podDirs(ctx.dataDir);
    assert.match(left ?? '', /^prepare\//);
    const uuid = (left ?? '').slice('prepare/'.length);
    assert.equal(await podStateAt(podStore(ctx.dataDir), uuid as never), 'aborted prepare');
    assert.ok((await readdir(path.join(ctx.dataDir, 'pods', left ?? ''))).includes(POD_FILES.created));
  });

  it('prepares an appc pod manifest naming a stored image, and a pod file whose Docker image is in the store', async () => {
    const ctx = context();
    await preparePod(ctx, request([app(signedAci)]), { fetchSettings: settings });
    const manifest = path.join(tmp.path, 'web.json');
    await writeFile(manifest, JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{ name: 'front', image: { name: 'example.com/server', labels: [{ name: 'version', value: '1.0.0' }] } }],
    }));
    const fromManifest = await preparePodFile(ctx, manifest, { fetchSettings: settings, appcOnly: true });
    assert.deepEqual([fromManifest.plan.podName, fromManifest.plan.apps[0]?.name, fromManifest.plan.apps[0]?.image.id], ['web', 'front', signedId]);
    assert.equal(await podStateAt(podStore(ctx.dataDir), fromManifest.uuid), 'prepared');
    const source = { kind: 'pod-manifest', path: manifest } as const;
    const implicit = await preparePod(ctx, { source, options: request([]).options }, { fetchSettings: settings });
    assert.deepEqual([implicit.plan.net, implicit.plan.hostname, implicit.plan.dns.host], ['default', 'web', true], 'the file decides without --net, --hostname, --dns');
    const overridden = await preparePod(ctx, {
      source, options: { ...request([]).options, net: 'none', explicitNet: true, hostname: 'h2', dns: { host: false, servers: ['9.9.9.9'], searches: [], options: [] } },
    }, { fetchSettings: settings });
    assert.deepEqual([overridden.plan.net, overridden.plan.hostname, overridden.plan.dns.servers], ['none', 'h2', ['9.9.9.9']]);

    const podYaml = path.join(tmp.path, 'pod.yaml');
    await writeFile(podYaml, 'apiVersion: v1\nkind: Pod\nmetadata: {name: dockerish}\nspec:\n  containers:\n  - {name: web, image: "busybox:1.36", env: [{name: U, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}]}\n');
    const before = await podDirs(ctx.dataDir);
    // Not in the store: a pull, which the signature policy refuses before any network.
    await assert.rejects(preparePodFile(ctx, podYaml, { fetchSettings: settings }), (error: unknown) => hasErrorCode(error, 'ERR_SIGNATURE_POLICY_MISSING')
      && error.message.startsWith('docker://docker.io/library/busybox:1.36: there is no signature policy'));
    assert.deepEqual(await podDirs(ctx.dataDir), before);
    await assert.rejects(preparePodFile(ctx, podYaml, { fetchSettings: settings, appcOnly: true }), (error: unknown) => hasErrorCode(error, 'ERR_POD_MANIFEST_FORMAT'));

    const converted = path.join(tmp.path, 'converted.aci');
    await buildAppAci(converted, { name: 'docker.io/library/busybox', version: '1.36' });
    const store = await ImageStore.open(ctx.dataDir);
    await store.importAci(converted);
    const fromPodFile = await preparePodFile(ctx, podYaml, { fetchSettings: settings });
    assert.deepEqual([fromPodFile.plan.apps[0]?.image.name, fromPodFile.plan.specHash?.startsWith('sha256:')], ['docker.io/library/busybox', true]);
    assert.deepEqual(fromPodFile.plan.apps[0]?.env.find((e) => e.name === 'U')?.value, fromPodFile.uuid, 'metadata.uid is the pod UUID');
  });

  it('reports an invalid pod file with its diagnostics', async () => {
    const ctx = context();
    const bad = path.join(tmp.path, 'bad.yaml');
    await writeFile(bad, 'apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: []}\n');
    await assert.rejects(preparePodFile(ctx, bad, { fetchSettings: settings }), (error: unknown) => hasErrorCode(error, 'ERR_POD_FILE_INVALID') && /bad\.yaml:3:/.test(error.message));
    assert.deepEqual(await podDirs(ctx.dataDir), []);
  });
});
