import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createPodNetwork, destroyPodNetwork, hostVethName, listLeases, parsePodId } from '../../src/net/index.js';
import { execCommand } from '../harness/exec.js';
import { BRIDGE_CHAIN, NetFixture, chainNames, inNs, linkNames } from './fixture.js';

const netIndexUrl = new URL('../../src/net/index.js', import.meta.url).href;

describe('pod networks set up concurrently by several processes', () => {
  let fx: NetFixture;
  before(async () => {
    fx = await NetFixture.create('concurrent');
  });
  after(async () => {
    await fx.dispose();
  });

  it('share one bridge and get distinct addresses; teardown leaves nothing', async () => {
    const workers = 4;
    const perWorker = 3;
    // Each worker creates its pods with its own host ports (9000 + worker*10 + i).
    const script = `
      import { createPodNetwork, hostNetnsAt, parseNetworkConfig, parsePodId, parsePortForward } from ${JSON.stringify(netIndexUrl)};
      const [hostFile, leaseDir, netnsDir, prefix, worker, count] = process.argv.slice(1);
      const config = parseNetworkConfig({ leaseDir, netnsDir });
      const out = [];
      for (let i = 0; i < Number(count); i++) {
        const ports = [parsePortForward({ hostPort: 9000 + Number(worker) * 10 + i, podPort: 80 })];
        const net = await createPodNetwork(config, hostNetnsAt(hostFile), parsePodId(prefix + worker + '-' + i), { mode: 'default', ports });
        out.push({ podId: net.podId, ip: net.ip, netnsPath: net.netnsPath });
      }
      console.log(JSON.stringify(out));
    `;
    const prefix = `rltest-${process.pid}-cc-`;
    const results = await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        execCommand([
          process.execPath, '--input-type=module', '-e', script,
          fx.hostFile, fx.config.leaseDir, fx.config.netnsDir, prefix, String(w), String(perWorker),
        ]),
      ),
    );
    const pods: { podId: string; ip: string; netnsPath: string }[] = [];
    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      pods.push(...(JSON.parse(result.stdout) as typeof pods));
    }
    assert.equal(pods.length, workers * perWorker);
    assert.equal(new Set(pods.map((p) => p.ip)).size, pods.length, 'an address was given twice');
    const links = await linkNames(fx.hostFile);
    assert.equal(links.filter((l) => l === 'rocklet0').length, 1);
    for (const pod of pods) {
      assert.ok(links.includes(hostVethName(parsePodId(pod.podId))), `veth of ${pod.podId}`);
      const ping = await execCommand(inNs(pod.netnsPath, ['busybox', 'ping', '-c1', '-W2', '172.16.28.1']));
      assert.equal(ping.code, 0, `${pod.podId} cannot reach the gateway`);
    }
    // One bridge chain, plus three of its own for each pod (each has a host port).
    const chains = await chainNames(fx.hostFile);
    assert.equal(chains.filter((c) => c === BRIDGE_CHAIN).length, 1);
    assert.equal(chains.filter((c) => c.startsWith(`pod-${prefix}`)).length, 3 * pods.length);

    // Re-running setup for one pod from this process changes nothing about the others.
    const first = pods[0];
    assert.ok(first !== undefined);
    const again = await createPodNetwork(fx.config, fx.host, parsePodId(first.podId), { mode: 'default' });
    assert.ok(again.mode === 'default' && again.ip === first.ip);

    await Promise.all(pods.map((pod) => destroyPodNetwork(fx.config, fx.host, parsePodId(pod.podId))));
    assert.deepEqual((await linkNames(fx.hostFile)).sort(), ['lo', 'rlremote', 'rocklet0']);
    assert.deepEqual(await chainNames(fx.hostFile), [BRIDGE_CHAIN]);
    assert.deepEqual(await listLeases(fx.config.leaseDir), []);
    assert.deepEqual(await readdir(fx.config.netnsDir), []);
  });
});

describe('pod network when the subnet is full', () => {
  let fx: NetFixture;
  before(async () => {
    fx = await NetFixture.create('full', '10.77.0.0/30');
  });
  after(async () => {
    await fx.dispose();
  });

  it('fails with ERR_NET_EXHAUSTED and removes the new pod’s netns', async () => {
    const only = parsePodId(`rltest-${process.pid}-only`);
    const net = await createPodNetwork(fx.config, fx.host, only, { mode: 'default' });
    assert.ok(net.mode === 'default' && net.ip === '10.77.0.2');
    const extra = parsePodId(`rltest-${process.pid}-extra`);
    await assert.rejects(createPodNetwork(fx.config, fx.host, extra, { mode: 'default' }), {
      code: 'ERR_NET_EXHAUSTED',
      message: 'no free address left in subnet 10.77.0.0/30 (1 pod address, all leased)',
    });
    assert.deepEqual(await readdir(fx.config.netnsDir), [only]);
    assert.deepEqual((await listLeases(fx.config.leaseDir)).map((l) => l.podId), [only]);
    await destroyPodNetwork(fx.config, fx.host, only);
  });
});
