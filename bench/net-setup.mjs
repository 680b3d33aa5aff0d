#!/usr/bin/env node
// Measures pod network setup and teardown (createPodNetwork / destroyPodNetwork) per mode.
// Runs entirely inside a fake host netns bound to a file in a temp dir, so the machine's real
// network is never touched; everything is removed at the end (also on failure).
// Usage (as root, after `npx tsc -p tsconfig.json`): node bench/net-setup.mjs [cycles=50]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createPodNetwork,
  destroyPodNetwork,
  ensureNetnsFile,
  hostNetnsAt,
  parseNetworkConfig,
  parsePodId,
  parsePortForward,
} from '../dist/src/net/index.js';

const cycles = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(path.join(tmpdir(), `rltest-net-${process.pid}-bench-`));
const hostFile = path.join(dir, 'host.netns');
const config = parseNetworkConfig({ leaseDir: path.join(dir, 'leases'), netnsDir: path.join(dir, 'netns') });

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms`;
}

async function measure(label, mode, ports) {
  const up = [];
  const down = [];
  for (let i = 0; i < cycles; i++) {
    const podId = parsePodId(`bench-${mode}-${i}`);
    let t = performance.now();
    await createPodNetwork(config, host, podId, { mode, ports });
    up.push(performance.now() - t);
    t = performance.now();
    await destroyPodNetwork(config, host, podId);
    down.push(performance.now() - t);
  }
  console.log(`${label.padEnd(28)} setup ${stats(up)} | teardown ${stats(down)}`);
}

function cleanup() {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .reverse();
  for (const mount of mounts) execFileSync('umount', ['--lazy', mount]);
  rmSync(dir, { recursive: true, force: true });
}

let host;
try {
  await ensureNetnsFile(hostFile);
  execFileSync('nsenter', [`--net=${hostFile}`, 'ip', 'link', 'set', 'lo', 'up']);
  host = hostNetnsAt(hostFile);
  console.log(`pod network setup/teardown, ${cycles} cycles each, fake host netns (tools run via nsenter)`);
  await measure('none', 'none', []);
  await measure('default, no ports', 'default', []);
  await measure('default, tcp+udp forwards', 'default', [
    parsePortForward({ hostPort: 8080, podPort: 80 }),
    parsePortForward({ protocol: 'udp', hostPort: 8053, podPort: 53 }),
  ]);
} finally {
  cleanup();
}
