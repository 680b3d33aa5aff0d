/**
 * The native helper against the real kernel (root): mounts appear in and leave this process's
 * mount table, namespaces are bound to files with hostname and loopback set inside them and
 * never in the caller's own, and every failure is an errno error naming the call and path.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { bindNamespaces, errnoCode, MOUNT_FLAGS, mountFs, unmountFs } from '../../src/util/index.js';

const run = promisify(execFile);

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((line) => line.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));
}

function thrown(fn: () => void): NodeJS.ErrnoException {
  try {
    fn();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  assert.fail('expected an error');
}

describe('util/linux-sys (native helper)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `rltest-linuxsys-${process.pid}-`));
  });
  after(async () => {
    for (const mount of (await mountsUnder(dir)).reverse()) unmountFs(mount, { detach: true });
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts a tmpfs with flags and options, and unmounts it', async () => {
    const target = path.join(dir, 'tmpfs');
    await mkdir(target);
    mountFs('tmpfs', target, 'tmpfs', MOUNT_FLAGS.nosuid | MOUNT_FLAGS.nodev, 'mode=0710,size=1m');
    const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === target) ?? '';
    assert.match(line, /\bnosuid\b/);
    assert.match(line, /\bnodev\b/);
    assert.match(line, /size=1024k/);
    assert.equal((await stat(target)).mode & 0o7777, 0o710);
    unmountFs(target);
    assert.deepEqual(await mountsUnder(target), []);
  });

  it('detaches a busy mount only when asked to', async () => {
    const target = path.join(dir, 'busy');
    await mkdir(target);
    mountFs('tmpfs', target, 'tmpfs', 0, 'size=1m');
    await writeFile(path.join(target, 'f'), 'x');
    const handle = await open(path.join(target, 'f'), 'r');
    try {
      assert.equal(errnoCode(thrown(() => unmountFs(target))), 'EBUSY');
      unmountFs(target, { detach: true });
      assert.deepEqual(await mountsUnder(target), []);
      assert.equal((await handle.readFile('utf8')), 'x', 'the open file stays readable after a lazy unmount');
    } finally {
      await handle.close();
    }
  });

  it('reports failures as errno errors naming the call and the path', () => {
    const missing = path.join(dir, 'no-such-dir');
    const mountError = thrown(() => mountFs('tmpfs', missing, 'tmpfs', 0));
    assert.equal(mountError.code, 'ENOENT');
    assert.equal(mountError.syscall, 'mount');
    assert.equal(mountError.path, missing);
    assert.match(mountError.message, /^ENOENT: No such file or directory, mount '.*no-such-dir'$/);
    const notMounted = thrown(() => unmountFs(dir));
    assert.equal(notMounted.code, 'EINVAL');
    assert.equal(notMounted.syscall, 'umount2');
    const badData = thrown(() => mountFs('overlay', path.join(dir), 'overlay', 0, 'lowerdir=/nonexistent-rltest'));
    assert.equal(badData.syscall, 'mount');
    assert.ok(['ENOENT', 'EINVAL'].includes(String(badData.code)), String(badData.code));
    assert.throws(() => mountFs('a', 'b\0c', 'tmpfs', 0), TypeError, 'an embedded NUL is refused, not cut short');
  });

  it('binds new net, IPC and UTS namespaces to files, with hostname and loopback set inside only', async () => {
    const files = { net: path.join(dir, 'net'), ipc: path.join(dir, 'ipc'), uts: path.join(dir, 'uts') };
    for (const file of Object.values(files)) await writeFile(file, '');
    const own = { net: await readlink('/proc/self/ns/net'), uts: await readlink('/proc/self/ns/uts'), host: hostname() };
    bindNamespaces({ ...files, hostname: 'rltest-pod-name', loopbackUp: true });
    for (const file of Object.values(files)) {
      assert.equal((await run('stat', ['-f', '-c', '%T', file])).stdout.trim(), 'nsfs', `${file} holds a namespace`);
    }
    assert.equal((await run('nsenter', [`--uts=${files.uts}`, 'hostname'])).stdout.trim(), 'rltest-pod-name');
    const lo = (await run('nsenter', [`--net=${files.net}`, 'ip', '-br', 'link'])).stdout.trim();
    assert.match(lo, /^lo\s+UNKNOWN\s.*<LOOPBACK,UP,LOWER_UP>$/);
    assert.equal(await readlink('/proc/self/ns/net'), own.net, 'caller\'s netns unchanged');
    assert.equal(await readlink('/proc/self/ns/uts'), own.uts, 'caller\'s UTS namespace unchanged');
    assert.equal(hostname(), own.host, 'host name unchanged');
    for (const file of Object.values(files)) unmountFs(file, { detach: true });
    assert.deepEqual(await mountsUnder(dir), []);
  });

  it('creates only the namespaces it is given files for', async () => {
    const ipc = path.join(dir, 'ipc-only');
    await writeFile(ipc, '');
    bindNamespaces({ ipc });
    assert.deepEqual(await mountsUnder(dir), [ipc]);
    unmountFs(ipc, { detach: true });
  });

  it('refuses inconsistent options and reports a missing file as ENOENT', async () => {
    assert.throws(() => bindNamespaces({ hostname: 'x' }), TypeError);
    assert.throws(() => bindNamespaces({ ipc: path.join(dir, 'i'), loopbackUp: true }), TypeError);
    assert.throws(() => bindNamespaces({ uts: path.join(dir, 'u'), hostname: 'x'.repeat(65) }), TypeError);
    const missing = path.join(dir, 'missing-net');
    const error = thrown(() => bindNamespaces({ net: missing }));
    assert.equal(error.code, 'ENOENT');
    assert.equal(error.syscall, 'mount');
    assert.equal(error.path, missing);
    assert.deepEqual(await mountsUnder(dir), []);
  });
});
