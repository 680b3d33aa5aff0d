import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createPodNetwork, destroyPodNetwork, listLeases, parsePodId, parsePortForward } from '../../src/net/index.js';
import { BRIDGE_CHAIN, NetFixture, chainNames, linkNames, mountsUnder } from './fixture.js';

describe('pod network create + destroy soak', () => {
  let fx: NetFixture;
  before(async () => {
    fx = await NetFixture.create('soak');
  });
  after(async () => {
    await fx.dispose();
  });

  it('leaks no veth, netns, nft chain or lease over 100 cycles', async () => {
    const ports = [parsePortForward({ hostPort: 8080, podPort: 80 }), parsePortForward({ protocol: 'udp', hostPort: 8053, podPort: 53 })];
    const ips = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const podId = parsePodId(`rltest-${process.pid}-soak-${i}`);
      const net = await createPodNetwork(fx.config, fx.host, podId, { mode: 'default', ports });
      assert.ok(net.mode === 'default');
      ips.add(net.ip);
      const result = await destroyPodNetwork(fx.config, fx.host, podId);
      assert.deepEqual(result, { vethRemoved: true, netnsRemoved: true, releasedAddresses: [net.ip] }, `cycle ${i}`);
    }
    assert.equal(ips.size, 100, 'addresses are handed out round-robin');
    assert.deepEqual((await linkNames(fx.hostFile)).sort(), ['lo', 'rlremote', 'rocklet0']);
    assert.deepEqual(await chainNames(fx.hostFile), [BRIDGE_CHAIN]);
    assert.deepEqual(await listLeases(fx.config.leaseDir), []);
    assert.deepEqual(await readdir(fx.config.netnsDir), []);
    assert.deepEqual(await mountsUnder(fx.config.netnsDir), []);
  });
});
