import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { FileLock } from '../../src/util/index.js';
import { lockFile, tryLockFile, withLock } from '../../src/util/index.js';

const lockModuleUrl = new URL('../../src/util/lock.js', import.meta.url).href;

describe('file locks', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rocklet-lock-'));
  const held: FileLock[] = [];
  after(async () => {
    for (const lock of held) await lock.release();
    await rm(dir, { recursive: true, force: true });
  });
  const keep = (lock: FileLock | undefined): FileLock => {
    assert.ok(lock, 'expected the lock to be granted');
    held.push(lock);
    return lock;
  };

  it('grants many shared locks but no exclusive one beside them', async () => {
    const file = path.join(dir, 'shared');
    const a = keep(await tryLockFile(file, 'shared'));
    const b = keep(await tryLockFile(file, 'shared'));
    assert.equal(await tryLockFile(file, 'exclusive'), undefined);
    await a.release();
    assert.equal(await tryLockFile(file, 'exclusive'), undefined);
    await b.release();
    const c = keep(await tryLockFile(file, 'exclusive'));
    assert.equal(await tryLockFile(file, 'shared'), undefined);
    await c.release();
    await c.release(); // idempotent
  });

  it('makes a waiter wait until the holder releases', async () => {
    const file = path.join(dir, 'wait');
    const first = keep(await tryLockFile(file, 'exclusive'));
    let granted = false;
    const waiting = lockFile(file, 'exclusive').then((lock) => {
      granted = true;
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(granted, false);
    await first.release();
    keep(await waiting);
    assert.equal(granted, true);
  });

  it('stops waiting when the signal aborts', async () => {
    const file = path.join(dir, 'abort');
    keep(await tryLockFile(file, 'exclusive'));
    const controller = new AbortController();
    const waiting = lockFile(file, 'shared', { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await assert.rejects(waiting, { message: 'gave up' });
    const already = AbortSignal.abort(new Error('already'));
    await assert.rejects(lockFile(file, 'shared', { signal: already }), { message: 'already' });
  });

  it('withLock releases the lock when the function throws', async () => {
    const file = path.join(dir, 'with');
    await assert.rejects(
      withLock(file, 'exclusive', async () => {
        assert.equal(await tryLockFile(file, 'shared'), undefined);
        throw new Error('boom');
      }),
      { message: 'boom' },
    );
    const after = keep(await tryLockFile(file, 'exclusive'));
    await after.release();
    assert.equal(await withLock(file, 'shared', () => Promise.resolve(42)), 42);
  });

  it('loses the lock when the holding process is killed with SIGKILL', async () => {
    const file = path.join(dir, 'killed');
    const script = `import { lockFile } from ${JSON.stringify(lockModuleUrl)};
await lockFile(${JSON.stringify(file)}, 'exclusive');
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    assert.equal(chunk.toString(), 'locked\n');
    assert.equal(await tryLockFile(file, 'shared'), undefined);
    child.kill('SIGKILL');
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(code, null);
    assert.equal(signal, 'SIGKILL');
    const lock = keep(await tryLockFile(file, 'exclusive'));
    await lock.release();
  });
});
