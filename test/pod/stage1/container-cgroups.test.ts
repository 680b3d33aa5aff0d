/** Unit: the cgroups an exec probe or `rocklet enter` joins are its container's, read from /proc/<init>/cgroup. */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cachedCgroupProcs, cgroupProcsFiles, containerCgroupProcs, parseHierarchyMounts } from '../../../src/pod/stage1/container-cgroups.js';
import { makeTempDir } from '../../harness/index.js';

/** A hybrid host's cgroup mounts (memory mounted from a sub-cgroup, as inside a container), plus noise. */
const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime - ext4 /dev/vda rw',
  '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:28 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
  '34 30 0:31 /machine/box /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '35 30 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '36 30 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
  '37 30 0:31 /machine/box /elsewhere/memory rw,relatime - cgroup cgroup rw,memory',
  '',
].join('\n');

describe('pod/stage1/container-cgroups', () => {
  it('reads the cgroup mounts of a mountinfo, by hierarchy, with their roots', () => {
    const mounts = parseHierarchyMounts(MOUNTINFO);
    assert.deepEqual([...mounts.entries()], [
      ['name=systemd', { root: '/', mountPoint: '/sys/fs/cgroup/systemd' }],
      ['memory', { root: '/machine/box', mountPoint: '/sys/fs/cgroup/memory' }],
      ['cpu,cpuacct', { root: '/', mountPoint: '/sys/fs/cgroup/cpu,cpuacct' }],
      ['', { root: '/', mountPoint: '/sys/fs/cgroup/unified' }],
    ]);
    assert.deepEqual([...parseHierarchyMounts('28 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n').entries()], [['', { root: '/', mountPoint: '/sys/fs/cgroup' }]]);
  });

  it('maps each hierarchy of /proc/PID/cgroup to a cgroup.procs file below its mount, leaving out what the mounts do not show', () => {
    const procCgroup = [
      '9:name=systemd:/rocklet.slice/rocklet-web.slice/rocklet-web_main.service',
      '7:blkio:/',
      '4:memory:/machine/box/rocklet.slice/rocklet-web_main.service',
      '2:cpu,cpuacct:/',
      '0::/rocklet.slice/rocklet-web.slice/rocklet-web_main.service',
      '',
    ].join('\n');
    assert.deepEqual(cgroupProcsFiles(procCgroup, parseHierarchyMounts(MOUNTINFO)), [
      '/sys/fs/cgroup/systemd/rocklet.slice/rocklet-web.slice/rocklet-web_main.service/cgroup.procs',
      // The memory mount shows /machine/box at its top.
      '/sys/fs/cgroup/memory/rocklet.slice/rocklet-web_main.service/cgroup.procs',
      '/sys/fs/cgroup/cpu,cpuacct/cgroup.procs',
      '/sys/fs/cgroup/unified/rocklet.slice/rocklet-web.slice/rocklet-web_main.service/cgroup.procs',
    ]);
    // A cgroup outside what the mount shows (above its root) cannot be joined through it.
    assert.deepEqual(cgroupProcsFiles('4:memory:/elsewhere\n', parseHierarchyMounts(MOUNTINFO)), []);
  });

  it('reads a running container\'s cgroups from its init\'s /proc/PID/cgroup; a run\'s target keeps the first answer that has them', async () => {
    const tmp = await makeTempDir('container-cgroups-cache');
    try {
      const crunRoot = path.join(tmp.path, 'crun');
      const cached = cachedCgroupProcs(crunRoot, 'c1');
      assert.deepEqual(await cached(), [], 'not started yet: nothing, and nothing kept');
      await mkdir(path.join(crunRoot, 'c1'), { recursive: true });
      // This process stands in for the container's init.
      await writeFile(path.join(crunRoot, 'c1', 'status'), JSON.stringify({ pid: process.pid, bundle: '/x' }));
      const expected = cgroupProcsFiles(await readFile('/proc/self/cgroup', 'utf8'), parseHierarchyMounts(await readFile('/proc/self/mountinfo', 'utf8')));
      assert.ok(expected.length > 0);
      assert.deepEqual(await containerCgroupProcs(crunRoot, 'c1'), expected);
      assert.deepEqual(await cached(), expected);
      await rm(path.join(crunRoot, 'c1'), { recursive: true });
      assert.deepEqual(await cached(), expected, 'kept for the run');
      assert.deepEqual(await containerCgroupProcs(crunRoot, 'c1'), [], 'read afresh: gone');
    } finally {
      await tmp.remove();
    }
  });

  it('has no cgroups for a container crun does not know (crun exec then says why)', async () => {
    const tmp = await makeTempDir('container-cgroups');
    try {
      assert.deepEqual(await containerCgroupProcs(path.join(tmp.path, 'crun'), 'no-such-container'), []);
    } finally {
      await tmp.remove();
    }
  });
});
