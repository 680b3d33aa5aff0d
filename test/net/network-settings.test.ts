import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadNetworkConfig, parseNetworkSection } from '../../src/net/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';

const FILE = '/etc/rocklet/config.yaml';

describe('net/network-settings: parseNetworkSection', () => {
  it('maps bridge and subnet to the network config fields', () => {
    assert.deepEqual(parseNetworkSection({ bridge: 'br-pods', subnet: '10.8.0.0/16' }, FILE), { bridgeName: 'br-pods', subnet: '10.8.0.0/16' });
    assert.deepEqual(parseNetworkSection({ subnet: '10.8.0.0/16' }, FILE), { subnet: '10.8.0.0/16' });
  });

  it('takes a missing or empty section as the defaults', () => {
    assert.deepEqual(parseNetworkSection(undefined, FILE), {});
    assert.deepEqual(parseNetworkSection(null, FILE), {});
    assert.deepEqual(parseNetworkSection({}, FILE), {});
  });

  it('rejects a section that is not a mapping', () => {
    assert.throws(() => parseNetworkSection(['bridge'], FILE), {
      code: 'ERR_CONFIG_INVALID', message: `${FILE}: network must be a mapping (bridge, subnet), not a list`,
    });
    assert.throws(() => parseNetworkSection('rocklet0', FILE), {
      code: 'ERR_CONFIG_INVALID', message: `${FILE}: network must be a mapping (bridge, subnet), not the string "rocklet0"`,
    });
  });

  it('rejects values that are not strings, naming the key', () => {
    assert.throws(() => parseNetworkSection({ bridge: 42 }, FILE), {
      code: 'ERR_CONFIG_INVALID', message: `${FILE}: network.bridge must be a string, not the number 42`,
    });
    assert.throws(() => parseNetworkSection({ subnet: ['10.0.0.0/24'] }, FILE), {
      code: 'ERR_CONFIG_INVALID', message: `${FILE}: network.subnet must be a string, not a list`, hint: /172\.16\.28\.0\/24/,
    });
    assert.throws(() => parseNetworkSection({ subnet: null }, FILE), {
      code: 'ERR_CONFIG_INVALID', message: `${FILE}: network.subnet must be a string, not an empty value`,
    });
  });

  it('rejects unknown keys instead of falling back to the defaults', () => {
    assert.throws(() => parseNetworkSection({ bridge: 'br0', subent: '10.0.0.0/24' }, FILE), {
      code: 'ERR_CONFIG_INVALID', message: `${FILE}: unknown key in network: network.subent`, hint: 'the network section takes: bridge, subnet',
    });
    assert.throws(() => parseNetworkSection({ bridgeName: 'br0', cidr: '10.0.0.0/24' }, FILE), {
      code: 'ERR_CONFIG_INVALID', message: `${FILE}: unknown keys in network: network.bridgeName, network.cidr`,
    });
  });
});

describe('net/network-settings: loadNetworkConfig', () => {
  let tmp: TempDir;
  let count = 0;
  before(async () => {
    tmp = await makeTempDir('network-settings');
  });
  after(() => tmp.remove());

  /** A fresh config dir holding `text` as config.yaml; returns it and the file. */
  async function configDir(text: string): Promise<{ dir: string; file: string }> {
    const dir = path.join(tmp.path, `c${count++}`);
    await mkdir(dir);
    await writeFile(path.join(dir, 'config.yaml'), text);
    return { dir, file: path.join(dir, 'config.yaml') };
  }

  it('defaults to rocklet0 on 172.16.28.0/24 without a config file, leases under the data dir', async () => {
    const config = await loadNetworkConfig(path.join(tmp.path, 'none'), { dataDir: '/srv/rl' });
    assert.equal(config.bridgeName, 'rocklet0');
    assert.equal(config.subnet.cidr, '172.16.28.0/24');
    assert.equal(config.leaseDir, '/srv/rl/net/rocklet0');
    assert.equal(config.netnsDir, '/run/rocklet/netns');
  });

  it('defaults when config.yaml has no network section (other sections are not its business)', async () => {
    const { dir } = await configDir('tls:\n  caFile: ca.pem\nnetwork:\n');
    const config = await loadNetworkConfig(dir, { dataDir: '/srv/rl' });
    assert.equal(config.bridgeName, 'rocklet0');
    assert.equal(config.subnet.cidr, '172.16.28.0/24');
  });

  it('uses the configured bridge and subnet; the lease dir follows the bridge', async () => {
    const { dir } = await configDir('network:\n  bridge: rltcfg0\n  subnet: 10.123.45.0/24\n');
    const config = await loadNetworkConfig(dir, { dataDir: '/srv/rl' });
    assert.equal(config.bridgeName, 'rltcfg0');
    assert.equal(config.subnet.cidr, '10.123.45.0/24');
    assert.equal(config.subnet.gateway, '10.123.45.1');
    assert.equal(config.subnet.firstPodAddress, '10.123.45.2');
    assert.equal(config.leaseDir, '/srv/rl/net/rltcfg0');
  });

  it('names the file and key of a bad subnet, keeping the net layer\'s code and hint', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['10.0.0.0/33', 'has an invalid prefix length (expected 0-32)', /NETWORK\/PREFIX/],
      ['10.0.0.0/31', 'is too small: a /31 has no room for a gateway and a pod', /\/30 or shorter/],
      ['10.0.0.1/24', 'has host bits set', /did you mean 10\.0\.0\.0\/24\?/],
      ['127.0.0.0/8', 'is an unspecified, loopback, multicast or reserved range', /private range/],
      ['10.0.0.0', 'has no prefix length', /NETWORK\/PREFIX/],
    ];
    for (const [subnet, why, hint] of cases) {
      const { dir, file } = await configDir(`network:\n  subnet: ${subnet}\n`);
      await assert.rejects(loadNetworkConfig(dir, { dataDir: '/srv/rl' }), {
        code: 'ERR_NET_INVALID_CIDR', category: 'invalid-argument', message: `${file}: network.subnet: subnet "${subnet}" ${why}`, hint,
      });
    }
  });

  it('names the file and key of a bad bridge name', async () => {
    const { dir, file } = await configDir('network:\n  bridge: a-very-long-bridge\n');
    await assert.rejects(loadNetworkConfig(dir, { dataDir: '/srv/rl' }), {
      code: 'ERR_NET_INVALID_BRIDGE', message: `${file}: network.bridge: bridge name "a-very-long-bridge" is not a valid interface name`,
    });
  });

  it('rejects an unknown key and a wrong type read from the file', async () => {
    const typo = await configDir('network:\n  subnett: 10.0.0.0/24\n');
    await assert.rejects(loadNetworkConfig(typo.dir, { dataDir: '/srv/rl' }), {
      code: 'ERR_CONFIG_INVALID', message: `${typo.file}: unknown key in network: network.subnett`,
    });
    const number = await configDir('network:\n  bridge: 0\n');
    await assert.rejects(loadNetworkConfig(number.dir, { dataDir: '/srv/rl' }), {
      code: 'ERR_CONFIG_INVALID', message: `${number.file}: network.bridge must be a string, not the number 0`,
    });
  });

  it('leaves errors that are not about the section alone', async () => {
    const { dir } = await configDir('network:\n  bridge: br0\n');
    await assert.rejects(loadNetworkConfig(dir, { dataDir: 'relative' }), { code: 'ERR_NET_INVALID_PATH', message: 'data dir "relative" must be an absolute path' });
    const bad = await configDir('network: [\n');
    await assert.rejects(loadNetworkConfig(bad.dir, { dataDir: '/srv/rl' }), { code: 'ERR_CONFIG_INVALID', message: /not valid YAML/ });
  });
});
