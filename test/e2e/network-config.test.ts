/**
 * e2e: the `network` section of `<config-dir>/config.yaml` through the built CLI, inside a
 * private test systemd with its own network namespace (so the bridge, nft table and netns files
 * die with the instance): `rocklet run --net=default` puts the pod on the configured bridge and
 * subnet, its lease lives in `<dir>/net/<bridge>` and gc releases it there; a bad section fails
 * `run` before any pod exists, naming config.yaml and the key.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acquireLease, listLeases, loadNetworkConfig, parsePodId } from '../../src/net/index.js';
import { waitFor } from '../harness/index.js';
import { buildTestAci } from '../image/fetch/helpers.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

const BRIDGE = 'rltcfg0';
const SUBNET = /^10\.123\.45\.(\d+)$/;

describe('e2e: network section of config.yaml', () => {
  let fx: RuntimeFixture;
  let aci: string;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-netcfg');
    aci = path.join(fx.tmp.path, 'app.aci');
    await buildTestAci(aci, { name: 'example.com/netcfg', version: '1.0.0' });
  });
  after(() => fx?.dispose());

  /** A config dir whose config.yaml holds `text`. */
  async function configDir(name: string, text: string): Promise<string> {
    const dir = path.join(fx.tmp.path, name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'config.yaml'), text);
    return dir;
  }

  /** Every pod dir in the store, as `state/uuid`. */
  async function podDirs(): Promise<string[]> {
    const found: string[] = [];
    for (const state of await readdir(path.join(fx.dataDir, 'pods')).catch(() => [])) {
      for (const uuid of await readdir(path.join(fx.dataDir, 'pods', state))) found.push(`${state}/${uuid}`);
    }
    return found.sort();
  }

  it('runs a pod on the configured bridge and subnet; gc releases its lease in <dir>/net/<bridge>', async () => {
    const config = await configDir('config', `network:\n  bridge: ${BRIDGE}\n  subnet: 10.123.45.0/24\n`);
    const leaseDir = path.join(fx.dataDir, 'net', BRIDGE);
    const uuidFile = path.join(fx.tmp.path, 'netcfg.uuid');
    const running = fx.rocklet([
      '--config-dir', config, '--insecure-options=image', 'run', '--net=default', `--uuid-file-save=${uuidFile}`,
      aci, '--exec=/bin/sh', '--', '-c', 'ip -4 addr show dev eth0; ip route; exec sleep 1000',
    ]);
    let uuid = '';
    try {
      const lease = await waitFor(async () => (await listLeases(leaseDir))[0], { timeoutMs: 30_000, intervalMs: 100 });
      assert.ok(lease !== undefined, `a lease appears in ${leaseDir}`);
      uuid = (await readFile(uuidFile, 'utf8')).trim();
      assert.equal(lease.podId, uuid);
      assert.match(lease.ip, SUBNET);
      const link = await fx.exec(['ip', '-o', '-d', 'link', 'show', 'dev', BRIDGE]);
      assert.equal(link.code, 0, link.stderr);
      assert.match(link.stdout, /\bbridge\b/, 'the link is a bridge');
      const addr = await fx.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
      assert.match(addr.stdout, /inet 10\.123\.45\.1\/24 /, 'the bridge holds the subnet\'s first address');
      const defaultBridge = await fx.exec(['ip', 'link', 'show', 'dev', 'rocklet0']);
      assert.notEqual(defaultBridge.code, 0, 'the default bridge was not created');
      assert.deepEqual(await readdir(path.join(fx.dataDir, 'net')), [BRIDGE], 'no lease dir for the default bridge');
      const stopped = await fx.rocklet(['--config-dir', config, 'stop', '--force', uuid]);
      assert.equal(stopped.code, 0, stopped.stderr);
    } finally {
      // Whatever failed above, the pod must not outlive the test (the sleep would hold dispose up).
      uuid ||= (await readFile(uuidFile, 'utf8').catch(() => '')).trim();
      if (uuid !== '') await fx.rocklet(['--config-dir', config, 'stop', '--force', uuid]);
      await running;
    }
    const result = await running;
    assert.equal(result.code, 137, result.stderr);
    const address = /inet (10\.123\.45\.\d+)\/24 /.exec(result.stdout)?.[1];
    assert.ok(address !== undefined, `the app sees an address in 10.123.45.0/24: ${result.stdout}`);
    assert.match(result.stdout, /default via 10\.123\.45\.1 dev eth0/);
    assert.deepEqual(await listLeases(leaseDir), [], 'pod down released the lease in the configured dir');

    // As if pod down had died before releasing: the exited pod still holds a lease; gc must
    // find it in the configured lease dir, not in the default one.
    const network = await loadNetworkConfig(config, { dataDir: fx.dataDir });
    assert.equal(network.leaseDir, leaseDir);
    const stale = await acquireLease(network, parsePodId(uuid));
    assert.match(stale.ip, SUBNET);
    const gc = await fx.rocklet(['--config-dir', config, 'gc', '--grace-period=0s']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stdout, new RegExp(`Garbage collecting pod "${uuid}"`));
    assert.deepEqual(await listLeases(leaseDir), [], 'gc released the lease');
    assert.deepEqual((await podDirs()).filter((dir) => dir.endsWith(uuid)), [], 'the pod is gone');
  });

  it('refuses to run with a bad network section, naming config.yaml and the key, and creates no pod', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['bad-subnet', 'network:\n  subnet: 10.0.0.0/33\n', /config\.yaml: network\.subnet: subnet "10\.0\.0\.0\/33" has an invalid prefix length/],
      ['typo', `network:\n  bridge: ${BRIDGE}\n  subent: 10.1.0.0/24\n`, /config\.yaml: unknown key in network: network\.subent/],
      ['not-yaml', 'network: [10.0.0.0/24\n', /config\.yaml: not valid YAML/],
    ];
    const before = await podDirs();
    for (const [name, text, message] of cases) {
      const config = await configDir(name, text);
      const result = await fx.rocklet(['--config-dir', config, '--insecure-options=image', 'run', '--net=default', aci, '--exec=/bin/true']);
      assert.equal(result.code, 254, `${name}: ${result.stderr}`);
      assert.match(result.stderr, message, name);
      assert.ok(result.stderr.includes(path.join(config, 'config.yaml')), `${name}: names the file: ${result.stderr}`);
      assert.deepEqual(await podDirs(), before, `${name}: no pod was created`);
    }
    const list = await fx.rocklet(['list', '--no-legend']);
    assert.doesNotMatch(list.stdout, /running/, 'no pod is running');
  });
});
