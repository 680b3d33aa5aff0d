import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { cgroupProcsRecursive, findNamedCgroups } from './cgroup.js';
import { execCommand } from './exec.js';
import { createNetns } from './netns.js';
import type { ProcessIdentity } from './proc.js';
import { errnoCode, identify, waitForExit } from './proc.js';
import { sweepStaleHarnessResources } from './testsd.js';
import { makeTempDir } from './tmp.js';

interface ChildReport {
  name: string;
  pid: number;
  dir: string;
  netns: string;
  tempDir: string;
}

// The "test runner" that gets killed: boots an instance, makes a netns and a temp dir, reports, waits.
const CHILD = `
const h = await import(${JSON.stringify(new URL('./index.js', import.meta.url).href)});
const sd = await h.bootTestSystemd();
const ns = await h.createNetns();
const tmp = await h.makeTempDir('crash');
process.stdout.write(JSON.stringify({ name: sd.name, pid: sd.pid, dir: sd.dir, netns: ns.name, tempDir: tmp.path }) + '\\n');
setInterval(() => {}, 60_000);
`;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function netnsNames(): Promise<string[]> {
  const list = await execCommand(['ip', 'netns', 'list']);
  return list.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

describe('a killed test runner', () => {
  it('takes its instance down; the sweep removes its cgroups, dir, netns and temp dir, and nothing of live runners', async (t) => {
    // Resources of this (live) runner that the sweep must not touch.
    const ownNetns = await createNetns();
    const ownTemp = await makeTempDir('live');
    t.after(async () => {
      await ownNetns.remove();
      await ownTemp.remove();
    });

    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout });
    const line = await Promise.race([
      once(lines, 'line').then(([first]) => first as string),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`child exited early (${String(code)})`))),
    ]);
    lines.close();
    const report = JSON.parse(line) as ChildReport;
    const systemd = await identify(report.pid);
    assert.ok(systemd !== undefined, 'the child booted an instance');
    const cgroups = await findNamedCgroups((base) => base === report.name);
    assert.ok(cgroups.length >= 1);
    const instanceProcs: ProcessIdentity[] = [];
    for (const cg of cgroups) {
      for (const pid of await cgroupProcsRecursive(cg.path)) {
        const id = await identify(pid);
        if (id !== undefined) instanceProcs.push(id);
      }
    }

    child.kill('SIGKILL');
    await once(child, 'exit');

    assert.equal(await waitForExit(systemd, 5_000), true, 'parent-death signal killed the instance PID 1');
    for (const id of instanceProcs) assert.equal(await waitForExit(id, 5_000), true, `instance process ${id.pid} died`);
    for (const cg of cgroups) assert.deepEqual(await cgroupProcsRecursive(cg.path), [], `${cg.path} is empty`);
    assert.ok(await exists(report.dir), 'the crash left the instance dir for the sweep');

    const removed = await sweepStaleHarnessResources();
    for (const cg of cgroups) {
      assert.ok(removed.includes(`cgroup:${cg.path}`), `sweep reports ${cg.path}`);
      assert.equal(await exists(cg.path), false);
    }
    assert.ok(removed.includes(`dir:${report.dir}`));
    assert.equal(await exists(report.dir), false);
    assert.ok(removed.includes(`netns:${report.netns}`));
    assert.ok(!(await netnsNames()).includes(report.netns));
    assert.ok(removed.includes(`dir:${report.tempDir}`));
    assert.equal(await exists(report.tempDir), false);

    assert.ok((await netnsNames()).includes(ownNetns.name), "a live runner's netns survives");
    assert.ok(await exists(ownTemp.path), "a live runner's temp dir survives");
    assert.ok(!removed.some((r) => r.includes(`-${process.pid}-`)), 'nothing of this runner was swept');
  });
});

after(async () => {
  // Nothing of this file's own runner may be left for someone else's sweep.
  assert.deepEqual((await netnsNames()).filter((n) => n.startsWith(`rltest-${process.pid}-`)), []);
});
