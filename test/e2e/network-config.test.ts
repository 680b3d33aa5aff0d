/**
 * e2e: the `network` section of `<config-dir>/config.yaml` through the built CLI, inside a
 * private test systemd with its own network namespace (so the bridge, nft table and netns files
 * die with the instance): `rocklet run --net=default` puts the pod on the configured bridge and
 * subnet, its lease lives in `<dir>/net/<bridge>` and gc releases it there; a bad section fails
 * `run` before any pod exists, naming config.yaml and the key. A pod's network is released in
 * the network it was made in (its `net-config.json`), whatever config.yaml says at teardown:
 * another bridge, or a broken section, which blocks only the commands that make networks.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acquireLease, hostVethName, listLeases, loadNetworkConfig, parsePodId } from '../../src/net/index.js';
import type { PodUuid } from '../../src/pod/index.js';
import { readPodPid } from '../../src/pod/index.js';
import { waitFor } from '../harness/index.js';
import { buildTestAci } from '../image/fetch/helpers.js';
import { RuntimeFixture, podPlan } from '../pod/runtime/fixture.js';

const BRIDGE = 'rltcfg0';
const SUBNET = /^10\.123\.45\.(\d+)$/;
/** Two pod networks an admin switches between. */
const NET_A = { bridge: 'rltcfga', yaml: 'network:\n  bridge: rltcfga\n  subnet: 10.123.46.0/24\n', ip: /^10\.123\.46\.\d+$/ };
const NET_B = { bridge: 'rltcfgb', yaml: 'network:\n  bridge: rltcfgb\n  subnet: 10.123.47.0/24\n', ip: /^10\.123\.47\.\d+$/ };
const BROKEN = { yaml: 'network:\n  bridge: rltcfga\n  subent: 10.123.46.0/24\n', message: /config\.yaml: unknown key in network: network\.subent/ };

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

  /** Lease of pod `uuid` in the lease dir of `bridge`, if any. */
  async function leaseOf(bridge: string, uuid: string): Promise<string | undefined> {
    return (await listLeases(path.join(fx.dataDir, 'net', bridge))).find((lease) => lease.podId === uuid)?.ip;
  }

  /** What pod `uuid` still holds: the fixture's leftovers, plus leases in any lease dir and its veth. */
  async function podLeftovers(uuid: PodUuid): Promise<string[]> {
    const found = await fx.leftovers(uuid);
    for (const bridge of await readdir(path.join(fx.dataDir, 'net')).catch(() => [])) {
      const ip = await leaseOf(bridge, uuid);
      if (ip !== undefined) found.push(`lease ${bridge}/${ip}`);
    }
    const veth = await fx.exec(['ip', 'link', 'show', 'dev', hostVethName(parsePodId(uuid))]);
    if (veth.code === 0) found.push(`veth ${hostVethName(parsePodId(uuid))}`);
    return found;
  }

  /** A prepared pod (one app, default network) brought up by `pod up` under config dir `config`. */
  async function podUp(config: string): Promise<PodUuid> {
    const { uuid } = await fx.prepare(podPlan([fx.app('app', ['true'])]));
    const up = await fx.rocklet(['--config-dir', config, 'pod', 'up', uuid]);
    assert.equal(up.code, 0, up.stderr);
    return uuid;
  }

  /** Kills the lock holder of a pod that `pod up` started: it is exited and still holds everything. */
  async function killHolder(uuid: PodUuid): Promise<void> {
    const holder = await readPodPid(path.join(fx.dataDir, 'pods/run', uuid));
    assert.ok(holder !== undefined);
    await fx.exec(['kill', '-KILL', String(holder.pid)]);
    const exited = await waitFor(async () => (await fx.rocklet(['status', uuid])).stdout.includes('state=exited') || undefined, { timeoutMs: 30_000, intervalMs: 50 });
    assert.ok(exited, `pod ${uuid} exited`);
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
      // The lease is taken before the bridge is set up: wait for the bridge too.
      const link = await waitFor(async () => {
        const shown = await fx.exec(['ip', '-o', '-d', 'link', 'show', 'dev', BRIDGE]);
        return shown.code === 0 ? shown : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      assert.ok(link !== undefined, `bridge ${BRIDGE} appears`);
      assert.match(link.stdout, /\bbridge\b/, 'the link is a bridge');
      // The link is made first, its address a moment later.
      const addr = await waitFor(async () => {
        const shown = await fx.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
        return /inet 10\.123\.45\.1\/24 /.test(shown.stdout) ? shown : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      assert.ok(addr !== undefined, 'the bridge holds the subnet\'s first address');
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

  it('releases a pod in the network it was made in after config.yaml switched to another bridge', async () => {
    const config = await configDir('switch', NET_A.yaml);
    const setConfig = (yaml: string): Promise<void> => writeFile(path.join(config, 'config.yaml'), yaml);

    // pod down (the sandbox unit's ExecStopPost) of a running pod.
    const down = await podUp(config);
    assert.match((await leaseOf(NET_A.bridge, down)) ?? '', NET_A.ip);
    const downVeth = await fx.exec(['ip', '-o', 'link', 'show', 'dev', hostVethName(parsePodId(down))]);
    assert.match(downVeth.stdout, new RegExp(`master ${NET_A.bridge}\\b`), 'the pod is on bridge A');
    await setConfig(NET_B.yaml);
    const downed = await fx.rocklet(['--config-dir', config, 'pod', 'down', down]);
    assert.equal(downed.code, 0, downed.stderr);
    assert.deepEqual(await podLeftovers(down), [], 'lease, veth and nft chains in A are gone');

    // gc of a pod whose sandbox died without releasing anything.
    await setConfig(NET_A.yaml);
    const dead = await podUp(config);
    await killHolder(dead);
    await setConfig(NET_B.yaml);
    assert.ok((await podLeftovers(dead)).length > 0, 'a dead holder releases nothing by itself');
    const gc = await fx.rocklet(['--config-dir', config, 'gc', '--grace-period=0s']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stdout, new RegExp(`Garbage collecting pod "${dead}"`));
    assert.deepEqual(await podLeftovers(dead), []);
    assert.deepEqual((await podDirs()).filter((dir) => dir.endsWith(dead)), [], 'the pod is gone');
    assert.deepEqual((await readdir(path.join(fx.dataDir, 'net'))).filter((dir) => dir === NET_B.bridge), [], 'B was never touched');

    // A restart (the sandbox unit's Restart=) after the switch: the pod leaves A for B.
    await setConfig(NET_A.yaml);
    const restarted = await podUp(config);
    await killHolder(restarted);
    await setConfig(NET_B.yaml);
    const again = await fx.rocklet(['--config-dir', config, 'pod', 'up', restarted]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await leaseOf(NET_A.bridge, restarted), undefined, 'the lease in A was released');
    assert.match((await leaseOf(NET_B.bridge, restarted)) ?? '', NET_B.ip);
    await setConfig(NET_A.yaml);
    const restartedDown = await fx.rocklet(['--config-dir', config, 'pod', 'down', restarted]);
    assert.equal(restartedDown.code, 0, restartedDown.stderr);
    assert.deepEqual(await podLeftovers(restarted), [], 'released in B, where it was made last');
  });

  it('with a broken network section, stop, pod down, rm and gc still clean pods up; run and pod up still refuse', async () => {
    const config = await configDir('breaking', NET_A.yaml);
    const uuidFile = path.join(fx.tmp.path, 'breaking.uuid');
    const running = fx.rocklet([
      '--config-dir', config, '--insecure-options=image', 'run', '--net=default', `--uuid-file-save=${uuidFile}`,
      aci, '--exec=/bin/sh', '--', '-c', 'exec sleep 1000',
    ]);
    let standalone = '';
    try {
      standalone = (await waitFor(async () => (await readFile(uuidFile, 'utf8').catch(() => '')).trim() || undefined, { timeoutMs: 30_000, intervalMs: 50 })) ?? '';
      assert.notEqual(standalone, '', 'run saved the uuid');
      const started = await waitFor(async () => {
        const crun = await fx.exec(['crun', '--root=/run/rocklet/crun', 'list', '--quiet']);
        return crun.stdout.split('\n').some((id) => id.startsWith(standalone)) || undefined;
      }, { timeoutMs: 30_000, intervalMs: 50 });
      assert.ok(started, 'the app is running');
      assert.match((await leaseOf(NET_A.bridge, standalone)) ?? '', NET_A.ip);
      const unit = await podUp(config);
      const forRm = await podUp(config);
      await killHolder(forRm);
      const forGc = await podUp(config);
      await killHolder(forGc);
      const { uuid: prepared } = await fx.prepare(podPlan([fx.app('app', ['true'])]));
      await writeFile(path.join(config, 'config.yaml'), BROKEN.yaml);

      // The commands that make a network refuse, as before, and change nothing.
      const before = await podDirs();
      const run = await fx.rocklet(['--config-dir', config, '--insecure-options=image', 'run', '--net=default', aci, '--exec=/bin/true']);
      assert.equal(run.code, 254, run.stderr);
      assert.match(run.stderr, BROKEN.message);
      assert.ok(run.stderr.includes(path.join(config, 'config.yaml')), run.stderr);
      const up = await fx.rocklet(['--config-dir', config, 'pod', 'up', prepared]);
      assert.equal(up.code, 254, up.stderr);
      assert.match(up.stderr, BROKEN.message);
      assert.deepEqual(await podDirs(), before, 'no pod was created or moved');

      // The commands that release one do not need the section.
      const stopped = await fx.rocklet(['--config-dir', config, 'stop', '--force', standalone]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal((await running).code, 137);
      const downed = await fx.rocklet(['--config-dir', config, 'pod', 'down', unit]);
      assert.equal(downed.code, 0, downed.stderr);
      const removed = await fx.rocklet(['--config-dir', config, 'rm', forRm]);
      assert.equal(removed.code, 0, removed.stderr);
      const gc = await fx.rocklet(['--config-dir', config, 'gc', '--grace-period=0s']);
      assert.equal(gc.code, 0, gc.stderr);
      for (const uuid of [standalone, unit, forGc]) assert.match(gc.stdout, new RegExp(`Garbage collecting pod "${uuid}"`));
      for (const uuid of [standalone, unit, forRm, forGc]) {
        assert.deepEqual(await podLeftovers(uuid as PodUuid), [], `pod ${uuid} released everything`);
        assert.deepEqual((await podDirs()).filter((dir) => dir.endsWith(uuid)), [], `pod ${uuid} is gone`);
      }
      assert.deepEqual(await listLeases(path.join(fx.dataDir, 'net', NET_A.bridge)), [], 'no lease is left in A');

      // Once config.yaml is fixed, the refused pod starts as usual.
      await writeFile(path.join(config, 'config.yaml'), NET_A.yaml);
      const fixed = await fx.rocklet(['--config-dir', config, 'pod', 'up', prepared]);
      assert.equal(fixed.code, 0, fixed.stderr);
      const fixedDown = await fx.rocklet(['--config-dir', config, 'pod', 'down', prepared]);
      assert.equal(fixedDown.code, 0, fixedDown.stderr);
      assert.deepEqual(await podLeftovers(prepared), []);
    } finally {
      // Whatever failed above, the sleeping app must not outlive the test.
      standalone ||= (await readFile(uuidFile, 'utf8').catch(() => '')).trim();
      if (standalone !== '') await fx.rocklet(['--config-dir', config, 'stop', '--force', standalone]);
      await running;
    }
  });
});
