import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNetworkConfig, parseNetworkMode, parsePodId, isPodId, NETWORK_MODES } from '../../src/net/index.js';

describe('network config', () => {
  it('defaults to rocklet0 on 172.16.28.0/24 with DESIGN.md paths', () => {
    const config = parseNetworkConfig();
    assert.equal(config.bridgeName, 'rocklet0');
    assert.equal(config.subnet.cidr, '172.16.28.0/24');
    assert.equal(config.subnet.gateway, '172.16.28.1');
    assert.equal(config.leaseDir, '/var/lib/rocklet/net/rocklet0');
    assert.equal(config.netnsDir, '/run/rocklet/netns');
  });

  it('derives the lease dir from the data dir and bridge name', () => {
    const config = parseNetworkConfig({ dataDir: '/srv/rl/', bridgeName: 'br-pods', subnet: '10.8.0.0/16' });
    assert.equal(config.leaseDir, '/srv/rl/net/br-pods');
    assert.equal(config.subnet.gateway, '10.8.0.1');
  });

  it('rejects bad bridge names, relative paths and bad subnets', () => {
    assert.throws(() => parseNetworkConfig({ bridgeName: 'a-very-long-bridge' }), { code: 'ERR_NET_INVALID_BRIDGE', message: /"a-very-long-bridge"/ });
    assert.throws(() => parseNetworkConfig({ bridgeName: 'br.0' }), { code: 'ERR_NET_INVALID_BRIDGE' });
    assert.throws(() => parseNetworkConfig({ bridgeName: '' }), { code: 'ERR_NET_INVALID_BRIDGE' });
    assert.throws(() => parseNetworkConfig({ leaseDir: 'leases' }), { code: 'ERR_NET_INVALID_PATH', message: 'lease dir "leases" must be an absolute path' });
    assert.throws(() => parseNetworkConfig({ netnsDir: './ns' }), { code: 'ERR_NET_INVALID_PATH' });
    assert.throws(() => parseNetworkConfig({ subnet: '172.16.28.1/24' }), { code: 'ERR_NET_INVALID_CIDR' });
  });

  it('parses the three network modes and nothing else', () => {
    assert.deepEqual(NETWORK_MODES.map(parseNetworkMode), ['host', 'none', 'default']);
    assert.throws(() => parseNetworkMode('bridge'), { code: 'ERR_NET_INVALID_MODE', message: 'network mode "bridge" is not supported' });
  });

  it('accepts UUIDs as pod ids and rejects names unsafe for files and nft', () => {
    assert.equal(parsePodId('4f9c1b7e-2a3d-4e5f-8a9b-0c1d2e3f4a5b'), '4f9c1b7e-2a3d-4e5f-8a9b-0c1d2e3f4a5b');
    for (const bad of ['', '-x', '.hidden', 'a/b', 'a b', 'x'.repeat(101), 'pod;drop']) {
      assert.equal(isPodId(bad), false, bad);
      assert.throws(() => parsePodId(bad), { code: 'ERR_NET_INVALID_POD_ID' });
    }
  });
});
