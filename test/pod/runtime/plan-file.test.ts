import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PodPlan } from '../../../src/pod/index.js';
import { POD_PLAN_FILE, appcPodManifest, planFromImages, readPodPlan, writePodPlan } from '../../../src/pod/index.js';
import { parsePodFile } from '../../../src/podfile/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';
import { app, image, request } from './plan-fixtures.js';

const SERVER = image('example.com/server', {
  exec: ['/bin/httpd', '-f'], user: 'www', group: '33', environment: [{ name: 'A', value: '1' }],
  ports: [{ name: 'http', protocol: 'tcp', port: 80 }], mountPoints: [{ name: 'www', path: '/var/www', readOnly: true }],
  isolators: [{ name: 'os/linux/seccomp-remove-set', value: { set: ['@rkt/default-blacklist'], errno: 'EPERM' } }],
});

describe('plan.json and the appc pod manifest', () => {
  let tmp: TempDir;
  let counter = 0;
  let plan: PodPlan;
  before(async () => {
    tmp = await makeTempDir('plan-file');
    plan = await planFromImages(request([app('srv', { memoryBytes: 64e6, cpuMillicores: 500, oomScoreAdj: 10, args: ['-v'] })], {
      ports: [{ name: 'http', hostPort: 8080, hostIp: '127.0.0.1' }],
    }, [{ name: 'scratch', kind: 'empty', mode: 0o700, uid: 1, gid: 2, readOnly: false }]), [SERVER]);
  });
  after(() => tmp.remove());

  async function podDir(): Promise<string> {
    const dir = path.join(tmp.path, `pod${++counter}`);
    await mkdir(dir);
    return dir;
  }

  async function corrupt(text: string, code: string, message: RegExp): Promise<void> {
    const dir = await podDir();
    await writeFile(path.join(dir, POD_PLAN_FILE), text);
    await assert.rejects(readPodPlan(dir), (error: unknown) => hasErrorCode(error, code) && message.test(error.message));
  }

  it('writes plan.json with mode 0600 and reads the same plan back', async () => {
    const dir = await podDir();
    await writePodPlan(dir, plan);
    assert.equal((await stat(path.join(dir, POD_PLAN_FILE))).mode & 0o777, 0o600);
    assert.deepEqual(await readPodPlan(dir), JSON.parse(JSON.stringify(plan)));
  });

  it('refuses a missing plan, another version and files that are not plans', async () => {
    const dir = await podDir();
    await assert.rejects(readPodPlan(dir), (error: unknown) => hasErrorCode(error, 'ERR_POD_PLAN_MISSING') && /has no plan\.json/.test(error.message));
    await corrupt(JSON.stringify({ ...plan, version: 2 }), 'ERR_POD_PLAN_VERSION', /has version 2; this rocklet runs version 1/);
    await corrupt('{"version": 1', 'ERR_POD_FILE_CORRUPT', /not valid JSON/);
    await corrupt(JSON.stringify({ ...plan, apps: [] }), 'ERR_POD_FILE_CORRUPT', /"apps" must be a non-empty array/);
    await corrupt(JSON.stringify({ ...plan, apps: [{ ...plan.apps[0], args: 'x' }] }), 'ERR_POD_FILE_CORRUPT', /apps\[0\]\.args must be an array/);
    await corrupt(JSON.stringify({ ...plan, net: 'bridge' }), 'ERR_POD_FILE_CORRUPT', /"net" must be host, none or default/);
  });

  it('reads sysctls back, reads a plan.json of an older rocklet (no sysctls field) as none, and refuses unsafe ones', async () => {
    const withSysctls: PodPlan = { ...plan, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shm_rmid_forced': '1' } };
    const dir = await podDir();
    await writePodPlan(dir, withSysctls);
    assert.deepEqual((await readPodPlan(dir)).sysctls, { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shm_rmid_forced': '1' });
    // What a rocklet without sysctls wrote: the same plan, no such key.
    const older = JSON.parse(JSON.stringify(withSysctls)) as Record<string, unknown>;
    delete older.sysctls;
    const old = await podDir();
    await writeFile(path.join(old, POD_PLAN_FILE), JSON.stringify(older));
    const read = await readPodPlan(old);
    assert.equal(read.sysctls, undefined);
    assert.equal(read.apps.length, 1);
    await corrupt(JSON.stringify({ ...plan, sysctls: ['net.core.somaxconn=1'] }), 'ERR_POD_FILE_CORRUPT', /"sysctls" must be an object/);
    await corrupt(JSON.stringify({ ...plan, sysctls: { 'net.core.somaxconn': 512 } }), 'ERR_POD_FILE_CORRUPT', /sysctls\["net\.core\.somaxconn"\] must be a string/);
    await corrupt(JSON.stringify({ ...plan, sysctls: { 'vm.swappiness': '1' } }), 'ERR_POD_FILE_CORRUPT', /sysctl "vm\.swappiness" is not namespaced/);
    await corrupt(JSON.stringify({ ...plan, stage1: 'fly', net: 'host', sysctls: { 'kernel.shm_rmid_forced': '1' } }), 'ERR_POD_FILE_CORRUPT', /sysctl "kernel\.shm_rmid_forced" cannot be set with stage1 fly/);
    await corrupt(JSON.stringify({ ...plan, net: 'host', sysctls: { 'net.core.somaxconn': '512' } }), 'ERR_POD_FILE_CORRUPT', /sysctl "net\.core\.somaxconn" would change the host's network settings/);
  });

  it('reads prefillFrom back, reads volumes of an older rocklet (no prefillFrom) as empty ones, and refuses a bad one', async () => {
    const docker = image('docker.io/library/server', { exec: ['/bin/httpd'], mountPoints: [{ name: 'www', path: '/var/www' }] }, '1', [
      { name: 'appc.io/docker/imageid', value: 'sha256:00' },
    ]);
    const prefilled = await planFromImages(request([app('srv')]), [docker]);
    assert.deepEqual(prefilled.volumes, [{ name: 'server-www', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0, prefillFrom: { app: 'server', path: '/var/www' } }]);
    const dir = await podDir();
    await writePodPlan(dir, prefilled);
    assert.deepEqual((await readPodPlan(dir)).volumes, prefilled.volumes);
    // What a rocklet without prefilling wrote: the same volume, no such key.
    const older = JSON.parse(JSON.stringify(prefilled)) as { volumes: Record<string, unknown>[] };
    for (const volume of older.volumes) delete volume.prefillFrom;
    const old = await podDir();
    await writeFile(path.join(old, POD_PLAN_FILE), JSON.stringify(older));
    assert.deepEqual((await readPodPlan(old)).volumes, [{ name: 'server-www', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 }]);
    const [volume] = prefilled.volumes;
    const bad = (change: Record<string, unknown>): string => JSON.stringify({ ...prefilled, volumes: [{ ...volume, ...change }] });
    await corrupt(bad({ prefillFrom: { app: 'server', path: 'var/www' } }), 'ERR_POD_FILE_CORRUPT', /volumes\[0\]\.prefillFrom must name an app and an absolute path/);
    await corrupt(bad({ prefillFrom: { app: 'nosuch', path: '/var/www' } }), 'ERR_POD_FILE_CORRUPT', /volumes\[0\]\.prefillFrom names app "nosuch", which the pod does not have/);
    await corrupt(bad({ medium: 'Memory' }), 'ERR_POD_FILE_CORRUPT', /volumes\[0\]\.prefillFrom is only for Disk empty volumes/);
  });

  it('puts the sysctls into the manifest as the pod isolator os/unix/sysctl, which --pod-manifest reads back', () => {
    assert.deepEqual((JSON.parse(appcPodManifest(plan)) as { isolators: unknown }).isolators, []);
    const sysctls = { 'kernel.shm_rmid_forced': '1', 'net.core.somaxconn': '512' };
    const manifest = appcPodManifest({ ...plan, sysctls });
    assert.deepEqual((JSON.parse(manifest) as { isolators: unknown }).isolators, [{ name: 'os/unix/sysctl', value: sysctls }]);
    const parsed = parsePodFile(Buffer.from(manifest), 'again.json');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(parsed.spec.sysctls, [{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'net.core.somaxconn', value: '512' }]);
  });

  it('derives an appc PodManifest with merged app sections, volumes, ports and isolators', () => {
    const manifest = JSON.parse(appcPodManifest(plan, '11111111-2222-4333-8444-555555555555')) as Record<string, unknown>;
    assert.equal(manifest.acKind, 'PodManifest');
    assert.equal(manifest.acVersion, '0.8.11');
    const [entry] = manifest.apps as Record<string, Record<string, unknown>>[];
    assert.deepEqual(entry?.image, { name: 'example.com/server', id: SERVER.record.id, labels: [{ name: 'version', value: '1.0.0' }] });
    assert.deepEqual(entry?.app?.exec, ['/bin/httpd', '-f', '-v']);
    assert.deepEqual([entry?.app?.user, entry?.app?.group], ['www', '33']);
    assert.deepEqual(entry?.app?.environment, [{ name: 'A', value: '1' }, { name: 'AC_APP_NAME', value: 'server' }]);
    assert.deepEqual(entry?.app?.ports, [{ name: 'http', protocol: 'tcp', port: 80, count: 1, socketActivated: false }]);
    assert.deepEqual(entry?.app?.mountPoints, [{ name: 'server-www', path: '/var/www', readOnly: true }]);
    assert.deepEqual(entry?.mounts, [{ volume: 'server-www', path: '/var/www' }]);
    const isolators = entry?.app?.isolators as { name: string; value: unknown }[];
    assert.deepEqual(isolators.map((i) => i.name), [
      'resource/memory', 'resource/cpu', 'os/linux/capabilities-retain-set', 'os/linux/oom-score-adj', 'os/linux/seccomp-remove-set',
    ]);
    assert.deepEqual(manifest.ports, [{ name: 'http', hostPort: 8080, hostIP: '127.0.0.1' }]);
    assert.deepEqual(manifest.volumes, [
      { name: 'scratch', kind: 'empty', readOnly: false, mode: '0700', uid: 1, gid: 2 },
      { name: 'server-www', kind: 'empty', readOnly: false, mode: '0755', uid: 0, gid: 0 },
    ]);
    assert.ok((manifest.annotations as { name: string; value: string }[]).some((a) => a.name === 'rocklet-uuid' && a.value === '11111111-2222-4333-8444-555555555555'));
  });

  it('is a manifest the pod-file parser accepts, describing the same apps (cat-manifest > pod.json; --pod-manifest=pod.json)', async () => {
    const dir = await podDir();
    const file = path.join(dir, 'again.json');
    await writeFile(file, appcPodManifest(plan));
    const parsed = parsePodFile(await readFile(file), file);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map((e) => e.message).join('\n'));
    const [container] = parsed.spec.containers;
    assert.deepEqual(container?.command, ['/bin/httpd', '-f', '-v']);
    assert.deepEqual(container?.image, { kind: 'appc', id: SERVER.record.id, name: 'example.com/server', labels: { version: '1.0.0' } });
    assert.deepEqual(container?.resources.memory?.limitBytes, 64e6);
    assert.deepEqual(container?.ports.map((p) => [p.name, p.containerPort, p.hostPort, p.hostIP]), [['http', 80, 8080, '127.0.0.1']]);
  });
});
