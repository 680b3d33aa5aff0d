// Image import vs GNU tar (BENCHMARKS.md: import within 1.5x of `tar -xf`, peak RSS < 100 MB).
// Usage: npx tsc -p tsconfig.json && node bench/image-import.mjs [sizeMB=200] [runs=3] [--gzip]
// Generates an ACI (busybox-static + random-content files, ~sizeMB), then for each run:
//   - `tar -C fresh -xf ACI` (and the same followed by `sync -f`, since import makes its data
//     durable with one syncfs before committing), on the same filesystem as the store;
//   - ImageStore.importAci into a fresh store, in a child process under /usr/bin/time -v for
//     its peak RSS; the child reports the import's own duration (without Node start-up).
// Also measures SHA-512 hashing throughput (the image ID hash) on this machine.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { buildAci } from '../dist/src/image/index.js';

const run = promisify(execFile);
const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const sizeMb = Number(args[0] ?? 200);
const runs = Number(args[1] ?? 3);
const gzip = process.argv.includes('--gzip');
const imageModule = new URL('../dist/src/image/index.js', import.meta.url).href;

const work = await mkdtemp(path.join(tmpdir(), 'rocklet-bench-import-'));
try {
  // ~75% of the bytes in 1 MiB files, ~25% in 16 KiB files: a mix of big and small files.
  const image = path.join(work, 'image');
  const rootfs = path.join(image, 'rootfs');
  await mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  for (const applet of ['sh', 'ls', 'cat']) await symlink('busybox', path.join(rootfs, 'bin', applet));
  await link(path.join(rootfs, 'bin/busybox'), path.join(rootfs, 'bin/busybox.hard'));
  const bigCount = Math.round((sizeMb * 0.75));
  const smallCount = Math.round((sizeMb * 0.25 * 1024) / 16);
  await mkdir(path.join(rootfs, 'big'));
  for (let i = 0; i < bigCount; i++) await writeFile(path.join(rootfs, 'big', `f${i}`), randomBytes(1024 * 1024));
  for (let d = 0; d < Math.ceil(smallCount / 100); d++) {
    await mkdir(path.join(rootfs, 'small', `d${d}`), { recursive: true });
    for (let i = 0; i < 100 && d * 100 + i < smallCount; i++) {
      await writeFile(path.join(rootfs, 'small', `d${d}`, `f${i}`), randomBytes(16 * 1024));
    }
  }
  await writeFile(path.join(image, 'manifest'), JSON.stringify({
    acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/bench',
    labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    app: { exec: ['/bin/sh'], user: '0', group: '0' },
  }));
  const aci = path.join(work, gzip ? 'bench.aci.gz' : 'bench.aci');
  await buildAci(image, aci, { compression: gzip ? 'gzip' : 'none' });
  await rm(image, { recursive: true, force: true });
  const aciBytes = (await stat(aci)).size;
  console.log(`ACI: ${(aciBytes / 2 ** 20).toFixed(1)} MiB ${gzip ? 'gzip' : 'uncompressed'}, ${bigCount} x 1 MiB + ${smallCount} x 16 KiB files + busybox; node ${process.version}; ${runs} runs`);

  // Outputs are kept until the end: deleting hundreds of MB between runs makes ext4 (mounted
  // with `discard` here) slow for seconds afterwards and would skew whichever runs next.
  // Each measurement starts after a `sync`, and the order alternates between runs.
  const timeTar = async (r) => {
    const tarDest = path.join(work, `tar-${r}`);
    await mkdir(tarDest);
    await run('sync', ['-f', work]);
    const start = performance.now();
    await run('tar', ['-C', tarDest, '-xf', aci]);
    const tarMs = performance.now() - start;
    await run('sync', ['-f', tarDest]);
    return { tarMs, tarSyncMs: performance.now() - start };
  };
  const timeImport = async (r) => {
    const store = path.join(work, `store-${r}`);
    const script = `import { ImageStore } from ${JSON.stringify(imageModule)};
const store = await ImageStore.open(${JSON.stringify(store)});
const t = performance.now();
await store.importAci(${JSON.stringify(aci)});
process.stdout.write(JSON.stringify({ ms: performance.now() - t }));`;
    await run('sync', ['-f', work]);
    const start = performance.now();
    const child = await run('/usr/bin/time', ['-v', process.execPath, '--input-type=module', '-e', script], { maxBuffer: 1 << 20 });
    const wallMs = performance.now() - start;
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr)?.[1] ?? NaN);
    return { importMs: JSON.parse(child.stdout).ms, wallMs, rssMb: rssKb / 1024 };
  };
  const results = [];
  for (let r = 0; r < runs; r++) {
    const [first, second] = r % 2 === 0 ? [await timeTar(r), await timeImport(r)] : [await timeImport(r), await timeTar(r)];
    const x = { ...first, ...second };
    results.push(x);
    console.log(`run ${r + 1} (${r % 2 === 0 ? 'tar first' : 'import first'}): tar -xf ${x.tarMs.toFixed(0)} ms | tar -xf + sync ${x.tarSyncMs.toFixed(0)} ms | import ${x.importMs.toFixed(0)} ms (process ${x.wallMs.toFixed(0)} ms) | ratio ${(x.importMs / x.tarMs).toFixed(2)}x (${(x.importMs / x.tarSyncMs).toFixed(2)}x vs tar+sync) | peak RSS ${x.rssMb.toFixed(1)} MB`);
  }
  const median = (key) => results.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  console.log(`median: tar -xf ${median('tarMs').toFixed(0)} ms, tar -xf + sync ${median('tarSyncMs').toFixed(0)} ms, import ${median('importMs').toFixed(0)} ms -> ${(median('importMs') / median('tarMs')).toFixed(2)}x tar, ${(median('importMs') / median('tarSyncMs')).toFixed(2)}x tar+sync; peak RSS ${median('rssMb').toFixed(1)} MB`);

  const buffer = randomBytes(256 * 2 ** 20);
  createHash('sha512').update(buffer.subarray(0, 2 ** 20)).digest(); // warm-up
  const hashStart = performance.now();
  const hash = createHash('sha512');
  for (let i = 0; i < 4; i++) hash.update(buffer);
  hash.digest('hex');
  const seconds = (performance.now() - hashStart) / 1000;
  console.log(`SHA-512: ${(1024 / seconds).toFixed(0)} MiB/s (1 GiB in ${seconds.toFixed(2)} s, one core)`);
} finally {
  await rm(work, { recursive: true, force: true });
}
