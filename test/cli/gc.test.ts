/**
 * `rocklet gc`: rkt's two phases and messages, grace period, --mark-only, --expire-prepared,
 * real mounts released, running pods never touched, half-deleted pods collected.
 */
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { acquireLease, listLeases, parseNetworkConfig, parsePodId } from '../../src/net/index.js';
import type { PodUuid } from '../../src/pod/index.js';
import { POD_FILES, podPath } from '../../src/pod/index.js';
import type { PodWorkspace } from './pod-setup.js';
import { ONE_APP, exists, lines, mountsAt, podWorkspace } from './pod-setup.js';

/** Every pod dir left in the workspace, as `state-dir/uuid`. */
async function podsLeft(ws: PodWorkspace): Promise<string[]> {
  const left: string[] = [];
  for (const dir of await readdir(path.join(ws.dataDir, 'pods')).catch(() => [])) {
    for (const uuid of await readdir(path.join(ws.dataDir, 'pods', dir))) left.push(`${dir}/${uuid}`);
  }
  return left.sort();
}

describe('rocklet gc', () => {
  it('marks exited pods and keeps them for the grace period', async () => {
    const ws = await podWorkspace('cli-gc-grace');
    const exited = await ws.pod('exited', { meta: ONE_APP });
    const r = await ws.rocklet(['gc']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), [
      `gc: moving pod "${exited}" to garbage`,
      `gc: pod "${exited}" not removed: still within grace period (30m0s)`,
    ]);
    assert.equal(await ws.dirOf(exited), 'exited-garbage');
    const status = await ws.rocklet(['status', exited]);
    assert.match(status.stdout, /^state=exited garbage\n/);
    const again = await ws.rocklet(['gc', '--grace-period=1h']);
    assert.deepEqual(lines(again.stderr), [`gc: pod "${exited}" not removed: still within grace period (1h0m0s)`]);
    const zero = await ws.rocklet(['gc', '--grace-period=0s']);
    assert.equal(zero.code, 0, zero.stderr);
    assert.deepEqual(lines(zero.stdout), [`Garbage collecting pod "${exited}"`]);
    assert.deepEqual(await podsLeft(ws), []);
  });

  it('collects every collectable state in one pass with --grace-period=0s and leaves the others alone', async () => {
    const ws = await podWorkspace('cli-gc-states');
    const exited = await ws.pod('exited', { meta: ONE_APP, exits: { job: 0 } });
    const marked = await ws.pod('exited garbage', { meta: ONE_APP });
    const aborted = await ws.pod('aborted prepare');
    const garbage = await ws.pod('garbage');
    const running = await ws.pod('running', { meta: ONE_APP });
    const preparing = await ws.pod('preparing');
    const prepared = await ws.pod('prepared', { meta: ONE_APP });
    const embryo = await ws.pod('embryo');
    const r = await ws.rocklet(['gc', '--grace-period=0s']);
    assert.equal(r.code, 0, r.stderr);
    const stderr = lines(r.stderr);
    assert.ok(stderr.includes(`gc: moving pod "${exited}" to garbage`), r.stderr);
    assert.ok(stderr.includes(`gc: moving failed prepare "${aborted}" to garbage`), r.stderr);
    assert.deepEqual(lines(r.stdout).sort(), [exited, marked, aborted, garbage].map((uuid) => `Garbage collecting pod "${uuid}"`).sort());
    assert.deepEqual(await podsLeft(ws), [
      `embryo/${embryo}`, `prepare/${preparing}`, `prepared/${prepared}`, `run/${running}`,
    ].sort(), 'a young embryo, a preparing, a prepared (not expired) and a running pod stay');
    const status = await ws.rocklet(['status', running]);
    assert.match(status.stdout, /^state=running\n/);
  });

  it('--mark-only only marks; --expire-prepared collects old prepared pods', async () => {
    const ws = await podWorkspace('cli-gc-mark');
    const exited = await ws.pod('exited', { meta: ONE_APP });
    const aborted = await ws.pod('aborted prepare');
    const prepared = await ws.pod('prepared', { meta: ONE_APP });
    const r = await ws.rocklet(['gc', '--mark-only', '--grace-period=0s', '--expire-prepared=0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), [`gc: moving pod "${exited}" to garbage`, `gc: moving failed prepare "${aborted}" to garbage`]);
    assert.deepEqual(await podsLeft(ws), [`exited-garbage/${exited}`, `garbage/${aborted}`, `prepared/${prepared}`].sort());
    const expire = await ws.rocklet(['gc', '--grace-period=1h', '--expire-prepared=0s']);
    assert.equal(expire.code, 0, expire.stderr);
    assert.ok(lines(expire.stderr).includes(`gc: moving expired prepared pod "${prepared}" to garbage`), expire.stderr);
    assert.deepEqual(lines(expire.stdout).sort(), [aborted, prepared].map((uuid) => `Garbage collecting pod "${uuid}"`).sort());
    assert.deepEqual(await podsLeft(ws), [`exited-garbage/${exited}`]);
  });

  it('releases a real mount left in an exited pod and never touches a running pod or its mount', async () => {
    const ws = await podWorkspace('cli-gc-mounts');
    const exited = await ws.pod('exited', { meta: ONE_APP });
    const running = await ws.pod('running', { meta: ONE_APP });
    const exitedRootfs = path.join(podPath(ws.store, 'run', exited), 'apps', 'job', 'rootfs');
    const runningRootfs = path.join(podPath(ws.store, 'run', running), 'apps', 'job', 'rootfs');
    await ws.mountTmpfs(exitedRootfs);
    await ws.mountTmpfs(runningRootfs);
    await writeFile(path.join(runningRootfs, 'keep'), 'app data');
    const r = await ws.rocklet(['gc', '--grace-period=0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [`Garbage collecting pod "${exited}"`]);
    assert.deepEqual(await mountsAt(path.join(ws.dataDir, 'pods', 'garbage')), [], 'the exited pod\'s tmpfs is unmounted');
    assert.deepEqual(await mountsAt(path.join(ws.dataDir, 'pods', 'exited-garbage')), []);
    assert.equal(await ws.dirOf(exited), undefined);
    assert.deepEqual(await mountsAt(runningRootfs), [runningRootfs], 'the running pod keeps its mount');
    assert.equal(await exists(path.join(runningRootfs, 'keep')), true);
    const status = await ws.rocklet(['status', running]);
    assert.match(status.stdout, /^state=running\n/);
  });

  it('releases the IP lease of a collected pod through the runtime, and keeps a running pod\'s lease', async () => {
    const ws = await podWorkspace('cli-gc-lease');
    const net = parseNetworkConfig({ dataDir: ws.dataDir });
    const exited = await ws.pod('exited', { meta: ONE_APP });
    const running = await ws.pod('running', { meta: ONE_APP });
    const exitedLease = await acquireLease(net, parsePodId(exited));
    const runningLease = await acquireLease(net, parsePodId(running));
    const r = await ws.rocklet(['gc', '--grace-period=0s', '--debug']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [`Garbage collecting pod "${exited}"`]);
    assert.ok(lines(r.stderr).includes(`gc: pod "${exited}": address ${exitedLease.ip}`), r.stderr);
    assert.deepEqual((await listLeases(net.leaseDir)).map((lease) => [lease.podId, lease.ip]), [[running, runningLease.ip]]);
  });

  it('collects half-deleted pods (no lock file, files missing) and pods whose mounts a reboot removed', async () => {
    const ws = await podWorkspace('cli-gc-half');
    const half = await ws.pod('garbage', { meta: ONE_APP });
    await rm(path.join(podPath(ws.store, 'garbage', half), POD_FILES.lock));
    await rm(path.join(podPath(ws.store, 'garbage', half), POD_FILES.meta));
    // After a reboot: the pod's files still name a netns and a rootfs that no longer exist.
    const rebooted = await ws.pod('exited', { meta: ONE_APP });
    const podDir = podPath(ws.store, 'run', rebooted);
    await writeFile(path.join(podDir, POD_FILES.netns), '/run/rocklet/netns/does-not-exist\n');
    await writeFile(path.join(podDir, 'net-info.json'), '[{"netName":"default","ifName":"eth0","ip":"172.16.28.9","prefixLength":24}]');
    const r = await ws.rocklet(['gc', '--grace-period=0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout).sort(), [half, rebooted].map((uuid) => `Garbage collecting pod "${uuid}"`).sort());
    assert.deepEqual(await podsLeft(ws), []);
  });

  it('refuses bad durations, arguments and unprivileged users', async () => {
    const ws = await podWorkspace('cli-gc-bad');
    const exited: PodUuid = await ws.pod('exited', { meta: ONE_APP });
    const bad = await ws.rocklet(['gc', '--grace-period=soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^gc: --grace-period: /m);
    const negative = await ws.rocklet(['gc', '--expire-prepared=-1h']);
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /^gc: --expire-prepared: .*negative/m);
    const extra = await ws.rocklet(['gc', exited]);
    assert.equal(extra.code, 2);
    const user = await ws.rockletAs(65534, ['gc', '--grace-period=0s']);
    assert.equal(user.code, 254);
    assert.match(user.stderr, /^gc: cannot run as unprivileged user$/m);
    assert.equal(await ws.dirOf(exited), 'run', 'nothing was touched');
  });
});
