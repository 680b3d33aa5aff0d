// Pull of a 5-layer image from a loopback docker-registry (BENCHMARKS.md, issue 13):
// `rocklet fetch docker://…` (download + verify + unpack every layer into its tree) vs
// `skopeo copy docker://… oci:DIR` (download + verify only), the same followed by `umoci raw
// unpack` (download + unpack, what rocklet does) and `podman pull` when installed,
// side by side in one run, alternating order, each into a fresh store / layout, each under
// /usr/bin/time -v for its peak RSS. Then a second image sharing 4 of the 5 layers: how much
// `rocklet fetch` downloads and how long it takes when the store has the first image.
// Usage: npm run build && node bench/registry-pull.mjs [layerMB=24] [runs=3]   (root: umoci)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { guardHarnessBench } from './lib/harness-guard.mjs';
import { median } from './lib/alternating.mjs';
import { startRegistry } from '../dist/test/harness/index.js';
import { addRawLayer, buildOciImage, pushImage } from '../dist/test/harness/oci-image.js';

const run = promisify(execFile);
const [layerMb = 24, runs = 3] = process.argv.slice(2).map(Number);
const CLI = new URL('../dist/rocklet/main.js', import.meta.url).pathname;

await guardHarnessBench();
const work = await mkdtemp(path.join(tmpdir(), 'rocklet-bench-pull-'));
const registry = await startRegistry();
try {
  // base (busybox) + 4 layers of random (incompressible) files: ~4 × layerMb + 1 MB.
  const layout = path.join(work, 'layout');
  await buildOciImage(layout, { tag: 'base' });
  const addLayer = async (tag, name, from) => {
    const dir = path.join(work, `layer-${name}`);
    await mkdir(path.join(dir, 'data', name), { recursive: true });
    for (let i = 0; i < layerMb; i++) await writeFile(path.join(dir, 'data', name, `f${i}`), randomBytes(2 ** 20));
    await run('tar', ['-C', dir, '-cf', `${dir}.tar`, 'data']);
    await addRawLayer(layout, from, `${dir}.tar`, tag);
    await rm(dir, { recursive: true, force: true });
  };
  await addLayer('l2', 'a', 'base');
  await addLayer('l3', 'b', 'l2');
  await addLayer('l4', 'c', 'l3');
  await addLayer('five', 'd', 'l4');
  await addLayer('other', 'e', 'l4'); // shares base + a + b + c with `five`
  await pushImage(layout, 'five', `${registry.host}/bench/five:1`);
  await pushImage(layout, 'other', `${registry.host}/bench/other:1`);
  const config = path.join(work, 'config');
  await mkdir(config);
  await writeFile(path.join(config, 'config.yaml'), `registries:\n  "${registry.host}":\n    insecure: true\n`);
  const { stdout: fs } = await run('stat', ['-f', '-c', '%T', work]);
  let podman = true;
  await run('podman', ['--version']).catch(() => (podman = false));
  console.log(`image: 5 layers, ~${4 * layerMb + 1} MiB (gzip of random data); registry ${registry.url}; ${fs.trim()} in ${work}; ${cpus().length} CPUs; node ${process.version}; load ${loadavg()[0].toFixed(2)}; ${runs} runs${podman ? '' : '; podman not installed'}`);

  let serial = 0;
  const timed = async (argv) => {
    await run('sync');
    const started = performance.now();
    const { stderr } = await run('/usr/bin/time', ['-v', ...argv], { maxBuffer: 64 * 2 ** 20 });
    const ms = performance.now() - started;
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) / 1024;
    return { ms, rss };
  };
  const variants = {
    'rocklet fetch': () => ['node', CLI, '--config-dir', config, '--dir', path.join(work, `data-${++serial}`), '--insecure-options=image', 'fetch', `docker://${registry.host}/bench/five:1`],
    'skopeo copy': () => ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${registry.host}/bench/five:1`, `oci:${path.join(work, `oci-${++serial}`)}:1`],
    // Download and unpack, as rocklet does: skopeo's copy, then umoci's unpack of every layer into one rootfs.
    'skopeo copy + umoci unpack': () => {
      const dir = path.join(work, `oci-${++serial}`);
      return ['sh', '-ec', `skopeo copy --quiet --src-tls-verify=false docker://${registry.host}/bench/five:1 oci:${dir}:1; umoci raw unpack --image ${dir}:1 ${dir}-rootfs`];
    },
    ...(podman ? { 'podman pull': () => ['podman', '--root', path.join(work, `podman-${++serial}`), 'pull', '--quiet', '--tls-verify=false', `${registry.host}/bench/five:1`] } : {}),
  };
  const labels = Object.keys(variants);
  const results = Object.fromEntries(labels.map((label) => [label, []]));
  for (let round = -1; round < runs; round++) {
    for (const label of labels.map((_, i) => labels[(i + Math.max(round, 0)) % labels.length])) {
      const result = await timed(variants[label]());
      if (round >= 0) results[label].push(result);
    }
  }
  const base = median(results['skopeo copy'].map((r) => r.ms));
  console.log('| command | median | ratio to skopeo copy | peak RSS (max) |');
  console.log('|---|---|---|---|');
  for (const label of labels) {
    const ms = median(results[label].map((r) => r.ms));
    console.log(`| ${label} | ${(ms / 1000).toFixed(2)} s | ${(ms / base).toFixed(2)}× | ${Math.max(...results[label].map((r) => r.rss)).toFixed(0)} MiB |`);
  }
  // The second image: only its fifth layer is new.
  const shared = [];
  for (let i = 0; i < runs; i++) {
    const data = path.join(work, `data-shared-${i}`);
    const argv = (image) => ['node', CLI, '--config-dir', config, '--dir', data, '--insecure-options=image', 'fetch', `docker://${registry.host}/bench/${image}:1`];
    await run(argv('five')[0], argv('five').slice(1));
    await run('sync');
    const started = performance.now();
    const { stderr } = await run(argv('other')[0], argv('other').slice(1));
    shared.push({ ms: performance.now() - started, downloads: (stderr.match(/downloading /g) ?? []).length });
  }
  console.log(`second image sharing 4 of 5 layers: median ${(median(shared.map((s) => s.ms)) / 1000).toFixed(2)} s, blobs downloaded: ${shared.map((s) => s.downloads).join(', ')} (of 5 layers)`);
} finally {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}
