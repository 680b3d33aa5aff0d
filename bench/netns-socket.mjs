// CPU of the calling process per util.netnsSocket (a TCP socket made inside a network namespace,
// what http/tcp/grpc probes use) plus its close, into a scratch network namespace.
// Usage: npm run build && node bench/netns-socket.mjs [calls=5000]   (root)
import { closeSync } from 'node:fs';
import { createNetns } from '../dist/test/harness/index.js';
import { netnsSocket } from '../dist/src/util/index.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();
const calls = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5000);
const ns = await createNetns();
try {
  const file = `/run/netns/${ns.name}`;
  for (let i = 0; i < 200; i++) closeSync(netnsSocket(file)); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) closeSync(netnsSocket(file));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  console.log(`netnsSocket + close: ${((cpu.user + cpu.system) / calls).toFixed(1)} µs of CPU, ${((wall * 1000) / calls).toFixed(1)} µs wall per call (${calls} calls)`);
} finally {
  await ns.remove();
}
