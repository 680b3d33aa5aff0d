// Parse + validate throughput of pod files (BENCHMARKS.md: goal >= 2,000 files/s on one core).
// Usage: npx tsc -p tsconfig.json && taskset -c 0 node bench/podfile-parse.mjs [seconds] [baseline-dist]
// Measures parsePodFile (bytes -> validated PodSpec + spec hash) on a typical 60-line pod file
// (examples/web-and-logger.yaml), on the main thread only, after a warm-up. The variants run in
// alternating rounds in one process (the machine is shared and noisy); each line gives the median
// of the rounds and the range. `baseline-dist` is the dist/ directory of another build (e.g. an
// older commit, built from `git archive`) whose parsePodFile is measured beside this one.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DiagnosticSink } from '../dist/src/podfile/diagnostics.js';
import { parsePodFile, readPodFile } from '../dist/src/podfile/index.js';
import { parseYamlFast } from '../dist/src/podfile/yaml-fast.js';
import { parseYamlFull } from '../dist/src/podfile/yaml-source.js';

const seconds = Number(process.argv[2] ?? 3);
const baselineDist = process.argv[3];
const ROUNDS = 5;
const file = new URL('../examples/web-and-logger.yaml', import.meta.url);
const bytes = readFileSync(file);
const text = bytes.toString('utf8');
const lines = text.trimEnd().split('\n').length;

const check = parsePodFile(bytes, 'web-and-logger.yaml');
if (!check.ok) throw new Error('the benchmark file must be valid');
if (parseYamlFast(text) === undefined) throw new Error('the benchmark file must take the YAML fast path');
const asJson = Buffer.from(JSON.stringify(parseAllDocuments(text)[0]?.toJS()));

const variants = [
  // References: the yaml package's full pipeline, and our two YAML readers (text -> PodNode tree, no checks).
  ['yaml.parseAllDocuments alone', () => parseAllDocuments(text, { version: '1.1' })],
  ['YAML -> tree, full reader (yaml Document)', () => parseYamlFull(text, new DiagnosticSink('x'))],
  ['YAML -> tree, fast path (yaml Lexer)', () => parseYamlFast(text)],
  ['parse+validate (YAML)', () => parsePodFile(bytes, 'web-and-logger.yaml')],
  ['parse+validate (same pod as JSON)', () => parsePodFile(asJson, 'web-and-logger.json')],
];
if (baselineDist !== undefined) {
  const baseline = await import(pathToFileURL(resolve(baselineDist, 'src/podfile/index.js')).href);
  const result = baseline.parsePodFile(bytes, 'web-and-logger.yaml');
  if (!result.ok || result.hash !== check.hash) throw new Error('the baseline build must accept the file with the same hash');
  variants.push([`parse+validate (YAML), baseline ${baselineDist}`, () => baseline.parsePodFile(bytes, 'web-and-logger.yaml')]);
}

console.log(`file: examples/web-and-logger.yaml (${lines} lines, ${bytes.length} bytes), node ${process.version}, ${ROUNDS} rounds of ${((seconds / ROUNDS) * 1000).toFixed(0)} ms per variant`);
const rates = variants.map(() => []);
for (const [, once] of variants) for (let i = 0; i < 500; i++) once(); // warm-up: let the JIT settle
for (let round = 0; round < ROUNDS; round++) {
  variants.forEach(([, once], index) => {
    let count = 0;
    const start = performance.now();
    const end = start + (seconds * 1000) / ROUNDS;
    while (performance.now() < end) {
      for (let i = 0; i < 20; i++) once();
      count += 20;
    }
    rates[index].push(count / ((performance.now() - start) / 1000));
  });
}
variants.forEach(([label], index) => {
  const sorted = rates[index].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`${label}: ${Math.round(median)} files/s (${(1e6 / median).toFixed(0)} µs/file; rounds ${Math.round(sorted[0])}–${Math.round(sorted[sorted.length - 1])})`);
});

// With the file read from disk (open, fstat, read) for each parse, as the daemon does.
const t0 = performance.now();
const diskCount = 2000;
for (let i = 0; i < diskCount; i++) {
  await readPodFile(file.pathname);
}
const diskSeconds = (performance.now() - t0) / 1000;
console.log(`read+parse+validate from disk: ${Math.round(diskCount / diskSeconds)} files/s (${diskCount} files, sequential)`);
