/** Unit: which cgroup controllers a pod's limits need, and what this machine offers. */
import assert from 'node:assert/strict';
import { readFile, statfs } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { CURRENT_MOUNT_NAMESPACE, assertLimitControllers, availableControllers, missingControllerError } from '../../../src/pod/index.js';
import { isRockletError } from '../../../src/util/index.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

describe('pod/stage1/cgroup-controllers', () => {
  it('names the first limit whose controller is missing, with what the machine has', () => {
    const error = missingControllerError(
      [{ name: 'a', resources: {} }, { name: 'b', resources: { cpuMillicores: 500, memoryBytes: 1 << 26, pids: 64 } }],
      new Set(['pids', 'cpu', 'hugetlb']),
    );
    assert.ok(isRockletError(error));
    assert.equal(error.code, 'ERR_CGROUP_CONTROLLER_MISSING');
    assert.equal(error.exitCode, 254);
    assert.equal(error.message, 'app "b" asks for a memory limit, but this machine\'s cgroup tree has no memory controller (it has: cpu, hugetlb, pids), so the limit could not be enforced');
    assert.match(error.hint ?? '', /enable the memory controller .*cgroup_enable=memory.*or remove the limit/);
  });

  it('maps each limit to its controller', () => {
    const cases: ReadonlyArray<readonly [Record<string, number>, string]> = [
      [{ memoryBytes: 1 }, 'memory limit.* no memory controller'],
      [{ cpuMillicores: 100 }, 'CPU limit.* no cpu controller'],
      [{ cpuShares: 512 }, 'CPU shares.* no cpu controller'],
      [{ pids: 100 }, 'pids limit.* no pids controller'],
    ];
    for (const [resources, expected] of cases) {
      const error = missingControllerError([{ name: 'x', resources }], new Set());
      assert.match(error?.message ?? '', new RegExp(expected));
      assert.match(error?.message ?? '', /\(it has: none\)/);
      assert.equal(missingControllerError([{ name: 'x', resources }], new Set(['memory', 'cpu', 'pids'])), undefined);
    }
  });

  it('has nothing to say about apps without limits, whatever the machine offers', async () => {
    assert.equal(missingControllerError([{ name: 'x' }, { name: 'y', resources: {} }], new Set()), undefined);
    await assertLimitControllers({ enter: [], root: '/nonexistent-root', mountinfo: '/nonexistent' }, [{ name: 'x', resources: {} }]);
  });

  it('reads the controllers of this machine the way /proc/self/cgroup shows them', async () => {
    const available = await availableControllers(CURRENT_MOUNT_NAMESPACE);
    if ((await statfs('/sys/fs/cgroup')).type === CGROUP2_SUPER_MAGIC) {
      const listed = (await readFile('/sys/fs/cgroup/cgroup.controllers', 'utf8')).split(/\s+/).filter((c) => c !== '');
      assert.deepEqual([...available].sort(), listed.sort());
      return;
    }
    // v1 (or hybrid): every hierarchy this process is in names its controllers in /proc/self/cgroup.
    const v1 = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').flatMap((line) => (line.split(':')[1] ?? '').split(','))
      .filter((c) => c !== '' && !c.startsWith('name='));
    for (const controller of v1) assert.ok(available.has(controller), `${controller} in ${[...available].join(',')}`);
    assert.ok(!available.has('systemd') && !available.has('unified'), 'hierarchy names that are no controllers are left out');
  });

  it('finds no controller where nothing is mounted at /sys/fs/cgroup', async () => {
    assert.deepEqual([...(await availableControllers({ enter: [], root: '/nonexistent-root', mountinfo: '/nonexistent' }))], []);
  });
});
