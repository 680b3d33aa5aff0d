import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PodId, PodNetwork } from '../../src/net/index.js';
import {
  acquireLease,
  collectPodNetworks,
  createPodNetwork,
  destroyPodNetwork,
  ensureNetnsFile,
  hostVethName,
  listLeases,
  parseNetworkConfig,
  parsePodId,
  parsePortForward,
} from '../../src/net/index.js';
import { execChecked, execCommand } from '../harness/exec.js';
import { BRIDGE_CHAIN, HOST_REMOTE_SIDE_IP, NetFixture, chainNames, curl, inNs, linkNames, mountsUnder } from './fixture.js';

const tcp = (hostPort: number, podPort: number, hostIP?: string) => parsePortForward({ hostPort, podPort, hostIP });

describe('pod network in a fake host netns', () => {
  let fx: NetFixture;
  const ids = (name: string): PodId => parsePodId(`rltest-${process.pid}-${name}`);
  const podA = ids('a');
  const podB = ids('b');
  let netA: PodNetwork;

  before(async () => {
    fx = await NetFixture.create('pods');
  });
  after(async () => {
    await fx.dispose();
  });

  const netnsOf = (net: PodNetwork): string => {
    assert.notEqual(net.mode, 'host');
    return net.mode === 'host' ? '' : net.netnsPath;
  };
  const hostLinks = async (): Promise<string[]> => (await linkNames(fx.hostFile)).sort();
  const leaseIds = async (): Promise<string[]> => (await listLeases(fx.config.leaseDir)).map((l) => l.podId).sort();

  it('default mode: veth on the bridge, address, default route; reaches the gateway and another host', async () => {
    netA = await createPodNetwork(fx.config, fx.host, podA, { mode: 'default', ports: [tcp(8080, 80)] });
    assert.ok(netA.mode === 'default');
    assert.equal(netA.ip, '172.16.28.2');
    assert.equal(netA.gateway, '172.16.28.1');
    assert.equal(netA.netnsPath, path.join(fx.config.netnsDir, podA));
    assert.match(netA.hostVeth, /^rlv[0-9a-f]{12}$/);
    assert.equal(netA.hostVeth, hostVethName(podA));
    assert.deepEqual((await linkNames(netA.netnsPath)).sort(), ['eth0', 'lo']);

    const addrs = JSON.parse(await execChecked(inNs(netA.netnsPath, ['ip', '-j', 'addr', 'show', 'dev', 'eth0']))) as {
      addr_info: { family: string; local: string; prefixlen: number }[];
    }[];
    assert.deepEqual(addrs[0]?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['172.16.28.2/24']);
    const routes = await execChecked(inNs(netA.netnsPath, ['ip', 'route', 'show', 'default']));
    assert.match(routes, /^default via 172\.16\.28\.1 dev eth0/);

    const link = JSON.parse(await execChecked(inNs(fx.hostFile, ['ip', '-j', '-d', 'link', 'show', 'dev', netA.hostVeth]))) as {
      master?: string;
      linkinfo?: { info_slave_data?: { hairpin?: boolean } };
    }[];
    assert.equal(link[0]?.master, 'rocklet0');
    assert.equal(link[0]?.linkinfo?.info_slave_data?.hairpin, true);
    const localnet = await execChecked(inNs(fx.hostFile, ['sysctl', '-n', 'net.ipv4.conf.rocklet0.route_localnet']));
    assert.equal(localnet.trim(), '1');

    assert.equal((await execCommand(inNs(netA.netnsPath, ['busybox', 'ping', '-c1', '-W2', '172.16.28.1']))).code, 0, 'ping gateway');
    // The remote host has no route to 172.16.28.0/24: an answer proves the masquerade.
    assert.equal((await execCommand(inNs(netA.netnsPath, ['busybox', 'ping', '-c1', '-W2', '10.99.0.2']))).code, 0, 'ping remote');
    assert.deepEqual((await chainNames(fx.hostFile)).sort(), [BRIDGE_CHAIN, `pod-${podA}-out`, `pod-${podA}-post`, `pod-${podA}-pre`]);
  });

  it("forwards a host port from another host, from the host's own 127.0.0.1 and its other addresses", async () => {
    await fx.serveHttp(netnsOf(netA), 80, 'hello from a');
    assert.equal((await curl(fx.remoteFile, `http://${HOST_REMOTE_SIDE_IP}:8080/`)).stdout, 'hello from a', 'from the remote host');
    assert.equal((await curl(fx.hostFile, 'http://127.0.0.1:8080/')).stdout, 'hello from a', 'from host 127.0.0.1');
    assert.equal((await curl(fx.hostFile, `http://${HOST_REMOTE_SIDE_IP}:8080/`)).stdout, 'hello from a', 'from host, own address');
    // Only local addresses are forwarded: the pod's own outbound traffic to port 8080 elsewhere is not hijacked.
    const outbound = await curl(netnsOf(netA), 'http://10.99.0.2:8080/', 2);
    assert.notEqual(outbound.stdout, 'hello from a');
  });

  it('hairpin: pods reach forwarded ports through the host, their own and another pod’s', async () => {
    const netB = await createPodNetwork(fx.config, fx.host, podB, { mode: 'default', ports: [tcp(8081, 80, HOST_REMOTE_SIDE_IP)] });
    assert.ok(netB.mode === 'default');
    assert.equal(netB.ip, '172.16.28.3');
    await fx.serveHttp(netB.netnsPath, 80, 'hello from b');
    assert.equal((await curl(netnsOf(netA), `http://${HOST_REMOTE_SIDE_IP}:8081/`)).stdout, 'hello from b', 'a → host → b');
    assert.equal((await curl(netnsOf(netA), 'http://172.16.28.1:8080/')).stdout, 'hello from a', 'a → host → a');
    assert.equal((await curl(netB.netnsPath, 'http://172.16.28.1:8080/')).stdout, 'hello from a', 'b → gateway → a');
    // b's forward is bound to one host IP: 127.0.0.1:8081 is not forwarded.
    assert.notEqual((await curl(fx.hostFile, 'http://127.0.0.1:8081/', 2)).stdout, 'hello from b');
  });

  it('forwards UDP ports', async () => {
    const podU = ids('udp');
    const net = await createPodNetwork(fx.config, fx.host, podU, {
      mode: 'default',
      ports: [parsePortForward({ protocol: 'udp', hostPort: 5353, podPort: 53 })],
    });
    const server = `const s = require('dgram').createSocket('udp4');
      s.on('message', (m, r) => s.send('echo ' + m, r.port, r.address));
      s.bind(53, () => console.log('ready'));`;
    await fx.startUntil(netnsOf(net), [process.execPath, '-e', server], 'ready');
    const client = `const s = require('dgram').createSocket('udp4');
      s.on('message', (m) => { console.log(String(m)); process.exit(0); });
      setTimeout(() => process.exit(3), 3000);
      s.send('ping', 5353, process.argv[1]);`;
    const fromRemote = await execCommand(inNs(fx.remoteFile, [process.execPath, '-e', client, HOST_REMOTE_SIDE_IP]));
    assert.equal(fromRemote.stdout.trim(), 'echo ping', fromRemote.stderr);
    const fromHost = await execCommand(inNs(fx.hostFile, [process.execPath, '-e', client, '127.0.0.1']));
    assert.equal(fromHost.stdout.trim(), 'echo ping', fromHost.stderr);
    await destroyPodNetwork(fx.config, fx.host, podU);
  });

  const assertNothingOf = async (podId: PodId): Promise<void> => {
    assert.ok(!(await hostLinks()).includes(hostVethName(podId)), 'veth left');
    assert.ok(!(await chainNames(fx.hostFile)).some((c) => c.includes(podId)), 'nft chains left');
    assert.ok(!(await leaseIds()).includes(podId), 'lease left');
    assert.ok(!(await readdir(fx.config.netnsDir)).includes(podId), 'netns file left');
  };

  it('refuses a host port another pod forwards, naming that pod, and leaves nothing behind', async () => {
    const podX = ids('x');
    await assert.rejects(createPodNetwork(fx.config, fx.host, podX, { mode: 'default', ports: [tcp(9999, 99), tcp(8080, 80, '127.0.0.1')] }), {
      code: 'ERR_NET_PORT_CONFLICT',
      message: `host port tcp/127.0.0.1:8080 is already forwarded to pod "${podA}" (as tcp/8080)`,
    });
    await assertNothingOf(podX);
  });

  it('refuses a host port a host process listens on, and leaves nothing behind', async () => {
    await fx.serveHttp(fx.hostFile, 9090, 'host process');
    const podY = ids('y');
    await assert.rejects(createPodNetwork(fx.config, fx.host, podY, { mode: 'default', ports: [tcp(9090, 80)] }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_NET_PORT_IN_USE');
      assert.match(e.message, /^host port tcp\/9090 is already in use by a process on the host \(bound to (::|0\.0\.0\.0):9090\)$/);
      return true;
    });
    await assertNothingOf(podY);
    assert.equal((await curl(fx.hostFile, 'http://127.0.0.1:9090/')).stdout, 'host process', 'the host process still answers');
  });

  it('rejects port forwards outside default mode; none is loopback only; host makes nothing', async () => {
    const podN = ids('none');
    await assert.rejects(createPodNetwork(fx.config, fx.host, podN, { mode: 'none', ports: [tcp(1, 1)] }), { code: 'ERR_NET_PORTS_NEED_DEFAULT' });
    await assert.rejects(createPodNetwork(fx.config, fx.host, podN, { mode: 'host', ports: [tcp(1, 1)] }), {
      code: 'ERR_NET_PORTS_NEED_DEFAULT',
      message: 'port forwards need the default network, not --net=host',
    });
    const none = await createPodNetwork(fx.config, fx.host, podN, { mode: 'none' });
    const links = JSON.parse(await execChecked(inNs(netnsOf(none), ['ip', '-j', 'link', 'show']))) as { ifname: string; flags: string[] }[];
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
    assert.ok(links[0]?.flags.includes('UP'), 'lo is up');
    assert.equal((await execCommand(inNs(netnsOf(none), ['busybox', 'ping', '-c1', '-W1', '127.0.0.1']))).code, 0);
    assert.ok(!(await leaseIds()).includes(podN), 'none mode takes no lease');
    await destroyPodNetwork(fx.config, fx.host, podN);
    await assertNothingOf(podN);

    const before = await hostLinks();
    assert.deepEqual(await createPodNetwork(fx.config, fx.host, ids('host'), { mode: 'host' }), { mode: 'host', podId: ids('host') });
    assert.deepEqual(await hostLinks(), before);
    assert.ok(!(await readdir(fx.config.netnsDir)).includes(ids('host')));
  });

  it('is idempotent: re-creating keeps the address and rules, re-destroying finds nothing', async () => {
    const again = await createPodNetwork(fx.config, fx.host, podA, { mode: 'default', ports: [tcp(8080, 80)] });
    assert.ok(again.mode === 'default');
    assert.equal(again.ip, '172.16.28.2');
    assert.equal((await chainNames(fx.hostFile)).filter((c) => c.includes(podA)).length, 3);
    assert.equal((await mountsUnder(fx.config.netnsDir)).filter((m) => m.endsWith(podA)).length, 1, 'netns mounted once');
    const first = await destroyPodNetwork(fx.config, fx.host, podB);
    assert.deepEqual(first, { vethRemoved: true, netnsRemoved: true, releasedAddresses: ['172.16.28.3'] });
    const second = await destroyPodNetwork(fx.config, fx.host, podB);
    assert.deepEqual(second, { vethRemoved: false, netnsRemoved: false, releasedAddresses: [] });
    await assertNothingOf(podB);
    // a's forward still works after b's rules went away.
    assert.equal((await curl(fx.remoteFile, `http://${HOST_REMOTE_SIDE_IP}:8080/`)).stdout, 'hello from a');
  });

  it('completes a setup interrupted after the lease, and collects the leftovers of dead pods', async () => {
    const podC = ids('crashed');
    await ensureNetnsFile(path.join(fx.config.netnsDir, podC));
    const lease = await acquireLease(fx.config, podC);
    const resumed = await createPodNetwork(fx.config, fx.host, podC, { mode: 'default' });
    assert.ok(resumed.mode === 'default');
    assert.equal(resumed.ip, lease.ip, 'the interrupted pod keeps its address');
    assert.equal((await execCommand(inNs(resumed.netnsPath, ['busybox', 'ping', '-c1', '-W2', '172.16.28.1']))).code, 0);

    const podOrphan = ids('orphan-netns');
    await ensureNetnsFile(path.join(fx.config.netnsDir, podOrphan));
    const collected = await collectPodNetworks(fx.config, fx.host, (id) => id === podA);
    assert.deepEqual(collected.sort(), [podC, podOrphan].sort());
    await assertNothingOf(podC);
    await assertNothingOf(podOrphan);
    assert.deepEqual(await leaseIds(), [podA]);
  });

  it('a pod without host ports has no nft chain of its own; the bridge chain masquerades it', async () => {
    const podP = ids('portless');
    const net = await createPodNetwork(fx.config, fx.host, podP, { mode: 'default' });
    assert.ok(net.mode === 'default');
    assert.ok(!(await chainNames(fx.hostFile)).some((c) => c.includes(podP)), 'a chain of its own');
    // The remote host has no route to the pod subnet: an answer proves the masquerade.
    assert.equal((await execCommand(inNs(net.netnsPath, ['busybox', 'ping', '-c1', '-W2', '10.99.0.2']))).code, 0, 'ping remote');
    await destroyPodNetwork(fx.config, fx.host, podP);
    await assertNothingOf(podP);
  });

  it('rebuilds the bridge, its address and its chain when they were deleted after this process made them', async () => {
    await execChecked(inNs(fx.hostFile, ['ip', 'link', 'del', 'rocklet0']));
    await execChecked(inNs(fx.hostFile, ['nft', 'delete', 'chain', 'ip', 'rocklet', BRIDGE_CHAIN]));
    const podR = ids('rebuilt');
    const net = await createPodNetwork(fx.config, fx.host, podR, { mode: 'default' });
    assert.ok(net.mode === 'default');
    assert.ok((await hostLinks()).includes('rocklet0'));
    assert.ok((await chainNames(fx.hostFile)).includes(BRIDGE_CHAIN));
    assert.equal((await execCommand(inNs(net.netnsPath, ['busybox', 'ping', '-c1', '-W2', '10.99.0.2']))).code, 0, 'ping remote');
    await destroyPodNetwork(fx.config, fx.host, podR);
    await assertNothingOf(podR);
    // podA's veth went with the old bridge: wire it again for the tests after this one.
    await createPodNetwork(fx.config, fx.host, podA, { mode: 'default', ports: [tcp(8080, 80)] });
  });

  it('teardown of the last pod leaves no veth, pod nft chain, lease or netns file', async () => {
    await destroyPodNetwork(fx.config, fx.host, podA);
    assert.deepEqual(await hostLinks(), ['lo', 'rlremote', 'rocklet0']);
    assert.deepEqual(await chainNames(fx.hostFile), [BRIDGE_CHAIN]);
    assert.deepEqual(await leaseIds(), []);
    assert.deepEqual(await readdir(fx.config.netnsDir), []);
    assert.deepEqual(await mountsUnder(fx.config.netnsDir), []);
    assert.notEqual((await curl(fx.remoteFile, `http://${HOST_REMOTE_SIDE_IP}:8080/`, 2)).stdout, 'hello from a');
  });
});

describe('pod network errors on the host side', () => {
  let fx: NetFixture;
  before(async () => {
    fx = await NetFixture.create('bridge');
  });
  after(async () => {
    await fx.dispose();
  });

  it('refuses a bridge name taken by another kind of link, and rolls back', async () => {
    await execChecked(inNs(fx.hostFile, ['ip', 'link', 'add', 'rlnotbr', 'type', 'veth', 'peer', 'name', 'rlnotbr-p']));
    const config = parseNetworkConfig({ bridgeName: 'rlnotbr', leaseDir: fx.config.leaseDir, netnsDir: fx.config.netnsDir });
    const podId = parsePodId(`rltest-${process.pid}-br`);
    await assert.rejects(createPodNetwork(config, fx.host, podId, { mode: 'default' }), {
      code: 'ERR_NET_BRIDGE_CONFLICT',
      message: 'link rlnotbr exists on the host but is a veth, not a bridge',
    });
    assert.deepEqual(await listLeases(config.leaseDir), []);
    assert.deepEqual(await readdir(config.netnsDir), []);
  });
});
