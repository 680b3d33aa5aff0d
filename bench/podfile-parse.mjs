// Parse + validate throughput of pod files (BENCHMARKS.md: goal >= 2,000 files/s on one core).
// Usage: npx tsc -p tsconfig.json && node bench/podfile-parse.mjs [seconds]
// Measures parsePodFile (bytes -> validated PodSpec + spec hash) on a typical 60-line pod
// file (examples/web-and-logger.yaml), on the main thread only, after a warm-up.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { parsePodFile, readPodFile } from '../dist/src/podfile/index.js';

const seconds = Number(process.argv[2] ?? 3);
const file = new URL('../examples/web-and-logger.yaml', import.meta.url);
const bytes = readFileSync(file);
const lines = bytes.toString('utf8').trimEnd().split('\n').length;

function run(label, once) {
  for (let i = 0; i < 500; i++) once(); // warm-up: let the JIT settle
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) once();
    count += 100;
  }
  const elapsed = (performance.now() - start) / 1000;
  console.log(`${label}: ${Math.round(count / elapsed)} files/s (${count} files in ${elapsed.toFixed(2)} s, ${((elapsed / count) * 1e6).toFixed(0)} µs/file)`);
}

const check = parsePodFile(bytes, 'web-and-logger.yaml');
if (!check.ok) throw new Error('the benchmark file must be valid');
console.log(`file: examples/web-and-logger.yaml (${lines} lines, ${bytes.length} bytes), node ${process.version}`);
const text = bytes.toString('utf8');
// The floor: the yaml package alone (lexer, parser, composer), with no checks of ours.
run('yaml.parseAllDocuments alone', () => parseAllDocuments(text, { version: '1.1' }));
run('parse+validate (YAML)', () => parsePodFile(bytes, 'web-and-logger.yaml'));
const asJson = Buffer.from(JSON.stringify(parseAllDocuments(text)[0]?.toJS()));
run('parse+validate (same pod as JSON)', () => parsePodFile(asJson, 'web-and-logger.json'));

// With the file read from disk (open, fstat, read) for each parse, as the daemon does.
const t0 = performance.now();
const diskCount = 2000;
for (let i = 0; i < diskCount; i++) {
  await readPodFile(file.pathname);
}
const diskSeconds = (performance.now() - t0) / 1000;
console.log(`read+parse+validate from disk: ${Math.round(diskCount / diskSeconds)} files/s (${diskCount} files, sequential)`);
