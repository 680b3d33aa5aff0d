/**
 * e2e: standalone `rocklet run` with the default stage1 (crun) on the machine itself, outside
 * every systemd — where a new user first tries it. On a hybrid-cgroup host whose cgroup2 root
 * lists a controller (this project's VMs: hugetlb), crun refuses every container unless rocklet
 * hides that list from it (src/pod/stage1/crun-cgroups.ts). The pods use `--net=none`, so the
 * machine's network is not touched; the data dir is a temp dir. Checks: the app runs, a memory
 * limit is applied in the app's v1 memory cgroup, and that cgroup is gone after the run.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crunCgroupView } from '../../src/pod/stage1/crun-cgroups.js';
import { CURRENT_MOUNT_NAMESPACE } from '../../src/pod/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir, waitFor } from '../harness/index.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import { runRocklet } from '../cli/run-cli.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const CGROUP_SUPER_MAGIC = 0x27e0eb;

/** Every cgroup dir (in any hierarchy, to depth 4) whose name starts with `prefix`. */
async function cgroupsNamed(prefix: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // a cgroup removed while we walk
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const child = path.join(dir, e.name);
      if (e.name.startsWith(prefix)) found.push(child);
      else if (depth < 4) await walk(child, depth + 1);
    }
  };
  await walk('/sys/fs/cgroup', 0);
  return found;
}

describe('e2e: rocklet run with crun on the machine itself (no systemd around it)', () => {
  let tmp: TempDir;
  let dataDir: string;
  before(async () => {
    tmp = await makeTempDir('run-host-cgroups');
    dataDir = path.join(tmp.path, 'data');
    const aci = path.join(tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'example.com/busybox', version: '1' });
    const fetched = await runRocklet(['--dir', dataDir, '--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
  });
  after(async () => {
    await runRocklet(['--dir', dataDir, 'gc', '--grace-period=0s']);
    await tmp?.remove();
  });

  it('runs an app with the default stage1 and returns its exit code', async () => {
    const view = await crunCgroupView(CURRENT_MOUNT_NAMESPACE);
    const result = await runRocklet(['--dir', dataDir, '--insecure-options=image', 'run', '--net=none', 'example.com/busybox:1', '--exec=/bin/sh', '--', '-c', 'echo hello; exit 3']);
    assert.equal(result.code, 3, `cgroup view ${JSON.stringify(view)}: ${result.stderr}`);
    assert.equal(result.stdout, 'hello\n');
  });

  it('refuses a memory limit where the cgroup tree has no memory controller, and runs without one', async (t) => {
    const memoryV1 = (await statfs('/sys/fs/cgroup/memory').then((fs) => fs.type, () => 0)) === CGROUP_SUPER_MAGIC;
    if (!memoryV1) {
      t.skip('no v1 memory hierarchy to hide on this host');
      return;
    }
    // A mount namespace of the test's own in which the memory hierarchy is not mounted: what a
    // host without the controller looks like to crun (which would run the app unlimited).
    const prefix = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'umount /sys/fs/cgroup/memory && exec "$0" "$@"'];
    const before = await runRocklet(['--dir', dataDir, 'list', '--no-legend']);
    const refused = await runRocklet(['--dir', dataDir, '--insecure-options=image', 'run', '--net=none', 'example.com/busybox:1', '--memory=48Mi', '--exec=/bin/true'], { prefix });
    assert.equal(refused.code, 254, refused.stderr);
    assert.match(refused.stderr, /app "busybox" asks for a memory limit, but this machine's cgroup tree has no memory controller/);
    assert.match(refused.stderr, /enable the memory controller/);
    assert.equal(refused.stdout, '');
    const after = await runRocklet(['--dir', dataDir, 'list', '--no-legend']);
    const uuids = (listed: string): string[] => listed.split('\n').map((line) => line.split(/\s+/)[0] ?? '').filter((uuid) => uuid !== '');
    assert.deepEqual(uuids(after.stdout), uuids(before.stdout), 'the pod run prepared for this run is gone again');
    const unlimited = await runRocklet(['--dir', dataDir, '--insecure-options=image', 'run', '--net=none', 'example.com/busybox:1', '--exec=/bin/sh', '--', '-c', 'echo ran'], { prefix });
    assert.equal(unlimited.code, 0, unlimited.stderr);
    assert.equal(unlimited.stdout, 'ran\n');
  });

  it('applies a memory limit in the app\'s own cgroup and removes that cgroup afterwards', async (t) => {
    const memoryV1 = await readFile('/proc/self/cgroup', 'utf8').then((text) => /^\d+:memory:/m.test(text));
    const unifiedRoot = (await statfs('/sys/fs/cgroup')).type === CGROUP2_SUPER_MAGIC;
    if (!memoryV1 && !unifiedRoot) {
      t.skip('no memory controller on this host');
      return;
    }
    const uuidFile = path.join(tmp.path, 'uuid');
    const flagDir = path.join(tmp.path, 'flag');
    await mkdir(flagDir);
    const limitFile = memoryV1 ? '/sys/fs/cgroup/memory/memory.limit_in_bytes' : '/sys/fs/cgroup/memory.max';
    // The app prints its limit, then waits for the test to have seen its cgroup.
    const running = runRocklet([
      '--dir', dataDir, '--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${uuidFile}`,
      `--volume=flag,kind=host,source=${flagDir}`,
      'example.com/busybox:1', '--memory=48Mi', '--mount=volume=flag,target=/flag', '--exec=/bin/sh', '--',
      '-c', `cat ${limitFile}; while [ ! -e /flag/seen ]; do sleep 0.05; done`,
    ]);
    let uuid = '';
    try {
      const cgroups = await waitFor(async () => {
        uuid = (await readFile(uuidFile, 'utf8').catch(() => '')).trim();
        if (uuid === '') return undefined;
        const dirs = await cgroupsNamed(uuid);
        return dirs.some((d) => d.includes('/memory') || unifiedRoot) ? dirs : undefined;
      }, { timeoutMs: 30_000, intervalMs: 50 });
      assert.ok(cgroups !== undefined, 'the app got a cgroup of its own, named after the pod');
    } finally {
      await writeFile(path.join(flagDir, 'seen'), '');
    }
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), String(48 * 1024 * 1024), 'the app sees the limit in its own memory cgroup');
    assert.match(uuid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await cgroupsNamed(uuid), [], 'crun removed the app\'s cgroup in every hierarchy');
  });
});
