// `crun run` of /bin/true on one busybox bundle: through CrunRuntime vs raw crun (median of N, default 20).
// Usage: npx tsc -p tsconfig.json && node bench/stage1-crun.mjs [runs]   (needs root; boots a test systemd)
// Everything is measured INSIDE a private test systemd (crun cannot run outside one on hybrid-cgroup
// hosts): the bundle is prepared there with prepareApp (overlay rootfs), then one Node process inside
// the instance times, alternating, (a) CrunRuntime.run, (b) a bare spawn of the same `crun run`
// command line, and finally (c) hyperfine -N of the raw command line (no Node in the loop).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootTestSystemd, buildBusyboxRootfs, makeTempDir } from '../dist/test/harness/index.js';
import { mountNamespaceOf, prepareApp, removeAppDir } from '../dist/src/pod/index.js';
import { DEFAULT_CAPABILITIES } from '../dist/src/podfile/index.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();

const runs = Number(process.argv[2] ?? 20);
const podIndex = fileURLToPath(new URL('../dist/src/pod/index.js', import.meta.url));

const INNER = `
import { spawn } from 'node:child_process';
import { CrunRuntime } from ${JSON.stringify(podIndex)};
const [bundle, runs] = [process.argv[2], Number(process.argv[3])];
const crun = new CrunRuntime({ root: '/run/rocklet/crun-bench' });
const argv = await crun.runArgv('bench-raw', { bundle });
const raw = () => new Promise((resolve, reject) => {
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  child.on('error', reject);
  child.on('close', (code) => (code === 0 ? resolve() : reject(new Error('raw crun exited ' + code))));
});
const viaLib = async () => {
  const exit = await crun.run('bench-lib', { bundle, stdio: 'ignore' });
  if (exit.exitCode !== 0) throw new Error('CrunRuntime.run exited ' + exit.exitCode);
};
const time = async (fn) => { const t0 = performance.now(); await fn(); return performance.now() - t0; };
for (let i = 0; i < 3; i++) { await raw(); await viaLib(); }
const a = [], b = [];
for (let i = 0; i < runs; i++) { b.push(await time(raw)); a.push(await time(viaLib)); }
console.log(JSON.stringify({ lib: a, raw: b, argv }));
`;

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs) => `median ${median(xs).toFixed(2)} ms (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;

const tmp = await makeTempDir('bench-stage1');
const sd = await bootTestSystemd();
const ns = mountNamespaceOf(sd.pid);
const pod = path.join(tmp.path, 'pod');
try {
  const tree = path.join(tmp.path, 'tree/rootfs');
  await buildBusyboxRootfs(tree);
  const prepared = await prepareApp(ns, {
    podDir: pod, app: 'bench', image: 'busybox', lowerDirs: [tree], args: ['/bin/true'], env: [],
    capabilities: DEFAULT_CAPABILITIES, noNewPrivileges: true, readOnlyRootfs: false, seccomp: { kind: 'RuntimeDefault' },
    namespaces: { network: { kind: 'new' }, ipc: { kind: 'new' }, uts: { kind: 'new' } },
  });
  const script = path.join(tmp.path, 'inner.mjs');
  await writeFile(script, INNER);
  const inner = await sd.exec([process.execPath, script, prepared.dirs.dir, String(runs)], { timeoutMs: 600_000 });
  if (inner.code !== 0) throw new Error(`inner benchmark failed: ${inner.stderr}`);
  const { lib, raw, argv } = JSON.parse(inner.stdout);
  const hf = path.join(tmp.path, 'hyperfine.json');
  // hyperfine is optional (not a Debian 12 package); without it that row is left out.
  const hyper = await sd.exec(['hyperfine', '-N', '--warmup', '3', '--runs', String(runs), '--export-json', hf, argv.join(' ')], { timeoutMs: 600_000 });
  if (hyper.code !== 0 && !/No such file/.test(hyper.stderr)) throw new Error(`hyperfine failed: ${hyper.stderr}`);
  const hfResult = hyper.code === 0 ? JSON.parse(await (await import('node:fs/promises')).readFile(hf, 'utf8')).results[0] : undefined;
  console.log(`crun run /bin/true on one busybox overlay bundle, inside a ${sd.mode} test systemd, n=${runs}`);
  console.log(`CrunRuntime.run (spawn + --log file + checks): ${fmt(lib)}`);
  console.log(`raw crun run, spawned from Node:               ${fmt(raw)}`);
  if (hfResult !== undefined) console.log(`raw crun run, hyperfine -N:                    median ${(hfResult.median * 1000).toFixed(2)} ms (min ${(hfResult.min * 1000).toFixed(2)}, max ${(hfResult.max * 1000).toFixed(2)})`);
  console.log(`ratio CrunRuntime / raw spawn: ${(median(lib) / median(raw)).toFixed(2)}x`);
} finally {
  await removeAppDir(ns, pod, 'bench');
  await sd.stop();
  await tmp.remove();
}
