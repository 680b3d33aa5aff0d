import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IpamConfig, PodId } from '../../src/net/index.js';
import {
  acquireLease,
  findLease,
  listLeases,
  parsePodId,
  parsePortForward,
  parseSubnet,
  reclaimLeases,
  releaseLease,
} from '../../src/net/index.js';
import { execCommand } from '../harness/exec.js';

const netIndexUrl = new URL('../../src/net/index.js', import.meta.url).href;

describe('IPAM leases', () => {
  let root = '';
  let serial = 0;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), `rltest-net-${process.pid}-ipam-`));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const freshConfig = (subnet = '172.16.28.0/24'): IpamConfig => {
    serial += 1;
    return { leaseDir: path.join(root, `leases-${serial}`), subnet: parseSubnet(subnet) };
  };
  const pod = (name: string): PodId => parsePodId(name);
  const leaseFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();

  it('leases the first pod address, one JSON file per lease, and is idempotent per pod', async () => {
    const config = freshConfig();
    const a = await acquireLease(config, pod('pod-a'));
    assert.equal(a.ip, '172.16.28.2');
    const again = await acquireLease(config, pod('pod-a'));
    assert.equal(again.ip, '172.16.28.2');
    const b = await acquireLease(config, pod('pod-b'));
    assert.equal(b.ip, '172.16.28.3');
    assert.deepEqual(await leaseFiles(config.leaseDir), ['172.16.28.2', '172.16.28.3']);
    const stored = JSON.parse(await readFile(path.join(config.leaseDir, '172.16.28.2'), 'utf8')) as unknown;
    assert.deepEqual(stored, { podId: 'pod-a', ip: '172.16.28.2', ports: [] });
    assert.equal((await findLease(config.leaseDir, pod('pod-b')))?.ip, '172.16.28.3');
  });

  it('releases by pod id, idempotently, and hands addresses out round-robin', async () => {
    const config = freshConfig();
    await acquireLease(config, pod('a'));
    await acquireLease(config, pod('b'));
    assert.deepEqual(await releaseLease(config.leaseDir, pod('a')), ['172.16.28.2']);
    assert.deepEqual(await releaseLease(config.leaseDir, pod('a')), []);
    // .2 is free again, but the next lease continues after the last one handed out.
    assert.equal((await acquireLease(config, pod('c'))).ip, '172.16.28.4');
    assert.deepEqual(await leaseFiles(config.leaseDir), ['172.16.28.3', '172.16.28.4']);
  });

  it('fails with ERR_NET_EXHAUSTED when the subnet is full, and recovers after a release', async () => {
    const config = freshConfig('10.20.30.0/29'); // .2 … .6: five pod addresses
    const ips = [];
    for (let i = 0; i < 5; i++) ips.push((await acquireLease(config, pod(`p${i}`))).ip);
    assert.deepEqual(ips, ['10.20.30.2', '10.20.30.3', '10.20.30.4', '10.20.30.5', '10.20.30.6']);
    await assert.rejects(acquireLease(config, pod('p5')), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'ERR_NET_EXHAUSTED');
      assert.equal(e.message, 'no free address left in subnet 10.20.30.0/29 (5 pod addresses, all leased)');
      assert.match(e.hint ?? '', /rocklet gc/);
      return true;
    });
    assert.equal((await leaseFiles(config.leaseDir)).length, 5);
    await releaseLease(config.leaseDir, pod('p3'));
    assert.equal((await acquireLease(config, pod('p5'))).ip, '10.20.30.5');
  });

  it('reclaims the leases of pods that no longer exist', async () => {
    const config = freshConfig();
    for (const id of ['alive-1', 'dead-1', 'alive-2', 'dead-2']) await acquireLease(config, pod(id));
    const reclaimed = await reclaimLeases(config.leaseDir, (id) => Promise.resolve(id.startsWith('alive')));
    assert.deepEqual(reclaimed.map((l) => l.podId).sort(), ['dead-1', 'dead-2']);
    assert.deepEqual((await listLeases(config.leaseDir)).map((l) => l.podId).sort(), ['alive-1', 'alive-2']);
  });

  it('records ports and refuses a host port another pod forwards, naming that pod', async () => {
    const config = freshConfig();
    const web = [parsePortForward({ hostPort: 8080, podPort: 80 })];
    const a = await acquireLease(config, pod('web-a'), { ports: web });
    assert.deepEqual(a.ports, web);
    await assert.rejects(acquireLease(config, pod('web-b'), { ports: [parsePortForward({ hostIP: '127.0.0.1', hostPort: 8080, podPort: 81 })] }), {
      code: 'ERR_NET_PORT_CONFLICT',
      message: 'host port tcp/127.0.0.1:8080 is already forwarded to pod "web-a" (as tcp/8080)',
    });
    assert.equal(await findLease(config.leaseDir, pod('web-b')), undefined, 'a refused pod holds no lease');
    // The same pod may re-run with its own ports; udp on the same number is another port.
    await acquireLease(config, pod('web-a'), { ports: web });
    await acquireLease(config, pod('dns'), { ports: [parsePortForward({ protocol: 'udp', hostPort: 8080, podPort: 53 })] });
    await assert.rejects(acquireLease(config, pod('dup'), { ports: [...web.map((p) => ({ ...p, hostPort: 9000 })), parsePortForward({ hostPort: 9000, podPort: 1 })] }), {
      code: 'ERR_NET_DUPLICATE_PORT',
    });
  });

  it('runs the extra port check under the lock and writes nothing when it throws', async () => {
    const config = freshConfig();
    const ports = [parsePortForward({ hostPort: 7000, podPort: 70 })];
    await assert.rejects(
      acquireLease(config, pod('checked'), { ports, checkPorts: () => Promise.reject(new Error('port busy')) }),
      { message: 'port busy' },
    );
    assert.deepEqual(await leaseFiles(config.leaseDir), []);
  });

  it('reports a corrupt lease file by path and removes stale temp files', async () => {
    const config = freshConfig();
    await acquireLease(config, pod('ok'));
    await writeFile(path.join(config.leaseDir, '.172.16.28.9.tmp-abcdef'), 'half');
    await acquireLease(config, pod('ok2'));
    assert.ok(!(await readdir(config.leaseDir)).some((n) => n.includes('.tmp-')), 'temp file left behind');
    const bad = path.join(config.leaseDir, '172.16.28.200');
    await writeFile(bad, '{"podId": 7}');
    await assert.rejects(listLeases(config.leaseDir), { code: 'ERR_NET_LEASE_CORRUPT', message: `lease file ${bad} does not hold {podId, ip, ports} for its own address` });
  });

  it('gives distinct addresses to pods leased concurrently by several processes', async () => {
    const config = freshConfig();
    const workers = 6;
    const perWorker = 8;
    const script = `
      import { acquireLease, parsePodId, parseSubnet } from ${JSON.stringify(netIndexUrl)};
      const [dir, worker, count] = process.argv.slice(1);
      const config = { leaseDir: dir, subnet: parseSubnet('172.16.28.0/24') };
      const ips = [];
      for (let i = 0; i < Number(count); i++) ips.push((await acquireLease(config, parsePodId('w' + worker + '-' + i))).ip);
      console.log(JSON.stringify(ips));
    `;
    const results = await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        execCommand([process.execPath, '--input-type=module', '-e', script, config.leaseDir, String(w), String(perWorker)]),
      ),
    );
    const ips: string[] = [];
    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      ips.push(...(JSON.parse(result.stdout) as string[]));
    }
    assert.equal(ips.length, workers * perWorker);
    assert.equal(new Set(ips).size, ips.length, 'an address was leased twice');
    assert.equal((await leaseFiles(config.leaseDir)).length, workers * perWorker);
  });

  it('leaks nothing over 1,000 lease + release cycles', async () => {
    const config = freshConfig('10.9.0.0/28');
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = pod(`cycle-${i}`);
      const lease = await acquireLease(config, id);
      seen.add(lease.ip);
      assert.deepEqual(await releaseLease(config.leaseDir, id), [lease.ip]);
    }
    assert.deepEqual(await leaseFiles(config.leaseDir), [], 'leases left after 1,000 cycles');
    assert.deepEqual(await readdir(config.leaseDir).then((n) => n.sort()), ['.last-reserved', '.lock']);
    assert.equal(seen.size, 13, 'round-robin should have used every address of the /28');
  });
});
