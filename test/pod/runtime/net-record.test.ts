/**
 * The pod's network record (`<pod>/net-config.json`, net-record.ts): written before `pod up`
 * makes the network, read back by teardown instead of config.yaml; no record → config.yaml;
 * an unreadable record → ERR_POD_FILE_CORRUPT from the reader, and for teardown an event plus
 * config.yaml. The contexts here point at a netns file that does not exist, so nothing of these
 * tests can reach the host's network.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NetworkConfig } from '../../../src/net/index.js';
import { hostNetnsAt, parseNetworkConfig, parsePodId } from '../../../src/net/index.js';
import type { RuntimeContext, RuntimeEvent } from '../../../src/pod/index.js';
import { CURRENT_MOUNT_NAMESPACE } from '../../../src/pod/index.js';
import { podNetworkOf, readPodNetwork, recordPodNetwork } from '../../../src/pod/runtime/net-record.js';
import { NET_CONFIG_FILE } from '../../../src/pod/store/net-info.js';
import { hasErrorCode, invalidArgument, parseInsecureOptions } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';

const POD = parsePodId('0a1b2c3d-0000-4000-8000-000000000001');

describe('pod network record (net-config.json)', () => {
  let tmp: TempDir;
  let counter = 0;
  before(async () => {
    tmp = await makeTempDir('net-record');
  });
  after(() => tmp.remove());

  async function podDir(): Promise<string> {
    const dir = path.join(tmp.path, `pod${++counter}`);
    await mkdir(dir);
    return dir;
  }

  function network(bridgeName: string, subnet: string): NetworkConfig {
    return parseNetworkConfig({ bridgeName, subnet, dataDir: path.join(tmp.path, 'data'), netnsDir: path.join(tmp.path, 'netns') });
  }

  /** A context whose configured network is `configured` (an error: config.yaml is broken). */
  function context(configured: NetworkConfig | Error): { ctx: RuntimeContext; events: string[]; loads: () => number } {
    const events: string[] = [];
    let loads = 0;
    const ctx: RuntimeContext = {
      dataDir: path.join(tmp.path, 'data'),
      configDir: path.join(tmp.path, 'config'),
      insecure: parseInsecureOptions(''),
      mountNamespace: CURRENT_MOUNT_NAMESPACE,
      hostNetns: hostNetnsAt(path.join(tmp.path, 'no-such-netns')),
      loadNetwork: () => {
        loads += 1;
        return configured instanceof Error ? Promise.reject(configured) : Promise.resolve(configured);
      },
      onEvent: (event: RuntimeEvent) => events.push(event.message),
    };
    return { ctx, events, loads: () => loads };
  }

  const BROKEN = invalidArgument('ERR_CONFIG_INVALID', '/etc/rocklet/config.yaml: unknown key in network: network.subent');

  it('records the network before it is made and reads it back; teardown then never loads config.yaml', async () => {
    const dir = await podDir();
    const a = network('rltreca', '10.99.1.0/24');
    const up = context(a);
    await recordPodNetwork(up.ctx, dir, POD, a);
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, NET_CONFIG_FILE), 'utf8')), {
      bridge: 'rltreca', subnet: '10.99.1.0/24', leaseDir: path.join(tmp.path, 'data/net/rltreca'), netnsDir: path.join(tmp.path, 'netns'),
    });
    assert.deepEqual(await readPodNetwork(dir), a);
    // config.yaml now names another bridge, or is broken: the record wins, config.yaml is not read.
    for (const configured of [network('rltrecb', '10.99.2.0/24'), BROKEN]) {
      const down = context(configured);
      assert.deepEqual(await podNetworkOf(down.ctx, dir, POD), a);
      assert.equal(down.loads(), 0);
      assert.deepEqual(down.events, []);
    }
  });

  it('without a record, teardown uses config.yaml (and fails with its error when it is broken)', async () => {
    const dir = await podDir();
    assert.equal(await readPodNetwork(dir), undefined);
    const b = network('rltrecb', '10.99.2.0/24');
    assert.deepEqual(await podNetworkOf(context(b).ctx, dir, POD), b);
    await assert.rejects(podNetworkOf(context(BROKEN).ctx, dir, POD), (error: unknown) => error === BROKEN);
  });

  it('an unreadable record is ERR_POD_FILE_CORRUPT for the reader; teardown reports it and uses config.yaml', async () => {
    const valid = { bridge: 'rltreca', subnet: '10.99.1.0/24', leaseDir: '/var/lib/rocklet/net/rltreca', netnsDir: '/run/rocklet/netns' };
    const cases: Array<[string, string, RegExp]> = [
      ['empty (a crash after the rename)', '', /not valid JSON/],
      ['not JSON', '{"bridge":', /not valid JSON/],
      ['an array', '[]', /must be a JSON object/],
      ['a key missing', JSON.stringify({ ...valid, leaseDir: undefined }), /leaseDir must be a non-empty string/],
      ['a number for a string', JSON.stringify({ ...valid, subnet: 24 }), /subnet must be a non-empty string/],
      ['a bad bridge name', JSON.stringify({ ...valid, bridge: 'no/slash' }), /bridge name "no\/slash" is not a valid interface name/],
      ['a bad subnet', JSON.stringify({ ...valid, subnet: '10.0.0.0/33' }), /subnet "10\.0\.0\.0\/33" has an invalid prefix length/],
      ['a relative lease dir', JSON.stringify({ ...valid, leaseDir: 'net/x' }), /lease dir "net\/x" must be an absolute path/],
    ];
    const b = network('rltrecb', '10.99.2.0/24');
    for (const [name, text, why] of cases) {
      const dir = await podDir();
      const file = path.join(dir, NET_CONFIG_FILE);
      await writeFile(file, text);
      await assert.rejects(readPodNetwork(dir), (error: unknown) =>
        hasErrorCode(error, 'ERR_POD_FILE_CORRUPT') && error.message.startsWith(`pod file "${file}" is corrupt: `) && why.test(error.message), name);
      const down = context(b);
      assert.deepEqual(await podNetworkOf(down.ctx, dir, POD), b, name);
      assert.equal(down.events.length, 1, name);
      assert.match(down.events[0] ?? '', new RegExp(`^pod "${POD}": pod file "${file.replaceAll('.', '\\.')}" is corrupt: .*; using the network of config\\.yaml$`), name);
      await assert.rejects(podNetworkOf(context(BROKEN).ctx, dir, POD), (error: unknown) => error === BROKEN, `${name}, config.yaml broken`);
    }
  });

  it('a new start replaces the record: an unreadable one is reported, an older network is released first', async () => {
    const a = network('rltreca', '10.99.1.0/24');
    const b = network('rltrecb', '10.99.2.0/24');
    const corruptDir = await podDir();
    await writeFile(path.join(corruptDir, NET_CONFIG_FILE), 'garbage');
    const up = context(b);
    await recordPodNetwork(up.ctx, corruptDir, POD, b);
    assert.deepEqual(await readPodNetwork(corruptDir), b);
    assert.equal(up.events.length, 1);

    // The pod was up in A and left a netns file there (a lease would need the host's nft): the
    // start in B removes it, which only the record could find.
    const dir = await podDir();
    await recordPodNetwork(context(a).ctx, dir, POD, a);
    const staleNetns = path.join(a.netnsDir, POD);
    await mkdir(a.netnsDir, { recursive: true });
    await writeFile(staleNetns, '');
    await recordPodNetwork(context(a).ctx, dir, POD, a);
    assert.equal(await readFile(staleNetns, 'utf8'), '', 'the same network again: nothing is released');
    await recordPodNetwork(context(b).ctx, dir, POD, b);
    await assert.rejects(readFile(staleNetns), { code: 'ENOENT' });
    assert.deepEqual(await readPodNetwork(dir), b);
  });
});
