// Memory and time of verifying a detached signature over a large image (BENCHMARKS.md: memory
// must not grow with the image size). Usage: npm run build && node bench/trust-verify.mjs [sizeMB=1024]
// Makes a file of random data (the bytes openpgp hashes; it need not be a valid ACI), signs it
// with a fresh gpg key, trusts the key with `rocklet trust --root`, then verifies in a child
// process under /usr/bin/time -v (peak RSS), for sizeMB and for sizeMB/8 side by side.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGpgKey } from '../dist/test/harness/index.js';
import { useBenchCodeCache } from './lib/code-cache-dir.mjs';

useBenchCodeCache();

const run = promisify(execFile);
const sizeMb = Number(process.argv[2] ?? 1024);
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'dist/rocklet/main.js');

async function writeRandom(file, mb) {
  const out = createWriteStream(file);
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < mb; i += 1) {
    if (!out.write(block)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
}

const child = `
const { verifyImageSignature } = await import(${JSON.stringify(path.join(root, 'dist/src/image/index.js'))});
const { readFile } = await import('node:fs/promises');
const [configDir, image, sig] = process.argv.slice(1);
const started = performance.now();
const result = await verifyImageSignature(configDir, { imageName: 'example.com/bench', imagePath: image, armoredSignature: await readFile(sig, 'utf8'), signatureSource: sig });
console.log(JSON.stringify({ ms: performance.now() - started, fingerprint: result.fingerprint }));
`;

const dir = await mkdtemp(path.join(tmpdir(), 'rocklet-bench-verify-'));
const key = await createGpgKey();
try {
  const configDir = path.join(dir, 'config');
  const keyFile = path.join(dir, 'key.asc');
  await writeFile(keyFile, key.armoredPublicKey);
  await run(process.execPath, [cli, `--config-dir=${configDir}`, 'trust', '--root', '--skip-fingerprint-review', keyFile]);
  for (const mb of [Math.max(1, Math.round(sizeMb / 8)), sizeMb]) {
    const image = path.join(dir, `image-${mb}.bin`);
    await writeRandom(image, mb);
    const sig = await key.sign(image);
    const { stdout, stderr } = await run('/usr/bin/time', ['-v', process.execPath, '--input-type=module', '-e', child, configDir, image, sig], { maxBuffer: 1 << 20 });
    const { ms } = JSON.parse(stdout.trim().split('\n').at(-1));
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
    console.log(`${String(mb).padStart(5)} MiB: verify ${(ms / 1000).toFixed(2)} s (${(mb / (ms / 1000)).toFixed(0)} MiB/s), peak RSS ${(rssKb / 1024).toFixed(1)} MiB`);
    await rm(image);
  }
} finally {
  await key.remove();
  await rm(dir, { recursive: true, force: true });
}
