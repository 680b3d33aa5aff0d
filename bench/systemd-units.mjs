// Benchmark of the systemd facade: StartTransientUnit → ActiveState=active latency (median of 50,
// sequential) and throughput with 32 starts in flight, each awaited to its finished start job.
//
//   node bench/systemd-units.mjs [--address unix:path=...] [--units 500] [--in-flight 32]
//
// Without --address it boots a private test systemd with the harness (needs root and a build:
// npx tsc -p tsconfig.json) and stops it afterwards. Prints a summary and one JSON line.
import { parseArgs } from 'node:util';
import { connectSystemd, parseUnitName } from '../dist/src/systemd/index.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    units: { type: 'string', default: '500' },
    'in-flight': { type: 'string', default: '32' },
    samples: { type: 'string', default: '50' },
  },
});
const total = Number(values.units);
const inFlight = Number(values['in-flight']);
const samples = Number(values.samples);

let instance;
let address = values.address;
if (address === undefined) {
  const { bootTestSystemd } = await import('../dist/test/harness/index.js');
  const t0 = performance.now();
  instance = await bootTestSystemd();
  console.log(`booted test systemd ${instance.name} (${instance.mode}) in ${(performance.now() - t0).toFixed(0)} ms`);
  address = instance.busAddress;
}

const manager = await connectSystemd({ address });
const prefix = `bench-${process.pid}`;
const started = [];

// Resolves when a PropertiesChanged says the unit is active: the moment a watcher would see it.
const activeWaiters = new Map();
manager.subscribe((event) => {
  if (event.type === 'unit-changed' && event.changes.activeState === 'active') {
    activeWaiters.get(event.unit)?.(performance.now());
    activeWaiters.delete(event.unit);
  }
});
const props = {
  execStart: [{ path: '/bin/sleep', argv: ['/bin/sleep', '1000'] }],
  collectMode: 'inactive-or-failed',
};

async function startOne(name) {
  const active = new Promise((resolve) => activeWaiters.set(name, resolve));
  const t0 = performance.now();
  const outcome = await manager.startTransientUnit(name, props);
  const tJob = performance.now();
  if (outcome.result !== 'done') throw new Error(`${name}: start job ${outcome.result}`);
  started.push(name);
  return { job: tJob - t0, active: (await active) - t0 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];

async function stopAll() {
  const names = started.splice(0);
  for (let i = 0; i < names.length; i += 64) {
    await Promise.all(names.slice(i, i + 64).map((n) => manager.stopUnit(n)));
  }
}

try {
  await startOne(parseUnitName(`${prefix}-warmup.service`)); // the first unit of an instance is slow
  const latencies = [];
  for (let i = 0; i < samples; i++) latencies.push(await startOne(parseUnitName(`${prefix}-lat-${i}.service`)));
  await stopAll();

  const names = Array.from({ length: total }, (_, i) => parseUnitName(`${prefix}-tp-${i}.service`));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < names.length) await startOne(names[next++]);
    }),
  );
  const elapsed = performance.now() - t0;
  const tStop = performance.now();
  await stopAll();
  const stopElapsed = performance.now() - tStop;

  const result = {
    address,
    mode: instance?.mode,
    latencyToActiveMs: { median: median(latencies.map((l) => l.active)), p90: p90(latencies.map((l) => l.active)), n: samples },
    latencyToJobDoneMs: { median: median(latencies.map((l) => l.job)), p90: p90(latencies.map((l) => l.job)) },
    throughput: { units: total, inFlight, seconds: elapsed / 1000, unitsPerSecond: total / (elapsed / 1000) },
    stopAllSeconds: stopElapsed / 1000,
  };
  console.log(
    `StartTransientUnit → active: median ${result.latencyToActiveMs.median.toFixed(2)} ms, p90 ${result.latencyToActiveMs.p90.toFixed(2)} ms (n=${samples})`,
  );
  console.log(`throughput: ${total} units, ${inFlight} in flight: ${result.throughput.unitsPerSecond.toFixed(0)} units/s`);
  console.log(`stop ${total} units, 64 in flight: ${stopElapsed.toFixed(0)} ms`);
  console.log(JSON.stringify(result));
} finally {
  await stopAll();
  await manager.close();
  await instance?.stop();
}
