import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedQueue } from '../../src/daemon/index.js';

/** Lets pending promise callbacks and timers of this turn run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A handler whose runs block until released, recording what ran and how much ran at once. */
class Gate {
  readonly started: string[] = [];
  readonly finished: string[] = [];
  readonly active = new Map<string, number>();
  maxActive = 0;
  maxActivePerKey = 0;
  private readonly waiting: { key: string; release: () => void; fail: (error: Error) => void }[] = [];

  readonly handler = (key: string): Promise<void> => {
    this.started.push(key);
    this.active.set(key, (this.active.get(key) ?? 0) + 1);
    this.maxActivePerKey = Math.max(this.maxActivePerKey, this.active.get(key) ?? 0);
    this.maxActive = Math.max(this.maxActive, [...this.active.values()].reduce((a, b) => a + b, 0));
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.active.set(key, (this.active.get(key) ?? 1) - 1);
        this.finished.push(key);
      };
      this.waiting.push({ key, release: () => { done(); resolve(); }, fail: (error) => { done(); reject(error); } });
    });
  };

  get pending(): string[] {
    return this.waiting.map((w) => w.key);
  }

  /** Lets the oldest run of `key` finish (or fail). */
  async release(key: string, error?: Error): Promise<void> {
    const index = this.waiting.findIndex((w) => w.key === key);
    const entry = this.waiting[index];
    if (entry === undefined) assert.fail(`${key} is not running`);
    this.waiting.splice(index, 1);
    if (error === undefined) entry.release();
    else entry.fail(error);
    await settle();
  }
}

const noErrors = (key: string, error: unknown): void => assert.fail(`unexpected error for ${key}: ${String(error)}`);

describe('daemon/queue KeyedQueue', () => {
  it('runs a key once, and idle() resolves at once when empty', async () => {
    const calls: string[] = [];
    const queue = new KeyedQueue(async (key) => { calls.push(key); await settle(); }, 2, noErrors);
    await queue.idle();
    queue.add('a');
    assert.equal(queue.size, 1);
    await queue.idle();
    assert.deepEqual(calls, ['a']);
    assert.equal(queue.size, 0);
  });

  it('runs a key added while it runs exactly once more, afterwards', async () => {
    const gate = new Gate();
    const queue = new KeyedQueue(gate.handler, 4, noErrors);
    queue.add('a');
    await settle();
    assert.deepEqual(gate.started, ['a']);
    queue.add('a');
    queue.add('a');
    queue.add('a');
    await settle();
    assert.deepEqual(gate.started, ['a'], 'not run again while it runs');
    await gate.release('a');
    assert.deepEqual(gate.started, ['a', 'a'], 'runs once more after the first run');
    await gate.release('a');
    await queue.idle();
    assert.deepEqual(gate.started, ['a', 'a']);
    assert.equal(gate.maxActivePerKey, 1);
  });

  it('never runs one key twice at once, while other keys run alongside', async () => {
    const gate = new Gate();
    const queue = new KeyedQueue(gate.handler, 3, noErrors);
    for (let i = 0; i < 5; i++) {
      queue.add('a');
      queue.add('b');
      await settle();
      for (const key of gate.pending) await gate.release(key);
    }
    for (;;) {
      const [next] = gate.pending;
      if (next === undefined) break;
      await gate.release(next);
    }
    await queue.idle();
    assert.equal(gate.maxActivePerKey, 1);
    assert.equal(gate.maxActive, 2);
    assert.ok(gate.started.filter((k) => k === 'a').length >= 5);
  });

  it('runs at most `concurrency` keys at once, starting waiting keys as workers free up', async () => {
    const gate = new Gate();
    const queue = new KeyedQueue(gate.handler, 2, noErrors);
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await settle();
    assert.deepEqual(gate.started, ['a', 'b']);
    assert.equal(queue.size, 4);
    await gate.release('a');
    assert.deepEqual(gate.started, ['a', 'b', 'c']);
    await gate.release('c');
    assert.deepEqual(gate.started, ['a', 'b', 'c', 'd']);
    await gate.release('b');
    await gate.release('d');
    await queue.idle();
    assert.equal(gate.maxActive, 2);
    assert.deepEqual([...gate.finished].sort(), ['a', 'b', 'c', 'd']);
  });

  it('resolves idle() only when nothing is dirty or running', async () => {
    const gate = new Gate();
    const queue = new KeyedQueue(gate.handler, 1, noErrors);
    queue.add('a');
    queue.add('b');
    let idle = false;
    const waiting = queue.idle().then(() => { idle = true; });
    await settle();
    assert.equal(idle, false);
    await gate.release('a');
    assert.equal(idle, false, 'b still waits');
    assert.deepEqual(gate.pending, ['b']);
    queue.add('a');
    await gate.release('b');
    assert.equal(idle, false, 'a was added again');
    await gate.release('a');
    await waiting;
    assert.equal(idle, true);
    assert.equal(queue.size, 0);
  });

  it('passes handler errors to onError and keeps going', async () => {
    const errors: [string, unknown][] = [];
    const calls: string[] = [];
    const boom = new Error('boom');
    const queue = new KeyedQueue(async (key) => {
      calls.push(key);
      await settle();
      if (key === 'bad') throw boom;
    }, 1, (key, error) => errors.push([key, error]));
    queue.add('bad');
    queue.add('good');
    await queue.idle();
    assert.deepEqual(errors, [['bad', boom]]);
    assert.deepEqual(calls, ['bad', 'good']);
    queue.add('bad');
    await queue.idle();
    assert.equal(errors.length, 2);
    assert.deepEqual(calls, ['bad', 'good', 'bad']);
  });

  it('reports a synchronous throw of the handler through onError as well', async () => {
    const errors: string[] = [];
    const queue = new KeyedQueue((key) => { throw new Error(`sync ${key}`); }, 1, (_key, error) => errors.push((error as Error).message));
    queue.add('x');
    queue.add('y');
    await queue.idle();
    assert.deepEqual(errors, ['sync x', 'sync y']);
  });
});
