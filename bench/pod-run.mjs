// `rocklet run` of /bin/true vs `crun run` vs `podman run --rm` (an ACI and a Docker image), side by side, then the resident memory of a running pod.
// Usage: npm run build && node bench/pod-run.mjs [runs=20]   (needs root, crun, podman)
//
// Everything runs INSIDE one private test systemd with its own network namespace (crun needs a
// systemd it owns on these hybrid-cgroup hosts; the namespace keeps rocklet0, cni-podman0, the
// nft/iptables rules and the veths off the host). All three start /bin/true from the same
// busybox rootfs (the harness's static busybox):
//   rocklet  `rocklet run --net=none|default bench.rocklet/true:1.0.0` — an ACI whose exec is
//            /bin/true, built with buildAci and imported with `rocklet fetch` beforehand; each run
//            is the whole CLI: node start-up, prepare (plan, overlay, bundle), pod up, crun, down.
//   crun     `crun run` of one bundle made once with prepareApp (overlay rootfs, new netns, the
//            same capabilities/seccomp/masked paths rocklet writes); the same in both network rounds.
//   podman   `podman run --rm --network none|bridge --rootfs <busybox rootfs> /bin/true`, storage
//            and run state in temp dirs, events off, CNI configs and leases in the temp dir, runc
//            and lowered rlimits (lib/podman.mjs says why these VMs need them).
//   `rocklet version` is timed alongside, for scale: the CLI's floor (node start-up), no pod.
// A Node process inside the instance times each command (spawn to exit), rotating the order every
// round; `rocklet gc --grace-period=0s` runs between rounds, untimed. Then phase 2: a two-app pod
// whose apps sleep, once standalone (`rocklet run-prepared`, rocklet is the foreground supervisor)
// and once as transient units (sandbox unit + one unit per app, crun resident, unit-plan.ts), and
// the RSS/PSS of every process of the pod, by command.
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeFixture, podPlan } from '../dist/test/pod/runtime/fixture.js';
import { startRegistry, waitFor } from '../dist/test/harness/index.js';
import { buildOciImage, pushImage, setCommand } from '../dist/test/harness/oci-image.js';
import { connectSystemd, parseUnitName } from '../dist/src/systemd/index.js';
import { mountNamespaceOf, podStore, podUnits, prepareApp, removeAppDir } from '../dist/src/pod/index.js';
import { DEFAULT_CAPABILITIES } from '../dist/src/podfile/index.js';
import { ALTERNATING_RUNNER, median } from './lib/alternating.mjs';
import { TRUE_IMAGE, fetchTrueImage } from './lib/true-image.mjs';
import { guardHarnessBench } from './lib/harness-guard.mjs';
import { podmanInInstance } from './lib/podman.mjs';

await guardHarnessBench();

const runs = Number(process.argv[2] ?? 20);
/** A command on the host (outside the instance): its exit code and stderr. */
const runHost = (argv) => new Promise((resolve) => {
  execFile(argv[0], argv.slice(1), (error, _stdout, stderr) => resolve({ code: error === null ? 0 : (error.code ?? 1), stderr }));
});
const CLI = fileURLToPath(new URL('../dist/rocklet/main.js', import.meta.url));
const podIndex = fileURLToPath(new URL('../dist/src/pod/index.js', import.meta.url));
const IMAGE = TRUE_IMAGE;

const ms = (x) => `${x.toFixed(1)} ms`;

/** Host PIDs and parents, for walking a process tree. */
async function processTable() {
  const table = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').join(' ');
      table.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

function descendants(table, root) {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const p of table) if (p.ppid === out[i]) out.push(p.pid);
  return out;
}

/** RSS and PSS (kB) of `pids`, summed by a readable command label. */
async function memoryOf(pids) {
  const groups = new Map();
  for (const pid of pids) {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      const comm = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
      let label = comm;
      if (comm === 'node') label = `node (rocklet ${cmdline.find((a) => /^(run|run-prepared|pod|app)$/.test(a)) ?? '?'})`;
      else if (comm === 'sleep' && cmdline[1] === 'infinity') label = 'sleep infinity (lock holder)';
      else if (comm === 'sleep') label = 'sleep 1000 (the app)';
      else if (comm === 'crun') label = 'crun';
      const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      const g = groups.get(label) ?? { count: 0, rss: 0, pss: 0 };
      groups.set(label, { count: g.count + 1, rss: g.rss + rss, pss: g.pss + pss });
    } catch {
      // gone
    }
  }
  return groups;
}

function printMemory(title, groups, apps, side = "rocklet's side") {
  console.log(`\n${title}`);
  let rocklet = { rss: 0, pss: 0 };
  for (const [label, g] of [...groups].sort()) {
    console.log(`  ${label.padEnd(30)} x${g.count}  RSS ${(g.rss / 1024).toFixed(1).padStart(6)} MiB  PSS ${(g.pss / 1024).toFixed(1).padStart(6)} MiB`);
    if (!label.includes('(the app)')) rocklet = { rss: rocklet.rss + g.rss, pss: rocklet.pss + g.pss };
  }
  console.log(`  ${side} (all but the apps): RSS ${(rocklet.rss / 1024).toFixed(1)} MiB, PSS ${(rocklet.pss / 1024).toFixed(1)} MiB = ${(rocklet.pss / 1024 / apps).toFixed(2)} MiB PSS per app (${apps} apps)`);
}

const fx = await RuntimeFixture.create('bench-pod-run');
const ns = mountNamespaceOf(fx.sd.pid);
const crunPod = path.join(fx.tmp.path, 'crun-pod');
const runroot = `/run/rlbench-${process.pid}`; // in the instance's own /run; podman wants it short
let manager;
const units = [];
try {
  const { rootfs: busyboxRootfs } = await fetchTrueImage(fx);

  // crun's bundle: the same tree, rendered once.
  const prepared = await prepareApp(ns, {
    podDir: crunPod, app: 'bench', image: 'busybox', lowerDirs: [path.join(fx.dataDir, 'images/trees', fx.treeId, 'rootfs')], args: ['/bin/true'], env: [],
    capabilities: DEFAULT_CAPABILITIES, noNewPrivileges: true, readOnlyRootfs: false, seccomp: { kind: 'RuntimeDefault' },
    namespaces: { network: { kind: 'new' }, ipc: { kind: 'new' }, uts: { kind: 'new' } },
  });
  const { CrunRuntime } = await import(podIndex);
  const crunArgv = await new CrunRuntime({ root: '/run/rlbench-crun' }).runArgv('bench-crun', { bundle: prepared.dirs.dir });

  // podman: its own copy of the busybox rootfs; storage, state and CNI leases in temp dirs, and
  // the settings these VMs need (lib/podman.mjs).
  const podmanRootfs = path.join(fx.tmp.path, 'podman-rootfs');
  await cp(busyboxRootfs, podmanRootfs, { recursive: true, verbatimSymlinks: true });
  const podman = [...await podmanInInstance(fx, runroot), '--events-backend', 'none'];
  const rocklet = [process.execPath, CLI, '--dir', fx.dataDir];

  // The same /bin/true as a Docker/OCI image (issue 13): an OCI layout pushed to a loopback
  // docker-registry, fetched by rocklet from the host (the instance has its own network
  // namespace), and loaded into podman from a docker-archive of the same layout: one image,
  // each runtime's own store, run from the store with no fetch.
  const layout = path.join(fx.tmp.path, 'oci-layout');
  await buildOciImage(layout, { tag: 'true' });
  await setCommand(layout, 'true', { entrypoint: ['/bin/true'], cmd: [], newTag: 'true' });
  const registry = await startRegistry();
  const dockerImage = `docker://${registry.host}/bench/true:1`;
  const configDir = path.join(fx.tmp.path, 'docker-config');
  try {
    await pushImage(layout, 'true', `${registry.host}/bench/true:1`);
    await mkdir(configDir);
    await writeFile(path.join(configDir, 'config.yaml'), `registries:\n  "${registry.host}":\n    insecure: true\n`);
    const fetched = await runHost([...rocklet, '--config-dir', configDir, '--insecure-options=image', 'fetch', dockerImage]);
    if (fetched.code !== 0) throw new Error(`rocklet fetch ${dockerImage}: ${fetched.stderr}`);
  } finally {
    await registry.stop();
  }
  const podmanImage = 'localhost/bench/true:1';
  const archive = path.join(fx.tmp.path, 'true.docker.tar');
  const copied = await runHost(['skopeo', 'copy', '--quiet', `oci:${layout}:true`, `docker-archive:${archive}:${podmanImage}`]);
  if (copied.code !== 0) throw new Error(`skopeo copy to a docker-archive: ${copied.stderr}`);
  const loaded = await fx.exec([...podman, 'load', '--quiet', '--input', archive]);
  if (loaded.code !== 0) throw new Error(`podman load: ${loaded.stderr}`);

  const inner = path.join(fx.tmp.path, 'inner.mjs');
  await writeFile(inner, ALTERNATING_RUNNER);
  const results = {};
  for (const [mode, rockletNet, podmanNet] of [['none', 'none', 'none'], ['default', 'default', 'bridge']]) {
    const spec = {
      variants: {
        rocklet: [...rocklet, 'run', `--net=${rockletNet}`, IMAGE],
        crun: crunArgv,
        podman: [...podman, 'run', '--rm', '--network', podmanNet, '--rootfs', podmanRootfs, '/bin/true'],
        'rocklet, docker': [...rocklet, '--config-dir', configDir, 'run', `--net=${rockletNet}`, dockerImage],
        'podman, docker': [...podman, 'run', '--rm', '--network', podmanNet, podmanImage],
        // For scale: the CLI's floor (node start-up + the command table), no pod.
        'rocklet version': [...rocklet, 'version'],
      },
      rounds: runs,
      warmups: 2,
      between: [...rocklet, 'gc', '--grace-period=0s'],
    };
    const out = await fx.sd.exec([process.execPath, inner, JSON.stringify(spec)], { timeoutMs: 3_600_000 });
    if (out.code !== 0) throw new Error(`inner benchmark (${mode}) failed: ${out.stderr}`);
    results[mode] = JSON.parse(out.stdout);
  }

  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`/bin/true on one busybox rootfs, inside a ${fx.sd.mode} test systemd (own netns), n=${runs} per variant, alternating; load ${load}`);
  for (const [mode, times] of Object.entries(results)) {
    console.log(`\nnetwork ${mode} (rocklet --net=${mode === 'none' ? 'none' : 'default'}, podman --network ${mode === 'none' ? 'none' : 'bridge'}, crun: new netns)`);
    for (const [label, xs] of Object.entries(times)) {
      console.log(`  ${label.padEnd(16)} median ${ms(median(xs)).padStart(9)}  (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))})`);
    }
    console.log(`  ratio rocklet/crun ${(median(times.rocklet) / median(times.crun)).toFixed(1)}x, rocklet/podman ${(median(times.rocklet) / median(times.podman)).toFixed(2)}x; a Docker image: rocklet/podman ${(median(times['rocklet, docker']) / median(times['podman, docker'])).toFixed(2)}x`);
  }

  // Phase 2: memory of a running two-app pod (apps: busybox sleep), standalone and as units.
  const sleepers = () => podPlan(['one', 'two'].map((name) => fx.app(name, ['sleep', '1000'], { stopTimeoutSeconds: 1 })));
  const standalone = await fx.prepare(sleepers());
  const running = fx.rocklet(['run-prepared', standalone.uuid], { timeoutMs: 120_000 });
  try {
    const root = await waitFor(async () => {
      const table = await processTable();
      const supervisor = table.find((p) => p.cmdline.includes(CLI) && p.cmdline.includes(standalone.uuid) && !p.cmdline.startsWith('nsenter'));
      if (supervisor === undefined) return undefined;
      const tree = descendants(table, supervisor.pid);
      const apps = table.filter((p) => tree.includes(p.pid) && p.cmdline.startsWith('sleep 1000'));
      return apps.length === 2 ? tree : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    if (root === undefined) throw new Error('the standalone pod did not come up');
    await new Promise((resolve) => setTimeout(resolve, 500));
    printMemory(`standalone \`rocklet run-prepared\` of a two-app pod (apps: sleep 1000), --net=default: every process of rocklet's tree`, await memoryOf(descendants(await processTable(), root[0])), 2);
  } finally {
    await fx.rocklet(['stop', '--force', standalone.uuid]);
    await running;
  }

  manager = await connectSystemd({ address: fx.sd.busAddress });
  const plan = sleepers();
  const { uuid } = await fx.prepare(plan);
  const pod = podUnits({ uuid, plan, store: podStore(fx.dataDir), podName: `rlbench${process.pid}`, rocklet: fx.rockletArgv(), crun: '/usr/bin/crun', unitName: parseUnitName });
  units.push(pod.sandbox.name);
  if ((await manager.startTransientUnit(pod.sandbox.name, pod.sandbox.properties)).result !== 'done') throw new Error(await fx.sd.journal(pod.sandbox.name));
  for (const app of pod.apps) {
    units.push(app.name);
    if ((await manager.startTransientUnit(app.name, app.properties)).result !== 'done') throw new Error(await fx.sd.journal(app.name));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const pids = [];
  for (const unit of units) pids.push(...(await fx.sd.unitPids(unit)));
  printMemory(`the same pod as transient units (sandbox unit + ${pod.apps.length} app units, crun resident): every process in the units' cgroups`, await memoryOf(pids), pod.apps.length);

  // For scale: podman's resident side of one detached sleeping container (conmon).
  const started = await fx.sd.exec([...podman, 'run', '-d', '--network', 'none', '--rootfs', podmanRootfs, '/bin/sleep', '1000']);
  if (started.code === 0) {
    const id = started.stdout.trim();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const table = await processTable();
    const conmon = table.filter((p) => p.cmdline.startsWith('/usr/bin/conmon') && p.cmdline.includes(id));
    const tree = conmon.flatMap((p) => descendants(table, p.pid));
    const groups = await memoryOf(tree);
    printMemory('for scale: `podman run -d` of one sleeping container (conmon and its tree)', groups, 1, "podman's side");
    await fx.sd.exec([...podman, 'rm', '--force', '--time', '0', id]);
  } else {
    console.log(`podman run -d failed: ${started.stderr}`);
  }
} finally {
  for (const unit of units.reverse()) await manager?.stopUnit(unit).catch(() => undefined);
  await manager?.close();
  await removeAppDir(ns, crunPod, 'bench').catch(() => undefined);
  await fx.dispose(); // the instance's /run (podman's runroot) and netns go with it
}
