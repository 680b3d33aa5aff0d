#!/usr/bin/env node
// Start-up cost of what a shell runs on every Tab (rocklet __complete) next to `rocklet version`:
// each command 10 times, interleaved, after 2 warm-up runs; median, min, max wall time. Run after npm run build.
import { spawnSync } from 'node:child_process';
import { useBenchCodeCache } from './lib/code-cache-dir.mjs';

useBenchCodeCache();
const cases = [['version'], ['__complete', '--', 'im'], ['__complete', '--', '--dir=/nonexistent', 'image', 'rm', 'ex']];
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
for (let round = 0; round < 2; round++) spawnSync(process.execPath, ['dist/rocklet/main.js', 'version']);
const times = cases.map(() => []);
for (let i = 0; i < 10; i++) for (const [j, args] of cases.entries()) { const t = process.hrtime.bigint(); spawnSync(process.execPath, ['dist/rocklet/main.js', ...args]); times[j].push(Number(process.hrtime.bigint() - t) / 1e6); }
for (const [j, args] of cases.entries()) console.log(`rocklet ${args.join(' ')}: median ${med(times[j]).toFixed(0)} ms (min ${Math.min(...times[j]).toFixed(0)}, max ${Math.max(...times[j]).toFixed(0)})`);
