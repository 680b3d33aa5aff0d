/**
 * @module test/pod/store/worker — a separate process that acts on a pod store for the tests:
 * crash simulations (it is SIGKILLed while holding a lock) and races between processes.
 *
 * Usage: `node worker.js <op> <dataDir> [uuid]`. It prints one JSON line per step on stdout.
 * Ops that race wait for a line on stdin ("go") first, so both racers start together.
 */
import { createInterface } from 'node:readline';
import type { PodUuid } from '../../../src/pod/index.js';
import { createPod, gcPods, lockPreparedPod, markRunning, podStore, removePod } from '../../../src/pod/index.js';

const [op, dataDir, uuid] = process.argv.slice(2);
if (op === undefined || dataDir === undefined) throw new Error('usage: worker.js <op> <dataDir> [uuid]');
const store = podStore(dataDir);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function say(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function barrier(): Promise<void> {
  say({ ready: true });
  await lines.next();
}

/** Keep running (holding whatever lock was taken) until killed. */
let hanging = false;
function hang(): void {
  hanging = true;
  setInterval(() => undefined, 60_000);
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
}

switch (op) {
  case 'prepare-and-hang': {
    const pod = await createPod(store);
    say({ uuid: pod.uuid, dir: pod.dir });
    hang();
    break;
  }
  case 'run-and-hang': {
    const pod = await createPod(store);
    await markRunning(pod);
    say({ uuid: pod.uuid, dir: pod.dir });
    hang();
    break;
  }
  case 'run-prepared': {
    await barrier();
    try {
      const pod = await lockPreparedPod(store, uuid as PodUuid);
      say({ won: true, dir: pod.dir });
      hang();
    } catch (error) {
      say({ won: false, code: codeOf(error) });
    }
    break;
  }
  case 'gc': {
    await barrier();
    const result = await gcPods(store, { gracePeriodMs: 0 });
    say({ events: result.events.map((event) => ({ kind: event.kind, uuid: event.uuid })) });
    break;
  }
  case 'rm': {
    await barrier();
    try {
      await removePod(store, uuid as PodUuid);
      say({ removed: true });
    } catch (error) {
      say({ removed: false, code: codeOf(error) });
    }
    break;
  }
  default:
    throw new Error(`unknown op ${op}`);
}
if (!hanging) process.stdin.destroy();
