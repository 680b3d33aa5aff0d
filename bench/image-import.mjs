// Image import vs GNU tar (BENCHMARKS.md: import within 1.5x of `tar -xf`, peak RSS < 100 MB).
// Usage: npx tsc -p tsconfig.json && node bench/image-import.mjs [sizeMB=200] [runs=3] [--gzip] [--dir=DIR]
//          [--baseline=DIST]   (DIST: another build's dist/ directory, e.g. of the last commit, timed alongside)
// Generates an ACI (busybox-static + random-content files, ~sizeMB) in a fresh directory under
// DIR (default: the OS temp dir; --dir=/dev/shm measures on tmpfs, i.e. CPU only), then for
// each run:
//   - `tar -C fresh -xf ACI` (and the same followed by `sync -f`, for comparison with a
//     durable result), on the same filesystem as the store, then `sha512sum ACI`: the hash an
//     import cannot skip (the image ID), alone;
//   - ImageStore.importAci into a fresh store, in a child process under /usr/bin/time -v for
//     its peak RSS; the child reports the import's own duration and CPU time (all threads,
//     without Node start-up).
// Also measures SHA-512 (image ID) and SHA-256 (tree hash) throughput on one core: the first
// bounds how fast an import can be, whatever the I/O (the second is paid at the first verify).
// Wall times on a shared VM are noisy: compare the medians, and the CPU times (user + sys,
// all threads), which other load disturbs less. On ext4, file creation cost varies a lot by
// directory (inode group): keep --dir the same when comparing.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildAci } from '../dist/src/image/index.js';

const run = promisify(execFile);
const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const sizeMb = Number(args[0] ?? 200);
const runs = Number(args[1] ?? 3);
const gzip = process.argv.includes('--gzip');
const baseDir = process.argv.find((arg) => arg.startsWith('--dir='))?.slice('--dir='.length) ?? tmpdir();
const imageModule = new URL('../dist/src/image/index.js', import.meta.url).href;
const baselineDist = process.argv.find((arg) => arg.startsWith('--baseline='))?.slice('--baseline='.length);
const baselineModule = baselineDist === undefined ? undefined : pathToFileURL(path.resolve(baselineDist, 'src/image/index.js')).href;

const work = await mkdtemp(path.join(baseDir, 'rocklet-bench-import-'));
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
  const { stdout: fsType } = await run('stat', ['-f', '-c', '%T', work]);
  console.log(`ACI: ${(aciBytes / 2 ** 20).toFixed(1)} MiB ${gzip ? 'gzip' : 'uncompressed'}, ${bigCount} x 1 MiB + ${smallCount} x 16 KiB files + busybox; in ${work} (${fsType.trim()}); node ${process.version}; ${runs} runs; load average ${loadavg()[0].toFixed(2)}`);

  // Two artifacts of this VM skew runs unless handled:
  // - ext4 will not reuse an inode freed in the last 60-300 s and scans past such inodes, so
  //   creating files near a recent mass delete is 10-30x slower (perf: recently_deleted() in
  //   ext4_create). Outputs are therefore kept until the end, never deleted between runs.
  // - the first touch of guest memory is slow (host page faults): kept outputs make each run
  //   take fresh pages, which made later runs of tar and import alike up to 3x slower. Memory
  //   for all runs is touched once up front (written to tmpfs and freed).
  // A first, unreported run warms up. Each measurement starts after a `sync`; the order of
  // tar, import and baseline rotates between runs.
  const pretouch = path.join('/dev/shm', `rocklet-bench-pretouch-${process.pid}`);
  const pretouchBytes = Math.min((runs + 1) * 4 * aciBytes, 8 * 2 ** 30);
  await run('dd', ['if=/dev/zero', `of=${pretouch}`, 'bs=1M', `count=${Math.ceil(pretouchBytes / 2 ** 20)}`]).finally(() => rm(pretouch, { force: true }));
  const timeTar = async (r) => {
    const tarDest = path.join(work, `tar-${r}`);
    await mkdir(tarDest);
    await run('sync', ['-f', work]);
    const start = performance.now();
    const tar = await run('/usr/bin/time', ['-f', '%U %S', 'tar', '-C', tarDest, '-xf', aci]);
    const tarMs = performance.now() - start;
    await run('sync', ['-f', tarDest]);
    const tarSyncMs = performance.now() - start;
    const [user, sys] = tar.stderr.trim().split(/\s+/).slice(-2).map(Number);
    // The floor under any import: the SHA-512 of the whole tar (the image ID) by coreutils.
    const hashStart = performance.now();
    await run('sha512sum', [aci]);
    return { tarMs, tarSyncMs, tarCpuMs: (user + sys) * 1000, sha512sumMs: performance.now() - hashStart };
  };
  const timeImport = async (r, module = imageModule, label = 'store') => {
    const store = path.join(work, `${label}-${r}`);
    const script = `import { ImageStore } from ${JSON.stringify(module)};
const store = await ImageStore.open(${JSON.stringify(store)});
const t = performance.now();
const cpu = process.cpuUsage();
await store.importAci(${JSON.stringify(aci)});
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 }));`;
    await run('sync', ['-f', work]);
    const start = performance.now();
    const child = await run('/usr/bin/time', ['-v', process.execPath, '--input-type=module', '-e', script], { maxBuffer: 1 << 20 });
    const wallMs = performance.now() - start;
    const field = (name) => Number(new RegExp(`${name}: ([\\d.]+)`).exec(child.stderr)?.[1] ?? NaN);
    const rssKb = field('Maximum resident set size \\(kbytes\\)');
    const { ms, cpuMs } = JSON.parse(child.stdout);
    return { importMs: ms, wallMs, rssMb: rssKb / 1024, cpuMs };
  };
  const results = [];
  for (let r = -1; r < runs; r++) {
    // The order rotates every round, so no command always runs first or right after another.
    const steps = [
      ['tar', () => timeTar(r)],
      ['import', () => timeImport(r)],
      ...(baselineModule === undefined ? [] : [['baseline', async () => {
        const base = await timeImport(r, baselineModule, 'baseline');
        return { baseMs: base.importMs, baseCpuMs: base.cpuMs, baseRssMb: base.rssMb };
      }]]),
    ];
    const shift = ((r % steps.length) + steps.length) % steps.length;
    const order = [...steps.slice(shift), ...steps.slice(0, shift)];
    const x = {};
    for (const [, step] of order) Object.assign(x, await step());
    if (r < 0) continue;
    results.push(x);
    console.log(`run ${r + 1} (${order.map(([name]) => name).join(', ')}): tar -xf ${x.tarMs.toFixed(0)} ms (cpu ${x.tarCpuMs.toFixed(0)}) | sha512sum ${x.sha512sumMs.toFixed(0)} ms | tar -xf + sync ${x.tarSyncMs.toFixed(0)} ms | import ${x.importMs.toFixed(0)} ms (process ${x.wallMs.toFixed(0)} ms, cpu ${x.cpuMs.toFixed(0)}) | ratio ${(x.importMs / x.tarMs).toFixed(2)}x (${(x.importMs / x.tarSyncMs).toFixed(2)}x vs tar+sync) | peak RSS ${x.rssMb.toFixed(1)} MB${x.baseMs === undefined ? '' : ` | baseline import ${x.baseMs.toFixed(0)} ms (cpu ${x.baseCpuMs.toFixed(0)}, RSS ${x.baseRssMb.toFixed(1)} MB)`}`);
  }
  const median = (key) => results.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  const peak = Math.max(...results.map((x) => x.rssMb));
  console.log(`median: tar -xf ${median('tarMs').toFixed(0)} ms, sha512sum ${median('sha512sumMs').toFixed(0)} ms (${(median('sha512sumMs') / median('tarMs')).toFixed(2)}x tar), tar -xf + sync ${median('tarSyncMs').toFixed(0)} ms, import ${median('importMs').toFixed(0)} ms -> ${(median('importMs') / median('tarMs')).toFixed(2)}x tar, ${(median('importMs') / median('tarSyncMs')).toFixed(2)}x tar+sync; cpu tar ${median('tarCpuMs').toFixed(0)} ms, import ${median('cpuMs').toFixed(0)} ms; peak RSS median ${median('rssMb').toFixed(1)} MB, max ${peak.toFixed(1)} MB`);
  console.log(`peak RSS goal (< 100 MB, ${gzip ? 'gzip' : 'uncompressed'}): ${peak < 100 ? 'met' : 'NOT met'} (max ${peak.toFixed(1)} MB)`);
  if (baselineModule !== undefined) {
    console.log(`baseline (${baselineDist}): import ${median('baseMs').toFixed(0)} ms -> ${(median('baseMs') / median('tarMs')).toFixed(2)}x tar, ${(median('baseMs') / median('tarSyncMs')).toFixed(2)}x tar+sync; cpu ${median('baseCpuMs').toFixed(0)} ms; peak RSS median ${median('baseRssMb').toFixed(1)} MB, max ${Math.max(...results.map((x) => x.baseRssMb)).toFixed(1)} MB`);
  }

  const buffer = randomBytes(256 * 2 ** 20);
  const throughput = (algorithm) => {
    createHash(algorithm).update(buffer.subarray(0, 2 ** 20)).digest(); // warm-up
    const start = performance.now();
    const hash = createHash(algorithm);
    for (let i = 0; i < 4; i++) hash.update(buffer);
    hash.digest('hex');
    return 1024 / ((performance.now() - start) / 1000);
  };
  const sha512 = throughput('sha512');
  const sha256 = throughput('sha256');
  const tarMiB = aciBytes / 2 ** 20;
  console.log(`SHA-512: ${sha512.toFixed(0)} MiB/s, SHA-256: ${sha256.toFixed(0)} MiB/s (one core each); hashing this image at import (SHA-512 of the tar) takes ${(1000 * tarMiB / sha512).toFixed(0)} ms of CPU; the SHA-256 of its files (tree hash, at the first verify) ${(1000 * tarMiB / sha256).toFixed(0)} ms`);
} finally {
  await rm(work, { recursive: true, force: true });
}
