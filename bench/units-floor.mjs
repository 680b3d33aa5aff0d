// The floor under "1,000 pod files → all Running": what systemd and crun alone cost on this
// machine for N containers, with no rocklet daemon in the loop.
// Usage: npm run build && node bench/units-floor.mjs [N=1000] [--in-flight=16] [--own-rootfs] [--rocklet-units]   (root, crun)
//
// Inside one private test systemd, in one run:
//   A. N transient services running /bin/sleep (systemd's own cost per unit start);
//   B. N pods' worth of what the daemon asks systemd for, minus the daemon: per pod a slice and
//      one service whose ExecStart is `crun run` of a busybox `sleep` bundle made by prepareApp
//      (the same config.json generator, capabilities and seccomp profile as a daemon pod; the
//      bundles share one overlay rootfs, as the daemon's pods share the image's lower dirs);
//   C. (--own-rootfs) as B, but each pod's bundle is made by its own prepareApp during the phase,
//      just before its unit starts, as the daemon does: one overlay mount per pod in systemd's
//      mount namespace (which systemd tracks as a .mount unit, and each crun copies);
//   D. (--rocklet-units) B's bundles under the units the daemon starts, as podUnits() makes them
//      (preparedByCaller): slice, a delegated oneshot sandbox with no ExecStart=, and the app unit
//      whose `sh` creates the first-start marker and execs crun. No holder is attached (the bench
//      lives outside the instance's PID namespace), no mount is made per pod.
// Each phase starts units with `--in-flight` start jobs outstanding (the daemon reconciles 16
// pods at once) and ends when every unit is active and, for B, when `crun list` shows every
// container running. Prints wall time and CPU per unit start of systemd (PID 1), dbus-daemon
// and the whole machine. Units are stopped and the instance torn down after each phase.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bootTestSystemd, buildBusyboxRootfs, makeTempDir } from '../dist/test/harness/index.js';
import { mountNamespaceOf, podUnits, prepareApp, removeAppDir } from '../dist/src/pod/index.js';
import { DEFAULT_CAPABILITIES } from '../dist/src/podfile/index.js';
import { connectSystemd, parseUnitName } from '../dist/src/systemd/index.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();
const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);
const inFlight = Number(process.argv.find((a) => a.startsWith('--in-flight='))?.slice('--in-flight='.length) ?? 16);
const CRUN_ROOT = '/run/rocklet-floor-crun';
const ownRootfs = process.argv.includes('--own-rootfs');
const rockletUnits = process.argv.includes('--rocklet-units');

async function ticksOf(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function busyTicks() {
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return user + nice + system + irq + softirq + steal;
}

async function costs(sd) {
  const [dbus] = await sd.unitPids('dbus.service');
  return { systemd: await ticksOf(sd.pid), 'dbus-daemon': dbus === undefined ? 0 : await ticksOf(dbus), 'this bench': await ticksOf(process.pid), machine: await busyTicks() };
}

/** Starts every unit (`inFlight` jobs outstanding), then waits for `settled()`; returns the figures. */
async function phase(sd, manager, units, settled) {
  const before = await costs(sd);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < units.length) {
      const unit = units[next++];
      await unit.before?.();
      const { name, props } = unit;
      const outcome = await manager.startTransientUnit(parseUnitName(name), props);
      if (outcome.result !== 'done') throw new Error(`${name}: start job ${outcome.result}`);
    }
  }));
  const jobsDone = performance.now() - t0;
  for (;;) {
    if (await settled()) break;
    if (performance.now() - t0 > 20 * 60_000) throw new Error('not settled after 20 min');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const wall = performance.now() - t0;
  const after = await costs(sd);
  const per = Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k] - before[k]) * 10) / units.length]));
  return { jobsDone, wall, per };
}

/** Teardown, not measured: SIGKILL first (a container's PID 1 ignores SIGTERM, so a plain stop waits out TimeoutStopSec=). */
async function stopAll(manager, names) {
  for (let i = 0; i < names.length; i += 64) {
    await Promise.all(names.slice(i, i + 64).map(async (n) => {
      await manager.killUnit(parseUnitName(n), 'all', 'SIGKILL').catch(() => {});
      // A killed unit may be gone already (collected).
      await manager.stopUnit(parseUnitName(n)).catch((error) => { if (error.code !== 'ERR_UNIT_NOT_FOUND') throw error; });
    }));
  }
}

function report(title, result) {
  const per = Object.entries(result.per).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ');
  console.log(`${title}: start jobs done ${(result.jobsDone / 1000).toFixed(1)} s, all running ${(result.wall / 1000).toFixed(1)} s; CPU per unit start: ${per}`);
}

const tmp = await makeTempDir('bench-units-floor');
const sd = await bootTestSystemd();
const ns = mountNamespaceOf(sd.pid);
const podDir = path.join(tmp.path, 'pod');
const manager = await connectSystemd({ address: sd.busAddress });
let appOptions;
try {
  const tree = path.join(tmp.path, 'tree/rootfs');
  await buildBusyboxRootfs(tree);
  appOptions = {
    app: 'main', image: 'busybox', lowerDirs: [tree], args: ['/bin/sleep', '100000'], env: [],
    capabilities: DEFAULT_CAPABILITIES, noNewPrivileges: true, readOnlyRootfs: false, seccomp: { kind: 'RuntimeDefault' },
    namespaces: { network: { kind: 'host' }, ipc: { kind: 'new' }, uts: { kind: 'new' } },
  };
  const prepared = await prepareApp(ns, { ...appOptions, podDir });
  const config = JSON.parse(await readFile(path.join(prepared.dirs.dir, 'config.json'), 'utf8'));
  if (!path.isAbsolute(config.root.path)) config.root.path = path.join(prepared.dirs.dir, config.root.path);
  const bundles = path.join(tmp.path, 'bundles');
  for (let i = 0; i < count; i++) {
    await mkdir(path.join(bundles, String(i)), { recursive: true });
    await writeFile(path.join(bundles, String(i), 'config.json'), JSON.stringify(config));
  }
  await copyFile(path.join(prepared.dirs.dir, 'config.json'), path.join(tmp.path, 'config.template.json'));

  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`${count} units, ${inFlight} start jobs in flight, one ${sd.mode} test systemd; load ${load}`);

  const sleepers = Array.from({ length: count }, (_, i) => ({
    name: `floor-sleep-${i}.service`,
    props: { execStart: [{ path: '/bin/sleep', argv: ['/bin/sleep', '100000'] }], collectMode: 'inactive-or-failed' },
  }));
  const a = await phase(sd, manager, sleepers, async () => true);
  report('A. /bin/sleep services', a);
  await stopAll(manager, sleepers.map((u) => u.name));

  const crunRun = (bundle, id) => ({ path: '/usr/bin/crun', argv: ['/usr/bin/crun', `--root=${CRUN_ROOT}`, '--cgroup-manager=disabled', 'run', `--bundle=${bundle}`, id] });
  /** settled() of a phase: every container whose id matches `ids` runs; a failed unit matching `units` ends the bench. */
  const allRunning = (ids, units) => async () => {
    const failed = await sd.exec(['systemctl', 'list-units', '--state=failed', '--no-legend', units]);
    if (failed.stdout.trim() !== '') throw new Error(`units failed:\n${failed.stdout}\n${(await sd.exec(['journalctl', '-n', '20', '--no-pager'])).stdout}`);
    const listed = await sd.exec(['crun', `--root=${CRUN_ROOT}`, 'list']);
    if (listed.code !== 0) return false;
    return listed.stdout.split('\n').filter((line) => new RegExp(`^${ids}\\s+\\d+\\s+running\\s`).test(line)).length >= count;
  };
  const pods = Array.from({ length: count }, (_, i) => ({
    name: `floor-pod-${i}.service`,
    props: {
      execStart: [crunRun(path.join(bundles, String(i)), `floor-${i}`)],
      slice: parseUnitName(`floor-pod-${i}.slice`),
    },
  }));
  const b = await phase(sd, manager, pods, allRunning('floor-\\d+', 'floor-pod-*.service'));
  report('B. slice + crun run (busybox sleep) per pod', b);
  console.log(`   machine CPU per pod, B: ${b.per.machine.toFixed(1)} ms → ${((b.per.machine * 1000) / 2 / 1000).toFixed(1)} s of 2 vCPUs for 1,000 pods at best`);
  await stopAll(manager, pods.map((u) => u.name));

  if (rockletUnits) {
    const store = { podsDir: path.join(tmp.path, 'store/pods') };
    const units = [];
    for (let i = 0; i < count; i++) {
      const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      await mkdir(path.join(store.podsDir, 'run', uuid, 'apps/main'), { recursive: true });
      await writeFile(path.join(store.podsDir, 'run', uuid, 'apps/main/config.json'), JSON.stringify(config));
      const app = { name: 'main', init: false, restart: 'Always', resources: {}, stopTimeoutSeconds: 1 };
      const planned = podUnits({
        unitName: parseUnitName, uuid, plan: { stage1: 'crun', podName: `floor-r${i}`, specHash: 'sha256:0', apps: [app] }, store,
        rocklet: ['/bin/false'], crun: '/usr/bin/crun', crunRoot: CRUN_ROOT, podFile: `floor-r${i}.yaml`, preparedByCaller: true,
      });
      for (const unit of [planned.sandbox, ...planned.apps]) units.push({ name: unit.name, props: unit.properties });
    }
    // Per pod two units, in order (sandbox, then app); per-unit figures are per pod here.
    const d = await phase(sd, manager, units, allRunning('00000000-0000-4000-8000-\\d+-main', 'rocklet-floor-r*'));
    for (const k of Object.keys(d.per)) d.per[k] *= 2;
    report('D. the daemon\'s unit set per pod (sandbox + app, B\'s bundles; figures per pod)', d);
    await stopAll(manager, units.map((u) => u.name).reverse());
  }

  if (ownRootfs) {
    const own = Array.from({ length: count }, (_, i) => {
      const dir = path.join(tmp.path, 'pods', String(i));
      return {
        name: `floor-own-${i}.service`,
        dir,
        before: async () => {
          await prepareApp(ns, { ...appOptions, podDir: dir });
        },
        props: {
          execStart: [crunRun(path.join(dir, 'apps/main'), `floor-own-${i}`)],
          slice: parseUnitName(`floor-own-${i}.slice`),
        },
      };
    });
    const c = await phase(sd, manager, own, allRunning('floor-own-\\d+', 'floor-own-*.service'));
    const mountUnits = (await sd.exec(['systemctl', 'list-units', '--all', '--no-legend', '--type=mount'])).stdout.trim().split('\n').length;
    report('C. as B, with a prepareApp (own overlay mount) per pod', c);
    console.log(`   mount units in systemd afterwards: ${mountUnits}`);
    await stopAll(manager, own.map((u) => u.name));
    for (const u of own) await removeAppDir(ns, u.dir, 'main').catch(() => {});
  }
} finally {
  await manager.close();
  await removeAppDir(ns, podDir, 'main').catch(() => {});
  await sd.stop();
  await tmp.remove();
}
