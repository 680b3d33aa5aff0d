import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exitCodeOf } from '../../../src/pod/index.js';
import type { UnitExecCommand } from '../../../src/pod/runtime/unit-scripts.js';
import { recordExit } from '../../../src/pod/runtime/unit-scripts.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';

/** Runs `command` as systemd would (its doubled `$` undone), with ExecStopPost='s environment. */
function runAsSystemd(command: UnitExecCommand, env: Readonly<Record<string, string>>): number | null {
  const argv = command.argv.map((arg) => arg.replaceAll('$$', '$'));
  const result = spawnSync(command.path, argv.slice(1), { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });
  assert.equal(result.stderr, '', `the script printed: ${result.stderr}`);
  return result.status;
}

async function recorded(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

describe('recordExit (an app unit\'s ExecStopPost= under the daemon)', () => {
  let tmp: TempDir;
  let dir: string;
  let status: string;
  let failed: string;
  let deleted: string;
  // Stands in for `crun delete --force ID`: a real program whose effect the test can see.
  const record = (file: string, prepareFailed: string): UnitExecCommand => recordExit(file, prepareFailed, { path: '/usr/bin/touch', argv: ['/usr/bin/touch', deleted] });
  before(async () => {
    tmp = await makeTempDir('record-exit');
    dir = tmp.path;
    await mkdir(path.join(dir, 'status'));
    status = path.join(dir, 'status', 'web');
    failed = path.join(dir, 'prepare-failed');
    deleted = path.join(dir, 'container-deleted');
  });
  after(async () => {
    await tmp.remove();
  });

  const cases: readonly (readonly [string | undefined, string | undefined])[] = [
    ['exited', '0'], ['exited', '3'], ['exited', '255'], ['exited', '300'], ['exited', '99999999999999999999'],
    ['killed', 'TERM'], ['killed', 'KILL'], ['killed', 'HUP'], ['dumped', 'SEGV'], ['dumped', 'ABRT'], ['killed', 'SYS'], ['killed', '9'],
    ['killed', 'RTMIN+3'], ['killed', ''], ['exited', ''], ['exited', 'x1'], [undefined, undefined],
  ];
  for (const [exitCode, exitStatus] of cases) {
    it(`EXIT_CODE=${String(exitCode)} EXIT_STATUS=${String(exitStatus)}: records what app cleanup would`, async () => {
      await rm(status, { force: true });
      await rm(deleted, { force: true });
      const env = { ...(exitCode === undefined ? {} : { EXIT_CODE: exitCode }), ...(exitStatus === undefined ? {} : { EXIT_STATUS: exitStatus }) };
      assert.equal(runAsSystemd(record(status, failed), env), 0);
      const expected = exitCodeOf({ kind: 'systemd', exitCode, exitStatus });
      assert.equal(await recorded(status), expected === undefined ? undefined : `${expected}\n`);
      assert.equal(await recorded(deleted), '', 'the container is deleted whatever the exit');
    });
  }

  it('replaces an earlier record (a restarted app)', async () => {
    await writeFile(status, '143\n');
    assert.equal(runAsSystemd(record(status, failed), { EXIT_CODE: 'exited', EXIT_STATUS: '7' }), 0);
    assert.equal(await recorded(status), '7\n');
  });

  it('records nothing after a failed prepare (the status is the prepare\'s, not the app\'s), but deletes the container', async () => {
    await writeFile(status, '0\n');
    await writeFile(failed, '');
    await rm(deleted, { force: true });
    try {
      assert.equal(runAsSystemd(record(status, failed), { EXIT_CODE: 'exited', EXIT_STATUS: '1' }), 0);
      assert.equal(await recorded(status), '0\n');
      assert.equal(await recorded(deleted), '', 'the container is deleted still');
    } finally {
      await rm(failed, { force: true });
    }
  });

  it('ends with 0 when the container is gone already (crun delete fails)', () => {
    const gone = recordExit(status, failed, { path: '/bin/false', argv: ['/bin/false'] });
    assert.equal(runAsSystemd(gone, { EXIT_CODE: 'exited', EXIT_STATUS: '0' }), 0);
  });

  it('quotes paths with spaces and quotes', async () => {
    const odd = path.join(dir, "it's here");
    await mkdir(odd);
    const file = path.join(odd, 'web');
    assert.equal(runAsSystemd(record(file, path.join(odd, 'prepare-failed')), { EXIT_CODE: 'killed', EXIT_STATUS: 'INT' }), 0);
    assert.equal(await recorded(file), '130\n');
  });
});
