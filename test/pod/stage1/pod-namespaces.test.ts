/**
 * e2e inside a test systemd: two apps joining one pod's network namespace by path share
 * localhost; a joined UTS namespace gives its hostname; the crun verbs one by one; volumes
 * (missing host path, Memory emptyDir, a symlinked mount target that escapes); and nothing
 * (mount, crun container) is left behind.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AbsolutePath, VolumeName, VolumeSpec } from '../../../src/podfile/index.js';
import type { Stage1Namespaces } from '../../../src/pod/index.js';
import { CrunRuntime, isMountPoint, podNamespaces, prepareVolume, releaseVolume, unmount, volumeDir } from '../../../src/pod/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { Stage1Fixture } from './fixture.js';

const volume = (name: string, source: VolumeSpec['source']): VolumeSpec => ({ name: name as VolumeName, source });

describe('pod namespaces, crun verbs and volumes inside a test systemd', () => {
  let fx: Stage1Fixture;
  let nsFiles: { network: string; uts: string; ipc: string };
  before(async () => {
    fx = await Stage1Fixture.create('stage1-podns');
    // The pod's namespaces, bound to files as `pod up` does, inside the test systemd.
    const dir = path.join(fx.tmp.path, 'ns');
    nsFiles = { network: path.join(dir, 'net'), uts: path.join(dir, 'uts'), ipc: path.join(dir, 'ipc') };
    const made = await fx.sd.exec(['sh', '-c', [
      `mkdir -p ${dir} && touch ${nsFiles.network} ${nsFiles.uts} ${nsFiles.ipc}`,
      `unshare --net=${nsFiles.network} --uts=${nsFiles.uts} --ipc=${nsFiles.ipc} sh -c 'ip link set lo up && hostname rocklet-pod1'`,
    ].join(' && ')]);
    assert.equal(made.code, 0, made.stderr);
  });
  after(async () => {
    if (fx === undefined) return;
    for (const file of Object.values(nsFiles ?? {})) await fx.sd.exec(['umount', file]);
    await fx.dispose();
  });

  const podNs = (): Stage1Namespaces => podNamespaces(nsFiles);

  it('lets two apps of a pod reach each other on localhost through the joined network namespace', async () => {
    const pod = await fx.podDir();
    const server = await fx.prepare(pod, { app: 'server', args: ['sh', '-c', 'echo from-server | nc -l -p 7777'], namespaces: podNs() });
    const serverId = fx.containerId('server');
    await fx.crun.create(serverId, { bundle: server.dirs.dir });
    await fx.crun.start(serverId);
    const client = await fx.prepare(pod, {
      app: 'client',
      args: ['sh', '-c', 'for i in $(seq 100); do nc 127.0.0.1 7777 </dev/null && exit 0; sleep 0.05; done; exit 1'],
      namespaces: podNs(),
    });
    const exit = await fx.crun.run(fx.containerId('client'), { bundle: client.dirs.dir, stdio: 'pipe' });
    assert.equal(exit.exitCode, 0, exit.stderr);
    assert.equal(exit.stdout.trim(), 'from-server');
    // Same namespace as the file, not merely a similar one:
    const inode = (await fx.sd.exec(['stat', '-L', '-c', '%i', nsFiles.network])).stdout.trim();
    const probe = await fx.prepare(pod, { app: 'probe', args: ['sh', '-c', 'readlink /proc/self/ns/net; hostname'], namespaces: podNs() });
    const seen = await fx.crun.run(fx.containerId('probe'), { bundle: probe.dirs.dir, stdio: 'pipe' });
    assert.deepEqual(seen.stdout.trim().split('\n'), [`net:[${inode}]`, 'rocklet-pod1']);
    // An app with a network namespace of its own does not see the server.
    const alone = await fx.prepare(pod, { app: 'alone', args: ['sh', '-c', 'nc 127.0.0.1 7777 </dev/null'] });
    assert.notEqual((await fx.crun.run(fx.containerId('alone'), { bundle: alone.dirs.dir, stdio: 'pipe' })).exitCode, 0);
    await fx.crun.kill(serverId, 'SIGKILL');
  });

  it('drives a container through create, exec, start, state, kill, delete and list', async () => {
    const pod = await fx.podDir();
    const prepared = await fx.prepare(pod, { args: ['sleep', '600'] });
    const id = fx.containerId('verbs');
    await fx.crun.create(id, { bundle: prepared.dirs.dir });
    assert.equal((await fx.crun.state(id))?.status, 'created');
    await fx.crun.start(id);
    const running = await fx.crun.state(id);
    assert.equal(running?.status, 'running');
    assert.equal(running?.bundle, prepared.dirs.dir);
    assert.ok((running?.pid ?? 0) > 0);
    assert.ok((await fx.crun.list()).some((c) => c.id === id && c.status === 'running'));
    const exec = await fx.crun.exec(id, { args: ['sh', '-c', 'echo $FOO; id -u; exit 3'], env: ['FOO=bar'], user: { uid: 1000, gid: 1001 } });
    assert.deepEqual([exec.exitCode, exec.stdout], [3, 'bar\n1000\n']);
    await assert.rejects(fx.crun.exec(id, { args: ['/nope'] }), (error: unknown) => hasErrorCode(error, 'ERR_CRUN_FAILED') && /nope/.test(error.message));
    assert.equal(await fx.crun.kill(id, 'SIGKILL'), 'signalled');
    for (let i = 0; i < 1_500 && (await fx.crun.state(id))?.status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await fx.crun.state(id))?.status, 'stopped');
    assert.equal(await fx.crun.kill(id, 'SIGKILL'), 'stopped');
    assert.equal(await fx.crun.delete(id), true);
    assert.equal(await fx.crun.delete(id), false, 'delete is idempotent');
    assert.equal(await fx.crun.state(id), undefined);
    assert.equal(await fx.crun.kill(id), 'missing');
    await assert.rejects(fx.crun.start(id), (error: unknown) => hasErrorCode(error, 'ERR_CRUN_CONTAINER_NOT_FOUND'));
  });

  it('refuses a missing host path with the volume and path named', async () => {
    const pod = await fx.podDir();
    const missing = path.join(fx.tmp.path, 'no-such-dir');
    await assert.rejects(prepareVolume(fx.ns, pod, volume('data', { kind: 'hostPath', path: missing as AbsolutePath, type: '', recursive: true })), (error: unknown) =>
      hasErrorCode(error, 'ERR_HOST_PATH_NOT_FOUND') && error.message === `host volume "data": source path ${missing} does not exist`);
  });

  it('mounts host volumes read-only or read-write and a Memory emptyDir as a tmpfs', async () => {
    const pod = await fx.podDir();
    const hostFile = path.join(fx.tmp.path, 'host-config');
    await writeFile(hostFile, 'from the host\n');
    const config = await prepareVolume(fx.ns, pod, volume('config', { kind: 'hostPath', path: hostFile as AbsolutePath, type: 'File', recursive: false }));
    const cache = await prepareVolume(fx.ns, pod, volume('cache', { kind: 'emptyDir', medium: 'Memory', sizeLimitBytes: 4 * 1024 * 1024, mode: 0o777, uid: 0, gid: 0 }));
    assert.equal(await isMountPoint(fx.ns, volumeDir(pod, 'cache')), true);
    const prepared = await fx.prepare(pod, {
      args: ['sh', '-c', 'cat /etc/app.conf; echo x >> /etc/app.conf || echo ro; df -k /cache | tail -1; echo y > /cache/f && echo rw'],
      volumes: [{ volume: config, mountPath: '/etc/app.conf', readOnly: true }, { volume: cache, mountPath: '/cache', readOnly: false }],
    });
    const exit = await fx.crun.run(fx.containerId('volumes'), { bundle: prepared.dirs.dir, stdio: 'pipe' });
    const lines = exit.stdout.trim().split('\n');
    assert.equal(lines[0], 'from the host');
    assert.equal(lines[1], 'ro');
    assert.match(lines[2] ?? '', /^tmpfs\s+4096\s/);
    assert.equal(lines[3], 'rw');
    assert.equal(await releaseVolume(fx.ns, pod, 'cache'), true);
    assert.equal(await releaseVolume(fx.ns, pod, 'cache'), false, 'release is idempotent');
  });

  it('refuses a mount target whose symlink leads out of the rootfs', async () => {
    const pod = await fx.podDir();
    const data = await prepareVolume(fx.ns, pod, volume('data', { kind: 'emptyDir', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 }));
    // The image's /var/run points three levels above its root.
    const evil = path.join(fx.tmp.path, 'images/trees/evil/rootfs');
    const made = await fx.sd.exec(['sh', '-c', `mkdir -p ${evil}/var && ln -s ../../../../run ${evil}/var/run`]);
    assert.equal(made.code, 0, made.stderr);
    await assert.rejects(
      fx.prepare(pod, { args: ['/bin/true'], lowerDirs: [evil, fx.topTree, fx.baseTree], volumes: [{ volume: data, mountPath: '/var/run/x', readOnly: false }] }),
      (error: unknown) => hasErrorCode(error, 'ERR_ROOTFS_PATH_ESCAPE'),
    );
  });

  it('says how to get crun when it is missing', async () => {
    const missing = new CrunRuntime({ binary: 'crun-not-installed-here', namespace: fx.ns });
    await assert.rejects(missing.state('x'), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_CRUN_MISSING'));
      assert.equal(error.category, 'failed-precondition');
      assert.equal(error.hint, 'run install.sh or use --stage1=fly');
      return true;
    });
  });

  it('leaves no crun state and no mounts once containers are deleted and rootfs unmounted', async () => {
    for (const id of fx.containers) await fx.crun.delete(id, { force: true });
    assert.deepEqual(await fx.crun.list(), []);
    for (const point of (await fx.mountsLeft()).reverse()) {
      if (!Object.values(nsFiles).includes(point)) await unmount(fx.ns, point);
    }
    assert.deepEqual((await fx.mountsLeft()).filter((p) => !Object.values(nsFiles).includes(p)), []);
  });
});
