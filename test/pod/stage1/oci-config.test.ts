/**
 * Pure tests of buildOciConfig: capabilities, namespaces joined by path, masked paths, user,
 * mounts, env, validation and seccomp profiles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CapabilityName } from '../../../src/podfile/index.js';
import { DEFAULT_CAPABILITIES } from '../../../src/podfile/index.js';
import type { Stage1App } from '../../../src/pod/index.js';
import { buildOciConfig, cpuQuota, DEFAULT_BLOCKLIST, MASKED_PATHS, READONLY_PATHS, RUNTIME_SYSCALLS } from '../../../src/pod/index.js';
import { hasErrorCode } from '../../../src/util/index.js';

const caps = (...names: string[]): CapabilityName[] => names as CapabilityName[];

function app(overrides: Partial<Stage1App> = {}): Stage1App {
  return {
    name: 'web',
    rootfs: '/var/lib/rocklet/pods/run/u/apps/web/rootfs',
    readOnlyRootfs: false,
    args: ['/bin/sh', '-c', 'echo hi'],
    env: [{ name: 'FOO', value: 'bar' }],
    cwd: '/',
    user: { uid: 1000, gid: 1000, additionalGids: [10, 1000, 20] },
    capabilities: caps(...DEFAULT_CAPABILITIES),
    noNewPrivileges: true,
    seccomp: { kind: 'RuntimeDefault' },
    mounts: [],
    namespaces: {
      network: { kind: 'join', path: '/run/rocklet/netns/p1' },
      ipc: { kind: 'join', path: '/run/rocklet/ipcns/p1' },
      uts: { kind: 'new' },
    },
    ...overrides,
  };
}

const rejectsWith = (code: string, fn: () => unknown): void => {
  assert.throws(fn, (error: unknown) => hasErrorCode(error, code));
};

describe('buildOciConfig', () => {
  it('gives the 14 default capabilities as bounding, effective and permitted, none inheritable or ambient', () => {
    const spec = buildOciConfig(app());
    const c = spec.process.capabilities;
    assert.equal(c.bounding.length, 14);
    assert.deepEqual([...c.bounding], [...DEFAULT_CAPABILITIES].sort());
    assert.deepEqual(c.effective, c.bounding);
    assert.deepEqual(c.permitted, c.bounding);
    assert.deepEqual(c.inheritable, []);
    assert.deepEqual(c.ambient, []);
  });

  it('uses exactly the capability set it is given (retain/drop already applied)', () => {
    const spec = buildOciConfig(app({ capabilities: caps('CAP_NET_BIND_SERVICE', 'CAP_CHOWN', 'CAP_CHOWN') }));
    assert.deepEqual(spec.process.capabilities.bounding, ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE']);
  });

  it('joins the pod namespaces by path and creates its own pid, mount and cgroup namespaces', () => {
    const spec = buildOciConfig(app());
    assert.deepEqual(spec.linux.namespaces, [
      { type: 'pid' },
      { type: 'network', path: '/run/rocklet/netns/p1' },
      { type: 'ipc', path: '/run/rocklet/ipcns/p1' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'cgroup' },
    ]);
  });

  it('leaves host namespaces out of the list', () => {
    const spec = buildOciConfig(app({ namespaces: { network: { kind: 'host' }, ipc: { kind: 'host' }, uts: { kind: 'host' }, cgroup: { kind: 'host' } } }));
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ['pid', 'mount']);
  });

  it('masks and protects the kernel paths unless told not to', () => {
    const spec = buildOciConfig(app());
    assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));
    assert.ok(spec.linux.maskedPaths.includes('/sys/firmware'));
    assert.ok(spec.linux.readonlyPaths.includes('/proc/sys'));
    assert.ok(spec.linux.readonlyPaths.includes('/proc/sysrq-trigger'));
    assert.deepEqual(spec.linux.maskedPaths, MASKED_PATHS);
    assert.deepEqual(spec.linux.readonlyPaths, READONLY_PATHS);
    const open = buildOciConfig(app({ unmaskKernelPaths: true }));
    assert.deepEqual(open.linux.maskedPaths, []);
    assert.deepEqual(open.linux.readonlyPaths, []);
  });

  it('sets user, supplementary groups (without the primary), cwd, no_new_privs and the root', () => {
    const spec = buildOciConfig(app({ cwd: '/srv', readOnlyRootfs: true, oomScoreAdj: 500 }));
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [10, 20] });
    assert.equal(spec.process.cwd, '/srv');
    assert.equal(spec.process.noNewPrivileges, true);
    assert.equal(spec.process.oomScoreAdj, 500);
    assert.equal(spec.process.terminal, false);
    assert.deepEqual(spec.root, { path: '/var/lib/rocklet/pods/run/u/apps/web/rootfs', readonly: true });
    assert.equal(spec.ociVersion, '1.0.2');
  });

  it('adds a default PATH and lets a later duplicate win', () => {
    const spec = buildOciConfig(app({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: '3' }] }));
    assert.deepEqual(spec.process.env, ['B=2', 'A=3', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    const own = buildOciConfig(app({ env: [{ name: 'PATH', value: '/opt/bin' }] }));
    assert.deepEqual(own.process.env, ['PATH=/opt/bin']);
  });

  it('mounts the kernel filesystems first, then volumes parents before children, and lets a volume replace /dev/shm', () => {
    const spec = buildOciConfig(app({
      mounts: [
        { kind: 'bind', source: '/data/cache', destination: '/data/cache', readOnly: true, recursive: false },
        { kind: 'bind', source: '/srv/data', destination: '/data', readOnly: false, recursive: true },
        { kind: 'tmpfs', destination: '/dev/shm', sizeBytes: 1048576, mode: 0o1777 },
      ],
    }));
    const destinations = spec.mounts.map((m) => m.destination);
    assert.deepEqual(destinations, ['/proc', '/dev', '/dev/pts', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/data', '/data/cache', '/dev/shm']);
    assert.deepEqual(spec.mounts[6], { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rprivate'] });
    assert.deepEqual(spec.mounts[8], { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=1048576'] });
    assert.deepEqual(spec.mounts[7]?.options, ['bind', 'rprivate', 'ro']);
  });

  it('writes resources only when asked', () => {
    assert.equal(buildOciConfig(app()).linux.resources, undefined);
    const spec = buildOciConfig(app({ resources: { memoryBytes: 64 * 1024 * 1024, cpu: cpuQuota(250), pids: 32 } }));
    assert.deepEqual(spec.linux.resources, {
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 67108864 },
      cpu: { quota: 25000, period: 100000 },
      pids: { limit: 32 },
    });
  });

  it('refuses input no runtime could use, naming the field', () => {
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ args: [] })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ cwd: 'srv' })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ cwd: '/srv/../etc' })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ user: { uid: -1, gid: 0, additionalGids: [] } })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ oomScoreAdj: 1001 })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ env: [{ name: 'A=B', value: '' }] })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () =>
      buildOciConfig(app({ mounts: [{ kind: 'bind', source: '/a', destination: '/x/../y', readOnly: false, recursive: false }] })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () =>
      buildOciConfig(app({ mounts: [{ kind: 'tmpfs', destination: '/x' }, { kind: 'tmpfs', destination: '/x' }] })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () =>
      buildOciConfig(app({ hostname: 'pod', namespaces: { network: { kind: 'host' }, ipc: { kind: 'host' }, uts: { kind: 'host' } } })));
    assert.throws(() => buildOciConfig(app({ args: [] })), /app "web": no command to run/);
  });

  it('sets the hostname in a new or joined UTS namespace', () => {
    assert.equal(buildOciConfig(app({ hostname: 'rocklet-1' })).hostname, 'rocklet-1');
    assert.equal(buildOciConfig(app()).hostname, undefined);
  });

  it('writes the pod\'s sysctls as linux.sysctl, and none when there are none', () => {
    const sysctls = { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shm_rmid_forced': '1', 'fs.mqueue.msg_max': '20' };
    const spec = buildOciConfig(app({ sysctls }));
    assert.deepEqual(spec.linux.sysctl, sysctls);
    assert.deepEqual((JSON.parse(JSON.stringify(spec)) as { linux: { sysctl?: unknown } }).linux.sysctl, sysctls, 'config.json carries them under the OCI name');
    assert.equal('sysctl' in buildOciConfig(app()).linux, false);
    assert.equal('sysctl' in buildOciConfig(app({ sysctls: {} })).linux, false);
    const hostNetwork = { network: { kind: 'host' }, ipc: { kind: 'join', path: '/run/rocklet/ns/p1-ipc' }, uts: { kind: 'new' } } as const;
    assert.deepEqual(buildOciConfig(app({ namespaces: hostNetwork, sysctls: { 'kernel.msgmax': '16384' } })).linux.sysctl, { 'kernel.msgmax': '16384' });
  });

  it('refuses a sysctl whose namespace is the host\'s, or that is not namespaced, naming it', () => {
    const host = { network: { kind: 'host' }, ipc: { kind: 'host' }, uts: { kind: 'host' } } as const;
    assert.throws(() => buildOciConfig(app({ namespaces: host, sysctls: { 'net.core.somaxconn': '512' } })), (error: unknown) => hasErrorCode(error, 'ERR_STAGE1_APP_INVALID')
      && error.message === 'app "web": sysctl "net.core.somaxconn" belongs to the network namespace, and the app shares the host\'s');
    assert.throws(() => buildOciConfig(app({ namespaces: host, sysctls: { 'kernel.shm_rmid_forced': '1' } })), /sysctl "kernel\.shm_rmid_forced" belongs to the IPC namespace, and the app shares the host's/);
    assert.throws(() => buildOciConfig(app({ sysctls: { 'kernel.hostname': 'x' } })), /sysctl "kernel\.hostname" is not namespaced/);
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ sysctls: { '../../sysrq': '1' } })));
    rejectsWith('ERR_STAGE1_APP_INVALID', () => buildOciConfig(app({ sysctls: { 'net.core.somaxconn': '1\u0000' } })));
  });
});

describe('seccomp profiles', () => {
  it('RuntimeDefault refuses mount and reboot, and unlocks mount for CAP_SYS_ADMIN', () => {
    const spec = buildOciConfig(app());
    const seccomp = spec.linux.seccomp;
    assert.ok(seccomp);
    assert.equal(seccomp.defaultAction, 'SCMP_ACT_ALLOW');
    const blocked = seccomp.syscalls.flatMap((s) => s.names);
    for (const name of ['mount', 'umount2', 'reboot', 'kexec_load', 'init_module', 'keyctl', 'unshare']) assert.ok(blocked.includes(name), name);
    assert.equal(seccomp.syscalls[0]?.errnoRet, 1);
    const admin = buildOciConfig(app({ capabilities: caps(...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN') })).linux.seccomp;
    const adminBlocked = admin?.syscalls.flatMap((s) => s.names) ?? [];
    assert.ok(!adminBlocked.includes('mount'));
    assert.ok(adminBlocked.includes('reboot'));
    assert.ok(DEFAULT_BLOCKLIST.includes('mount'));
  });

  it('Unconfined writes no profile', () => {
    assert.equal(buildOciConfig(app({ seccomp: { kind: 'Unconfined' } })).linux.seccomp, undefined);
  });

  it('a retain set becomes an allow list that still lets the runtime start the app', () => {
    const spec = buildOciConfig(app({ seccomp: { kind: 'syscalls', mode: 'retain', syscalls: ['getcwd'], errno: 'ENOSYS' } }));
    const seccomp = spec.linux.seccomp;
    assert.equal(seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(seccomp?.defaultErrnoRet, 38);
    const allowed = seccomp?.syscalls[0]?.names ?? [];
    assert.ok(allowed.includes('getcwd'));
    for (const name of RUNTIME_SYSCALLS) assert.ok(allowed.includes(name), name);
  });

  it('a remove set denies its syscalls and groups with the errno asked for', () => {
    const spec = buildOciConfig(app({ seccomp: { kind: 'syscalls', mode: 'remove', syscalls: ['mkdir', '@docker/default-blacklist'], errno: 'EACCES' } }));
    const rule = spec.linux.seccomp?.syscalls[0];
    assert.equal(rule?.action, 'SCMP_ACT_ERRNO');
    assert.equal(rule?.errnoRet, 13);
    assert.ok(rule?.names.includes('mkdir'));
    assert.ok(rule?.names.includes('reboot'));
  });

  it('refuses unknown groups and errno names', () => {
    rejectsWith('ERR_SECCOMP_GROUP', () => buildOciConfig(app({ seccomp: { kind: 'syscalls', mode: 'remove', syscalls: ['@nope/x'] } })));
    rejectsWith('ERR_SECCOMP_ERRNO', () => buildOciConfig(app({ seccomp: { kind: 'syscalls', mode: 'remove', syscalls: ['mkdir'], errno: 'EWHAT' } })));
  });
});
