/**
 * e2e: apps prepared by stage1 and run by real crun inside a private test systemd — exit
 * codes, env/cwd/user, capabilities and kernel paths, seccomp, overlay rootfs, read-only
 * rootfs, missing executables and crun's own failures.
 */
import assert from 'node:assert/strict';
import { lstat, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CapabilityName, VolumeName } from '../../../src/podfile/index.js';
import type { PreparedApp } from '../../../src/pod/index.js';
import { appDirs, nsPath, prepareVolume, readBundle, unmountAppRootfs, writeBundle } from '../../../src/pod/index.js';
import { hasErrorCode, isErrorCategory } from '../../../src/util/index.js';
import { DEFAULT_CAPS, Stage1Fixture } from './fixture.js';

// Capability numbers from <linux/capability.h>.
const CAP_NUMBERS: Readonly<Record<string, number>> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6, CAP_SETUID: 7, CAP_SETPCAP: 8,
  CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_CHROOT: 18, CAP_MKNOD: 27, CAP_AUDIT_WRITE: 29, CAP_SETFCAP: 31,
};
const capMask = (names: readonly string[]): string =>
  names.reduce((mask, name) => mask | (1n << BigInt(CAP_NUMBERS[name] ?? 63)), 0n).toString(16).padStart(16, '0');

describe('stage1 + crun inside a test systemd', () => {
  let fx: Stage1Fixture;
  before(async () => {
    fx = await Stage1Fixture.create('stage1-crun');
  });
  after(() => fx?.dispose());

  async function run(prepared: PreparedApp, app: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    return fx.crun.run(fx.containerId(app), { bundle: prepared.dirs.dir, stdio: 'pipe' });
  }

  it('passes the app\'s exit code through', async () => {
    const pod = await fx.podDir();
    const exit = await run(await fx.prepare(pod, { args: ['sh', '-c', 'exit 7'] }), 'exit');
    assert.equal(exit.exitCode, 7);
    const ok = await run(await fx.prepare(pod, { args: ['/bin/true'] }), 'true');
    assert.equal(ok.exitCode, 0);
  });

  it('applies env, working directory, user, groups and HOME from the image', async () => {
    const pod = await fx.podDir();
    const prepared = await fx.prepare(pod, {
      args: ['sh', '-c', 'id; pwd; env | sort'],
      env: [{ name: 'GREETING', value: 'hello world' }],
      cwd: '/srv/www',
      user: { kind: 'name', name: 'web' },
      supplementalGroups: [4242],
    });
    const exit = await run(prepared, 'ident');
    assert.equal(exit.exitCode, 0, exit.stderr);
    const [id, pwd, ...env] = exit.stdout.trim().split('\n');
    // busybox id lists only the supplementary groups: wheel (image membership) and the spec's 4242.
    assert.equal(id, 'uid=1000(web) gid=1001(web) groups=10(wheel),4242');
    assert.equal(pwd, '/srv/www');
    assert.ok(env.includes('GREETING=hello world'));
    assert.ok(env.includes('HOME=/home/web'));
    assert.ok(env.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'));
  });

  it('reduces capabilities to the set given, sets no_new_privs and seccomp, and hides kernel paths', async () => {
    const pod = await fx.podDir();
    const script = [
      'grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status',
      'echo keys=$(wc -c < /proc/keys) masks=$(grep -c " /proc/keys " /proc/self/mountinfo)',
      'echo 1 > /proc/sysrq-trigger && echo sysrq=writable || echo sysrq=refused',
    ].join('; ');
    const full = await run(await fx.prepare(pod, { args: ['sh', '-c', script] }), 'caps');
    assert.equal(full.exitCode, 0, full.stderr);
    assert.match(full.stdout, new RegExp(`CapBnd:\\s+${capMask(DEFAULT_CAPS)}`));
    assert.match(full.stdout, new RegExp(`CapEff:\\s+${capMask(DEFAULT_CAPS)}`));
    assert.match(full.stdout, /NoNewPrivs:\s+1/);
    assert.match(full.stdout, /Seccomp:\s+2/);
    assert.match(full.stdout, /keys=0 masks=1/);
    assert.match(full.stdout, /sysrq=refused/);
    const few = ['CAP_NET_BIND_SERVICE', 'CAP_KILL'] as CapabilityName[];
    const reduced = await run(await fx.prepare(pod, { args: ['sh', '-c', script], capabilities: few, user: { kind: 'name', name: 'web' } }), 'caps2');
    assert.match(reduced.stdout, new RegExp(`CapBnd:\\s+${capMask(few)}`));
    assert.match(reduced.stdout, /CapEff:\s+0{16}/, 'a non-root user keeps only the bounding set across exec');
  });

  it('applies an appc seccomp remove set with its errno', async () => {
    const pod = await fx.podDir();
    const seccomp = { kind: 'syscalls', mode: 'remove', syscalls: ['mkdir', 'mkdirat'], errno: 'EACCES' } as const;
    const exit = await run(await fx.prepare(pod, { args: ['mkdir', '/tmp/x'], seccomp }), 'seccomp');
    assert.equal(exit.exitCode, 1);
    assert.match(exit.stderr, /Permission denied/);
    const unconfined = await run(await fx.prepare(pod, { args: ['mkdir', '/tmp/x'], seccomp: { kind: 'Unconfined' } }), 'unconfined');
    assert.equal(unconfined.exitCode, 0, unconfined.stderr);
  });

  it('runs on an overlay: writes land in the upper dir, the image trees stay untouched, fresh mounts start over', async () => {
    const pod = await fx.podDir();
    const prepared = await fx.prepare(pod, { args: ['sh', '-c', 'echo written > /new-file && echo changed >> /etc/passwd && rm /etc/os-release'] });
    const exit = await run(prepared, 'overlay');
    assert.equal(exit.exitCode, 0, exit.stderr);
    const dirs = appDirs(pod, 'app');
    assert.equal(await readFile(path.join(dirs.upper, 'new-file'), 'utf8'), 'written\n');
    assert.match(await readFile(path.join(dirs.upper, 'etc/passwd'), 'utf8'), /changed\n$/);
    assert.ok((await stat(path.join(dirs.upper, 'etc/os-release'))).isCharacterDevice(), 'a whiteout hides the deleted lower file');
    await assert.rejects(stat(path.join(fx.baseTree, 'new-file')), { code: 'ENOENT' });
    await assert.rejects(stat(path.join(fx.topTree, 'new-file')), { code: 'ENOENT' });
    assert.doesNotMatch(await readFile(path.join(fx.topTree, 'etc/passwd'), 'utf8'), /changed/);
    assert.ok((await lstat(path.join(fx.baseTree, 'etc/os-release'))).isSymbolicLink(), 'the deleted file is still in the image tree');
    // Through the merged mount, from inside the test systemd's namespace:
    assert.equal(await readFile(nsPath(fx.ns, path.join(dirs.rootfs, 'new-file')), 'utf8'), 'written\n');
    await fx.prepare(pod, { args: ['/bin/true'] });
    await assert.rejects(stat(nsPath(fx.ns, path.join(dirs.rootfs, 'new-file'))), { code: 'ENOENT' });
    await assert.rejects(stat(path.join(dirs.upper, 'new-file')), { code: 'ENOENT' });
  });

  it('refuses writes to a read-only rootfs but not to a volume in it', async () => {
    const pod = await fx.podDir();
    const volume = await prepareVolume(fx.ns, pod, { name: 'data' as VolumeName, source: { kind: 'emptyDir', medium: 'Disk', mode: 0o777, uid: 0, gid: 0 } });
    const prepared = await fx.prepare(pod, {
      args: ['sh', '-c', 'touch /x; echo rc=$?; echo kept > /data/f'],
      readOnlyRootfs: true,
      volumes: [{ volume, mountPath: '/data', readOnly: false }],
    });
    assert.equal((await readBundle(prepared.dirs.dir)).root.readonly, true);
    const exit = await run(prepared, 'ro');
    assert.equal(exit.exitCode, 0, exit.stderr);
    assert.match(exit.stdout, /rc=1/);
    assert.match(exit.stderr, /Read-only file system/);
    assert.equal(await readFile(path.join(pod, 'volumes/data/f'), 'utf8'), 'kept\n');
  });

  it('passes extra descriptors (the pod lock) into the container as fd 3', async () => {
    const pod = await fx.podDir();
    const prepared = await fx.prepare(pod, { args: ['sh', '-c', 'echo through-fd-3 >&3'] });
    const file = path.join(pod, 'fd3.out');
    const handle = await open(file, 'w');
    try {
      const exit = await fx.crun.run(fx.containerId('fds'), { bundle: prepared.dirs.dir, stdio: 'pipe', extraFds: [handle.fd] });
      assert.equal(exit.exitCode, 0, exit.stderr);
    } finally {
      await handle.close();
    }
    assert.equal(await readFile(file, 'utf8'), 'through-fd-3\n');
  });

  it('fails before starting when the executable is not in the image, and leaves nothing mounted', async () => {
    const pod = await fx.podDir();
    await assert.rejects(fx.prepare(pod, { args: ['/usr/sbin/nginx', '-g', 'daemon off;'] }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_APP_EXEC_MISSING'));
      assert.equal(error.message, 'app "app": executable "/usr/sbin/nginx" not found in image test/busybox');
      return true;
    });
    assert.deepEqual((await fx.mountsLeft()).filter((p) => p.startsWith(pod)), []);
  });

  it('reports crun\'s own failures as ERR_CRUN_FAILED with the command, exit code and crun\'s message', async () => {
    const pod = await fx.podDir();
    const prepared = await fx.prepare(pod, { args: ['/bin/true'] });
    const config = await readBundle(prepared.dirs.dir);
    const namespaces = config.linux.namespaces.map((n) => (n.type === 'network' ? { type: n.type, path: '/nonexistent/netns' } : n));
    await writeBundle(prepared.dirs.dir, { ...config, linux: { ...config.linux, namespaces } });
    await assert.rejects(run(prepared, 'broken'), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_CRUN_FAILED'));
      assert.ok(isErrorCategory(error, 'runtime'));
      const crunError = error as unknown as { command: string[]; commandExitCode: number; stderrTail: string; durationMs: number };
      assert.ok(crunError.command.includes('run'));
      assert.equal(crunError.commandExitCode, 1);
      assert.match(crunError.stderrTail, /\/nonexistent\/netns/);
      assert.ok(crunError.durationMs > 0);
      return true;
    });
    await unmountAppRootfs(fx.ns, pod, 'app');
  });
});
