import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImagePlanOptions, PodPlan, ResolvedImage, RunRequest, RuntimeEvent } from '../../../src/pod/index.js';
import { DEFAULT_STOP_TIMEOUT_SECONDS, defaultAppName, planFromImages } from '../../../src/pod/index.js';
import { DEFAULT_CAPABILITIES } from '../../../src/podfile/index.js';
import { hasErrorCode, parseInsecureOptions } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';
import { app, image, request } from './plan-fixtures.js';

const BUSY = image('example.com/tools/busy-box', {
  exec: ['/bin/sh', '-c', 'echo hi'], user: 'web', group: '100', workingDirectory: '/srv',
  environment: [{ name: 'FROM_IMAGE', value: 'img' }, { name: 'SHARED', value: 'img' }],
  mountPoints: [{ name: 'data', path: '/var/data' }, { name: 'cache', path: '/var/cache', readOnly: true }],
  ports: [{ name: 'http', protocol: 'tcp', port: 80 }, { name: 'dns', protocol: 'udp', port: 53 }],
  isolators: [
    { name: 'resource/memory', value: { limit: '256Mi' } },
    { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_NET_RAW'] } },
    { name: 'os/linux/no-new-privileges', value: true },
  ],
});
const BARE = image('example.com/bare', undefined);

async function plan(req: RunRequest, images: readonly ResolvedImage[], options: ImagePlanOptions = {}): Promise<PodPlan> {
  return planFromImages(req, images, options);
}

async function refused(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => hasErrorCode(error, code) && message.test(error.message));
}

describe('planFromImages', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('plan-images');
  });
  after(() => tmp.remove());

  it('names apps after the image (last path component, as an AC Name) and refuses duplicates', async () => {
    assert.equal(defaultAppName('coreos.com/etcd'), 'etcd');
    assert.equal(defaultAppName('example.com/My_App.v2'), 'my-app-v2');
    const planned = await plan(request([app('a'), app('b', { name: 'second' })]), [BUSY, BUSY]);
    assert.deepEqual(planned.apps.map((a) => a.name), ['busy-box', 'second']);
    await refused(plan(request([app('a'), app('b')]), [BUSY, BUSY]), 'ERR_DUPLICATE_APP_NAME', /^duplicate app name "busy-box"/);
    await refused(plan(request([app('a', { name: 'Web' })]), [BUSY]), 'ERR_APP_NAME_INVALID', /app name "Web" is not an AC name/);
  });

  it('takes the image exec; --exec replaces it, -- args are appended (rkt); a bare image needs --exec', async () => {
    const [plain, args, exec, both] = (await plan(request([
      app('a', { name: 'a' }), app('b', { name: 'b', args: ['x'] }), app('c', { name: 'c', exec: '/bin/true' }), app('d', { name: 'd', exec: '/bin/echo', args: ['y'] }),
    ]), [BUSY, BUSY, BUSY, BUSY])).apps;
    assert.deepEqual([plain?.args, args?.args, exec?.args, both?.args], [['/bin/sh', '-c', 'echo hi'], ['/bin/sh', '-c', 'echo hi', 'x'], ['/bin/true'], ['/bin/echo', 'y']]);
    await refused(plan(request([app('bare')]), [BARE]), 'ERR_APP_NO_EXEC', /image "example.com\/bare" \(app "bare"\) has no app section and --exec argument is not provided/);
    const bare = (await plan(request([app('bare', { exec: '/bin/sh' })]), [BARE])).apps[0];
    assert.deepEqual([bare?.args, bare?.user, bare?.group, bare?.workingDir], [['/bin/sh'], undefined, undefined, '/']);
  });

  it('uses the image user, group and working dir unless the flags override them', async () => {
    const [image1, flags] = (await plan(request([app('a', { name: 'a' }), app('b', { name: 'b', user: '/etc/passwd', group: 'wheel', workingDir: '/tmp' })]), [BUSY, BUSY])).apps;
    assert.deepEqual([image1?.user, image1?.group, image1?.workingDir], [{ kind: 'name', name: 'web' }, { kind: 'id', id: 100 }, '/srv']);
    assert.deepEqual([flags?.user, flags?.group, flags?.workingDir], [{ kind: 'path', path: '/etc/passwd' }, { kind: 'name', name: 'wheel' }, '/tmp']);
  });

  it('merges the environment in rkt\'s precedence; inherited only with --inherit-env', async () => {
    const req = (inheritEnv: boolean): RunRequest => request([app('a', { environment: [{ name: 'SHARED', value: 'app' }] })], {
      inheritEnv, setEnvFile: [{ name: 'SHARED', value: 'file' }, { name: 'FILE', value: 'f' }], setEnv: [{ name: 'FILE', value: 'set' }],
    });
    const inheritedEnv = [{ name: 'HOME', value: '/root' }, { name: 'FROM_IMAGE', value: 'parent' }];
    const off = (await plan(req(false), [BUSY], { inheritedEnv })).apps[0]?.env;
    assert.deepEqual(off, [
      { name: 'FROM_IMAGE', value: 'img' }, { name: 'SHARED', value: 'app' }, { name: 'FILE', value: 'set' }, { name: 'AC_APP_NAME', value: 'busy-box' },
    ]);
    const on = (await plan(req(true), [BUSY], { inheritedEnv })).apps[0]?.env;
    assert.deepEqual(on?.slice(0, 2), [{ name: 'HOME', value: '/root' }, { name: 'FROM_IMAGE', value: 'img' }]);
  });

  it('computes capabilities: default 14, image isolators, flags replacing them, --insecure-options=capabilities', async () => {
    const defaults = [...DEFAULT_CAPABILITIES].sort();
    const [none, imageSet, retain, remove] = (await plan(request([
      app('a', { name: 'a' }), app('b', { name: 'b' }), app('c', { name: 'c', capsRetain: ['CAP_NET_ADMIN'] }), app('d', { name: 'd', capsRemove: ['CAP_KILL'] }),
    ]), [image('x.com/plain', { exec: ['/bin/sh'] }), BUSY, BUSY, BUSY])).apps;
    assert.deepEqual(none?.capabilities, defaults);
    assert.deepEqual(imageSet?.capabilities, defaults.filter((cap) => cap !== 'CAP_NET_RAW'));
    assert.deepEqual(retain?.capabilities, ['CAP_NET_ADMIN']);
    assert.deepEqual(remove?.capabilities, defaults.filter((cap) => cap !== 'CAP_KILL'));
    const all = (await plan(request([app('a')]), [BUSY], { insecure: parseInsecureOptions('capabilities,seccomp') })).apps[0];
    assert.ok(all?.capabilities.includes('CAP_SYS_ADMIN' as never));
    assert.deepEqual(all?.seccomp, { kind: 'Unconfined' });
    assert.equal(imageSet?.noNewPrivileges, true);
  });

  it('takes resources and oom-score-adj from the flags, else from the image isolators', async () => {
    const [fromImage, fromFlags] = (await plan(request([app('a', { name: 'a' }), app('b', { name: 'b', memoryBytes: 1000, cpuMillicores: 250, oomScoreAdj: 5 })]), [BUSY, BUSY])).apps;
    assert.deepEqual(fromImage?.resources, { memoryBytes: 256 * 2 ** 20 });
    assert.deepEqual([fromFlags?.resources, fromFlags?.oomScoreAdj], [{ memoryBytes: 1000, cpuMillicores: 250 }, 5]);
    assert.deepEqual([fromImage?.restart, fromImage?.stopTimeoutSeconds, fromImage?.init], ['Never', DEFAULT_STOP_TIMEOUT_SECONDS, false]);
  });

  it('mounts volumes by path or mount-point name and gives unmounted mount points implicit empty volumes', async () => {
    const host = path.join(tmp.path, 'host-data');
    await mkdir(host);
    const events: RuntimeEvent[] = [];
    const planned = await plan(
      request([app('a', { mounts: [{ volume: 'data', target: 'data' }, { volume: 'extra', target: '/opt/extra' }] })], {}, [
        { name: 'data', kind: 'host', source: host, readOnly: true, recursive: true },
        { name: 'extra', kind: 'empty', mode: 0o700, uid: 1, gid: 2, readOnly: false },
        { name: 'unused', kind: 'empty', mode: 0o755, uid: 0, gid: 0, readOnly: false },
      ]),
      [BUSY],
      { onEvent: (event) => events.push(event) },
    );
    assert.deepEqual(planned.apps[0]?.mounts, [
      { volume: 'data', mountPath: '/var/data', readOnly: true },
      { volume: 'extra', mountPath: '/opt/extra', readOnly: false },
      { volume: 'busy-box-cache', mountPath: '/var/cache', readOnly: true },
    ]);
    assert.deepEqual(planned.volumes.map((v) => v.name), ['data', 'extra', 'unused', 'busy-box-cache']);
    assert.deepEqual(planned.volumes[3], { name: 'busy-box-cache', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 });
    assert.equal(events.length, 1);
    assert.match(events[0]?.message ?? '', /no volume specified for mount point "cache" of app "busy-box", implicitly creating an "empty" volume/);
    const byName = await plan(request([app('a')], {}, [{ name: 'cache', kind: 'empty', mode: 0o755, uid: 0, gid: 0, readOnly: false }]), [BUSY]);
    assert.deepEqual(byName.apps[0]?.mounts.find((m) => m.mountPath === '/var/cache')?.volume, 'cache');
    await refused(
      plan(request([app('a', { mounts: [{ volume: 'cache', target: 'logs' }] })], {}, [{ name: 'cache', kind: 'empty', mode: 0o755, uid: 0, gid: 0, readOnly: false }]), [BUSY]),
      'ERR_MOUNT_TARGET_UNKNOWN', /--mount target "logs" of app "busy-box" is not a mount point of image example.com\/tools\/busy-box/,
    );
  });

  it('plans the implicit volumes of a Docker-style image prefilled from it; explicit volumes and ACI images stay empty', async () => {
    const docker = image('docker.io/library/busy-box', {
      exec: ['/bin/sh'], mountPoints: [{ name: 'data', path: '/var/data' }, { name: 'cache', path: '/var/cache' }],
    }, 'latest', [{ name: 'appc.io/docker/imageid', value: 'sha256:0123' }, { name: 'appc.io/docker/repository', value: 'library/busy-box' }]);
    const events: RuntimeEvent[] = [];
    const planned = await plan(
      request([app('d', { mounts: [{ volume: 'mine', target: 'data' }] }), app('a', { name: 'aci' })], {}, [
        { name: 'mine', kind: 'empty', mode: 0o700, uid: 0, gid: 0, readOnly: false },
      ]),
      [docker, BUSY],
      { onEvent: (event) => events.push(event) },
    );
    assert.deepEqual(planned.volumes, [
      { name: 'mine', kind: 'empty', medium: 'Disk', mode: 0o700, uid: 0, gid: 0 },
      { name: 'busy-box-cache', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0, prefillFrom: { app: 'busy-box', path: '/var/cache' } },
      { name: 'aci-data', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 },
      { name: 'aci-cache', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 },
    ]);
    assert.match(events[0]?.message ?? '', /^warning: no volume specified for mount point "cache" of app "busy-box", implicitly creating an "empty" volume filled with the image's \/var\/cache \(Docker image\)\. /);
    assert.doesNotMatch(events[1]?.message ?? '', /filled/);
    // An annotation outside appc.io/docker/ does not make an image Docker-style.
    const other = image('example.com/other', { exec: ['/bin/sh'], mountPoints: [{ name: 'data', path: '/var/data' }] }, '1', [{ name: 'appc.io/dockerish', value: 'x' }]);
    const plain = await plan(request([app('o')]), [other]);
    assert.deepEqual(plain.volumes, [{ name: 'other-data', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 }]);
  });

  it('refuses a host volume whose source does not exist', async () => {
    const missing = path.join(tmp.path, 'no-such-dir');
    await refused(
      plan(request([app('a')], {}, [{ name: 'data', kind: 'host', source: missing, readOnly: false, recursive: true }]), [BUSY]),
      'ERR_VOLUME_SOURCE_MISSING', new RegExp(`^volume "data": host path "${missing}" does not exist$`),
    );
  });

  it('forwards --port to the app port of that name and refuses names no image declares', async () => {
    const planned = await plan(request([app('a')], { ports: [{ name: 'http', hostPort: 8080, hostIp: '127.0.0.1' }] }), [BUSY]);
    assert.deepEqual(planned.apps[0]?.ports, [
      { name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 8080, hostIp: '127.0.0.1' },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
    ]);
    await refused(plan(request([app('a')], { ports: [{ name: 'https', hostPort: 8443 }] }), [BUSY]), 'ERR_PORT_UNKNOWN', /^port name "https" is not declared by the image of any app$/);
    await refused(
      plan(request([app('a')], { ports: [{ name: 'http', hostPort: 8080 }, { name: 'dns', hostPort: 8080 }] }), [BUSY]),
      'ERR_PORT_DUPLICATE', /both use host port 8080/,
    );
  });

  it('carries the pod options into the plan', async () => {
    const planned = await plan(request([app('a')], { net: 'none', hostname: 'box', stage1: 'fly', dns: { host: true, servers: [], searches: [], options: [] } }), [BUSY]);
    assert.deepEqual(
      [planned.version, planned.net, planned.hostname, planned.stage1, planned.dns.host, planned.podName, planned.apps[0]?.image.version, planned.apps[0]?.image.trees],
      [1, 'none', 'box', 'fly', true, undefined, '1.0.0', [BUSY.record.id]],
    );
  });
});
