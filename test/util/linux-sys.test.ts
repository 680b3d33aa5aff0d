/**
 * The native helper against the real kernel (root): mounts appear in and leave this process's
 * mount table, namespaces are bound to files with hostname and loopback set inside them and
 * never in the caller's own, and every failure is an errno error naming the call and path.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, readlinkSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, open, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { bindNamespaces, deleteLink, errnoCode, isMountRoot, linkState, MOUNT_FLAGS, mountFs, netnsSocket, reapChild, spawnCaptured, spawnHolder, unmountFs } from '../../src/util/index.js';
import { createInstanceCgroups, listHierarchies, removeCgroupTree } from '../harness/cgroup.js';
import { newInstanceName } from '../harness/names.js';

const run = promisify(execFile);

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((line) => line.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Everything a captured child writes, until it closes its end. */
async function readAll(fd: number): Promise<string> {
  const pipe = new net.Socket({ fd, readable: true, writable: false });
  let text = '';
  for await (const chunk of pipe) text += String(chunk);
  return text;
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

  it('tells a mount root from a plain directory, a file bind, a missing path and a symlink to a mount', async () => {
    const target = path.join(dir, 'root-check');
    const file = path.join(dir, 'bound-file');
    const link = path.join(dir, 'link-to-mount');
    await mkdir(target);
    await writeFile(file, 'x');
    await symlink(target, link);
    assert.equal(isMountRoot(target), false, 'a plain directory');
    mountFs('tmpfs', target, 'tmpfs', 0, 'size=1m');
    mountFs('/etc/hostname', file, undefined, MOUNT_FLAGS.bind);
    try {
      assert.equal(isMountRoot(target), true, 'a tmpfs mounted on it');
      assert.equal(isMountRoot(file), true, 'a file bind-mounted onto a file');
      assert.equal(isMountRoot(link), false, 'a symlink is not followed');
      assert.equal(isMountRoot(path.join(target, 'missing')), false, 'a path that does not exist');
      assert.equal(isMountRoot(path.join(file, 'below-a-file')), false, 'a path below a file (ENOTDIR)');
    } finally {
      unmountFs(file);
      unmountFs(target);
    }
    assert.equal(isMountRoot(target), false, 'unmounted again');
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

  it('starts a lock holder with the file as fd 3, /dev/null as stdio, its own session, no parent of ours and no blocked signal', async (t) => {
    const lockFile = path.join(dir, 'holder.lock');
    await writeFile(lockFile, '');
    const handle = await open(lockFile, 'r+');
    const sleep = (await run('sh', ['-c', 'command -v sleep'])).stdout.trim();
    const pid = spawnHolder(handle.fd, sleep, ['sleep', 'infinity']);
    t.after(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        if (errnoCode(error) !== 'ESRCH') throw error;
      }
    });
    await handle.close();
    assert.deepEqual((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean), ['sleep', 'infinity']);
    assert.equal(await readlink(`/proc/${pid}/fd/3`), lockFile);
    for (const fd of [0, 1, 2]) assert.equal(await readlink(`/proc/${pid}/fd/${fd}`), '/dev/null');
    const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    const [ppid, group, session] = [Number(stat[1]), Number(stat[2]), Number(stat[3])];
    const own = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]?.split(' ') ?? [];
    assert.notEqual(ppid, process.pid, 'orphaned at once: reaped by init or a subreaper, not by this process');
    // The session's leader was the short-lived intermediate child.
    assert.notEqual(session, Number(own[3]), 'not in our session');
    assert.notEqual(group, Number(own[2]), 'not in our process group');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /^SigBlk:\s+0+$/m, 'no signal blocked');
    assert.match(status, /^SigIgn:\s+0+$/m, 'no signal ignored (Node ignores SIGPIPE)');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 200; i++) {
      const state = await readFile(`/proc/${pid}/stat`, 'utf8').then((text) => text.split(') ')[1]?.[0], () => 'gone');
      if (state === 'gone' || state === 'Z') return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail('SIGTERM did not end the holder');
  });

  it('reports a holder that cannot start as an errno error naming execve and the program', async () => {
    const handle = await open(path.join(dir, 'holder2.lock'), 'w+');
    try {
      const error = thrown(() => spawnHolder(handle.fd, path.join(dir, 'no-such-program'), ['x']));
      assert.equal(error.code, 'ENOENT');
      assert.equal(error.syscall, 'execve');
      assert.equal(error.path, path.join(dir, 'no-such-program'));
      assert.throws(() => spawnHolder(handle.fd, 'relative', ['x']), TypeError);
    } finally {
      await handle.close();
    }
  });

  it('spawns a captured child into the cgroups it is given, before it execs; a bad cgroup is an errno error naming it', async () => {
    const hierarchies = await listHierarchies();
    const name = newInstanceName();
    const [cgroup] = await createInstanceCgroups(name, hierarchies, false);
    assert.ok(cgroup !== undefined);
    try {
      const child = spawnCaptured('/bin/cat', ['cat', '/proc/self/cgroup'], [path.join(cgroup.path, 'cgroup.procs')]);
      const output = await readAll(child.fd);
      let status = reapChild(child.pid);
      while (status === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        status = reapChild(child.pid);
      }
      assert.deepEqual(status, { exitCode: 0, signal: null });
      const unified = output.split('\n').find((line) => line.startsWith('0::')) ?? '';
      assert.ok(unified.endsWith(`/${name}`), `the child ran in the new cgroup: ${output}`);
      const missing = path.join(cgroup.path, 'no-such-child', 'cgroup.procs');
      const error = thrown(() => spawnCaptured('/bin/true', ['true'], [missing]));
      assert.equal(error.code, 'ENOENT');
      assert.equal(error.syscall, 'join cgroup');
      assert.equal(error.path, missing);
      assert.throws(() => spawnCaptured('/bin/true', ['true'], ['relative/cgroup.procs']), TypeError);
    } finally {
      await removeCgroupTree(cgroup.path);
    }
  });

  it('runs a spawned program from a sealed copy in memory, made again when the file changes', async () => {
    const program = path.join(dir, 'sealed-program');
    await copyFile('/bin/sh', program);
    await chmod(program, 0o755);
    const finished = async (child: { pid: number; fd: number }): Promise<{ output: string; exitCode: number | null }> => {
      const output = await readAll(child.fd);
      let status = reapChild(child.pid);
      while (status === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        status = reapChild(child.pid);
      }
      return { output, exitCode: status.exitCode };
    };
    // (crun skips re-executing itself from a bind mount of itself when /proc/self/exe is such a copy)
    const first = await finished(spawnCaptured(program, ['sh', '-c', 'readlink /proc/$$/exe; exit 3']));
    assert.equal(first.exitCode, 3);
    assert.match(first.output, /^\/memfd:rocklet-sealed-exec \(deleted\)\n$/);
    // An upgrade: another file in its place. The next spawn runs the new program, not the old copy.
    await copyFile('/bin/false', `${program}.new`);
    await chmod(`${program}.new`, 0o755);
    await rename(`${program}.new`, program);
    const second = await finished(spawnCaptured(program, ['false']));
    assert.equal(second.exitCode, 1, 'the replaced program ran');
  });

  it('makes a TCP socket inside a namespace bound to a file, and the calling thread stays in its own', async () => {
    const netFile = path.join(dir, 'socket-net');
    await writeFile(netFile, '');
    bindNamespaces({ net: netFile, loopbackUp: true });
    // A listener only that namespace has, on its loopback (the port is free: the namespace is new).
    const server = execFile('nsenter', [`--net=${netFile}`, process.execPath, '-e', "require('node:net').createServer((s) => s.end('from-inside\\n')).listen(40999, '127.0.0.1')"]);
    try {
      const own = readlinkSync('/proc/thread-self/ns/net');
      for (let i = 0; i < 50; i++) closeSync(netnsSocket(netFile));
      assert.equal(readlinkSync('/proc/thread-self/ns/net'), own, 'back in its own namespace after each call');
      const reply = await (async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await new Promise<string>((resolve, reject) => {
              const socket = new net.Socket({ fd: netnsSocket(netFile) });
              let text = '';
              socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
              socket.once('end', () => resolve(text.trim()));
              socket.once('error', reject);
              socket.connect(40999, '127.0.0.1');
            });
          } catch (error) {
            if (attempt > 600 || errnoCode(error) !== 'ECONNREFUSED') throw error; // 30 s for node to start there
            await new Promise((resolve) => setTimeout(resolve, 50)); // nc not listening yet
          }
        }
      })();
      assert.equal(reply, 'from-inside');
      const notNs = thrown(() => netnsSocket('/etc/hostname'));
      assert.equal(notNs.code, 'EINVAL');
      assert.equal(notNs.syscall, 'setns');
      assert.equal(thrown(() => netnsSocket(path.join(dir, 'missing'))).code, 'ENOENT');
      assert.equal(readlinkSync('/proc/thread-self/ns/net'), own, 'a failed call leaves it at home too');
    } finally {
      server.kill();
      unmountFs(netFile, { detach: true });
    }
  });

  it('reads a link\'s index and up flag, and deletes links, in a namespace bound to a file', async () => {
    const net = path.join(dir, 'links-net');
    await writeFile(net, '');
    bindNamespaces({ net, loopbackUp: true });
    try {
      assert.deepEqual(linkState('lo', net), { index: 1, up: true });
      assert.equal(linkState('rltest-none', net), undefined);
      await run('nsenter', [`--net=${net}`, 'ip', 'link', 'add', 'rltest-d0', 'type', 'veth', 'peer', 'name', 'rltest-d1']);
      assert.equal(linkState('rltest-d0', net)?.up, false);
      assert.equal(deleteLink('rltest-d0', net), true);
      assert.equal(deleteLink('rltest-d0', net), false, 'already gone');
      assert.equal(linkState('rltest-d0', net), undefined);
      assert.equal(linkState('rltest-d1', net), undefined, 'the peer went with it');
    } finally {
      unmountFs(net, { detach: true });
    }
  });
});
