/** unit-plan.ts (pure): unit names, dependencies, commands, limits and restart policies of a pod's units. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodUuid } from '../../../src/pod/index.js';
import { exitCodeOf, parsePodUnitDescription, podExitCode, podStore, podUnitNames, podUnits } from '../../../src/pod/index.js';
import type { UnitName } from '../../../src/systemd/index.js';
import { buildUnitProperties, parseUnitName } from '../../../src/systemd/index.js';
import { busyboxApp, podPlan } from './fixture.js';

const UUID = '0b6f2f5c-3a41-4c55-9a0e-1f5b0d2d9e11' as PodUuid;
const ROCKLET: [string, ...string[]] = ['/usr/bin/rocklet', '--dir=/var/lib/rocklet'];

function units(plan = podPlan([busyboxApp('t', 'web', ['httpd', '-f'], { restart: 'Always', resources: { memoryBytes: 64 << 20, cpuMillicores: 250, pids: 32 }, stopTimeoutSeconds: 10 }), busyboxApp('t', 'logger', ['sh'])], { podName: 'shop', specHash: 'sha256:abc' })) {
  return podUnits<UnitName>({ uuid: UUID, plan, store: podStore('/var/lib/rocklet'), rocklet: ROCKLET, crun: '/usr/bin/crun', unitName: parseUnitName });
}

describe('podUnits', () => {
  it('names the units after the pod: sandbox, slice, <pod>_<app>', () => {
    const u = units();
    assert.equal(u.sandbox.name, 'rocklet-shop.service');
    assert.equal(u.slice, 'rocklet-shop.slice');
    assert.deepEqual(u.apps.map((a) => a.name), ['rocklet-shop_web.service', 'rocklet-shop_logger.service']);
    assert.throws(() => podUnitNames('my_pod', parseUnitName), { code: 'ERR_POD_UNIT_NAME' });
    assert.throws(() => units(podPlan([busyboxApp('t', 'a', ['true'])], { stage1: 'fly' })), { code: 'ERR_POD_UNIT_STAGE1' });
  });

  it('refuses a pids limit too low for the app unit to run "rocklet app prepare"', () => {
    const plan = podPlan([busyboxApp('t', 'web', ['true'], { resources: { pids: 8 } })]);
    assert.throws(() => units(plan), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_UNIT_PIDS_TOO_LOW');
      assert.match(error.message, /app "web": a pids limit of 8 is too low .*at least 32/);
      return true;
    });
  });

  it('makes the sandbox a oneshot that stays active, with pod up / pod down', () => {
    const p = units().sandbox.properties;
    assert.equal(p.type, 'oneshot');
    assert.equal(p.remainAfterExit, true);
    assert.deepEqual(p.execStart?.[0]?.argv, [...ROCKLET, 'pod', 'up', UUID]);
    // pod down waits for one of two slots (util-linux flock), this UUID's is 0x0b6f2f5c % 2.
    assert.deepEqual(p.execStopPost?.[0]?.argv, ['/usr/bin/flock', '/run/rocklet/pod-down.0.lock', ...ROCKLET, 'pod', 'down', UUID]);
    assert.equal(p.slice, 'rocklet-shop.slice');
    assert.equal(p.environment?.ROCKLET_SPEC_HASH, 'sha256:abc');
    assert.match(p.description ?? '', /sha256:abc/);
  });

  it('for a pod the caller brought up: a sandbox without ExecStart, apps that skip their first prepare once, a sandbox stop that skips pod down when the caller stops, app stops without Node', () => {
    const plan = podPlan([busyboxApp('t', 'web', ['httpd', '-f'], { restart: 'Always' })], { podName: 'shop', specHash: 'sha256:abc' });
    const u = podUnits<UnitName>({ uuid: UUID, plan, store: podStore('/var/lib/rocklet'), rocklet: ROCKLET, crun: '/usr/bin/crun', unitName: parseUnitName, preparedByCaller: true });
    const sandbox = u.sandbox.properties;
    assert.equal(sandbox.execStart, undefined, 'starting the sandbox unit runs no process');
    // systemd refuses a oneshot with neither ExecStart= nor ExecStop=.
    assert.deepEqual(sandbox.execStop?.[0]?.argv, ['/bin/true']);
    const marker = `/var/lib/rocklet/pods/run/${UUID}/stopping-by-caller`;
    // A stop the caller makes (it leaves the marker) skips the Node start; any other stop runs it.
    assert.deepEqual(sandbox.execStopPost?.[0]?.argv, ['/bin/sh', '-c', `[ -e '${marker}' ] || exec '/usr/bin/flock' '/run/rocklet/pod-down.0.lock' '/usr/bin/rocklet' '--dir=/var/lib/rocklet' 'pod' 'down' '${UUID}'`]);
    // An app's stop records its exit with sh builtins, never a Node start (test/pod/runtime/unit-scripts.test.ts runs it).
    const stopPost = u.apps[0]?.properties.execStopPost?.[0];
    assert.equal(stopPost?.path, '/bin/sh');
    assert.ok(!(stopPost?.argv.join(' ') ?? '').includes('rocklet\' '), `no rocklet process: ${stopPost?.argv.join(' ')}`);
    assert.ok((stopPost?.argv[2] ?? '').includes(`> '/var/lib/rocklet/pods/run/${UUID}/status/web';`), stopPost?.argv[2]);
    assert.ok((stopPost?.argv[2] ?? '').includes(`'/usr/bin/crun' '--root=/run/rocklet/crun' '--cgroup-manager=disabled' 'delete' '--force' '${UUID}-web' 2>/dev/null; exit 0`), stopPost?.argv[2]);
    assert.equal(sandbox.delegate, true, 'the caller moves the lock holder in');
    const app = u.apps[0]?.properties;
    assert.equal(app?.execStartPre, undefined, 'no second fork of systemd before crun');
    const start = app?.execStart?.[0];
    assert.equal(start?.path, '/bin/sh');
    const script = start?.argv[2] ?? '';
    const appDir = `/var/lib/rocklet/pods/run/${UUID}/apps/web`;
    // $ is doubled: systemd's literal $.
    assert.equal(script, [
      'set -C',
      `command : 2>/dev/null > '/var/lib/rocklet/pods/run/${UUID}/app-started.web' || { set +C; '/usr/bin/rocklet' '--dir=/var/lib/rocklet' 'app' 'prepare' '${UUID}' 'web' || { s=$$?; : > '${appDir}/prepare-failed'; exit $$s; }; }`,
      `exec '/usr/bin/crun' '--root=/run/rocklet/crun' '--cgroup-manager=disabled' 'run' '--bundle=${appDir}' '${UUID}-web'`,
    ].join('; '));
    for (const unit of [u.sandbox, ...u.apps]) assert.ok(buildUnitProperties(unit.properties).length > 0);
  });

  it('a sidecar unit is started only once crun says its container runs; other apps wait for no such check', () => {
    const plan = podPlan([
      busyboxApp('t', 'proxy', ['sleep', '1000'], { init: true, sidecar: true, restart: 'Always' }),
      busyboxApp('t', 'web', ['httpd', '-f'], { restart: 'Always' }),
    ], { podName: 'shop' });
    const u = podUnits<UnitName>({ uuid: UUID, plan, store: podStore('/var/lib/rocklet'), rocklet: ROCKLET, crun: '/usr/bin/crun', unitName: parseUnitName });
    const [proxy, web] = u.apps;
    assert.equal(proxy?.properties.type, 'exec', 'a sidecar is long-running, not a oneshot');
    assert.deepEqual(proxy?.properties.execStartPost, [{
      path: '/bin/sh',
      argv: ['/bin/sh', '-c', `until '/usr/bin/crun' '--root=/run/rocklet/crun' state '${UUID}-proxy' 2>/dev/null | grep -q '"status": *"running"'; do sleep 0.01; done`],
    }]);
    assert.equal(web?.properties.execStartPost, undefined);
    assert.ok(web?.properties.after?.includes(parseUnitName('rocklet-shop_proxy.service')), 'the app starts after the sidecar unit is started');
  });

  it('names the pod, UUID, spec hash and pod file in every Description, which parsePodUnitDescription reads back', () => {
    const hash = `sha256:${'0f'.repeat(32)}`;
    const plan = podPlan([busyboxApp('t', 'web', ['httpd', '-f'], { restart: 'Always' })], { podName: 'shop', specHash: hash });
    const u = podUnits<UnitName>({ uuid: UUID, plan, store: podStore('/var/lib/rocklet'), rocklet: ROCKLET, crun: '/usr/bin/crun', unitName: parseUnitName, podFile: 'shop (v2).yaml' });
    assert.equal(u.sandbox.properties.description, `rocklet pod shop sandbox (${UUID}, spec ${hash}, file shop (v2).yaml)`);
    for (const unit of [u.sandbox, ...u.apps]) {
      assert.deepEqual(parsePodUnitDescription(unit.properties.description ?? ''), { uuid: UUID, hash, file: 'shop (v2).yaml' });
    }
    // Units of `rocklet run` name no file; older daemon units neither.
    assert.deepEqual(parsePodUnitDescription(`rocklet pod shop sandbox (${UUID}, spec ${hash})`), { uuid: UUID, hash, file: undefined });
    assert.deepEqual(parsePodUnitDescription(`rocklet pod x app main (${UUID})`), { uuid: UUID, hash: undefined, file: undefined });
    assert.equal(parsePodUnitDescription('nginx web server'), undefined);
  });

  it('runs each app with crun as ExecStart, bound to the sandbox, with its limits and restart policy', () => {
    const [web, logger] = units().apps;
    const p = web?.properties;
    assert.deepEqual(p?.execStartPre?.[0]?.argv, [...ROCKLET, 'app', 'prepare', UUID, 'web']);
    assert.deepEqual(p?.execStart?.[0]?.argv, [
      '/usr/bin/crun', '--root=/run/rocklet/crun', '--cgroup-manager=disabled', 'run', `--bundle=/var/lib/rocklet/pods/run/${UUID}/apps/web`, `${UUID}-web`,
    ]);
    assert.deepEqual(p?.execStopPost?.[0]?.argv, [...ROCKLET, 'app', 'cleanup', UUID, 'web']);
    assert.deepEqual(p?.bindsTo, ['rocklet-shop.service']);
    assert.deepEqual(p?.after, ['rocklet-shop.service']);
    assert.equal(p?.memoryMaxBytes, 64 << 20);
    assert.equal(p?.cpuQuotaPerSecUSec, 250_000);
    assert.equal(p?.tasksMax, 32);
    assert.equal(p?.restart, 'always');
    assert.equal(p?.timeoutStopMs, 10_000);
    assert.equal(p?.killMode, 'mixed');
    assert.equal(logger?.properties.restart, 'no');
    assert.equal(logger?.properties.memoryMaxBytes, undefined);
    // What the facade would send systemd: valid as it is.
    for (const unit of [units().sandbox, ...units().apps]) assert.ok(buildUnitProperties(unit.properties).length > 0);
  });

  it('runs lifecycle hooks as ExecStartPost= (postStart) and ExecStop= while the container runs (preStop)', () => {
    const hooked = busyboxApp('t', 'web', ['httpd', '-f'], {
      lifecycle: { postStart: { kind: 'sleep', seconds: 1 }, preStop: { kind: 'exec', command: ['sh', '-c', 'echo $HOME'] } },
    });
    const web = units(podPlan([hooked, busyboxApp('t', 'plain', ['sh'])], { podName: 'shop' })).apps;
    assert.deepEqual(web[0]?.properties.execStartPost, [{ path: '/usr/bin/rocklet', argv: [...ROCKLET, 'app', 'hook', UUID, 'web', 'postStart'] }]);
    const stop = web[0]?.properties.execStop?.[0];
    assert.equal(stop?.path, '/bin/sh');
    assert.equal(stop?.argv[2], `[ -n "$$MAINPID" ] || exit 0; exec '/usr/bin/rocklet' '--dir=/var/lib/rocklet' 'app' 'hook' '${UUID}' 'web' 'preStop'`);
    assert.equal(web[1]?.properties.execStartPost, undefined, 'an app without hooks has neither');
    assert.equal(web[1]?.properties.execStop, undefined);
  });

  it('orders init apps first, one after another, and makes the apps require the last', () => {
    const plan = podPlan([
      busyboxApp('t', 'web', ['httpd']),
      busyboxApp('t', 'migrate', ['true'], { init: true }),
      busyboxApp('t', 'seed', ['true'], { init: true }),
    ], { podName: 'shop' });
    const [migrate, seed, web] = units(plan).apps;
    assert.deepEqual([migrate?.app, seed?.app, web?.app], ['migrate', 'seed', 'web']);
    assert.equal(migrate?.properties.type, 'oneshot');
    // Run once per pod: a finished init unit stays active, so a restarted app does not pull it in again.
    assert.equal(migrate?.properties.remainAfterExit, true);
    assert.match(migrate?.properties.execStartPost?.[0]?.argv.join(' ') ?? '', /echo 0 > '[^']*\/migrate'; .*'delete' '--force' '[^']*migrate'/);
    assert.equal(web?.properties.remainAfterExit, undefined);
    assert.deepEqual(seed?.properties.after, ['rocklet-shop.service', 'rocklet-shop_migrate.service']);
    assert.deepEqual(web?.properties.requires, ['rocklet-shop_seed.service']);
    assert.equal(web?.properties.type, 'exec');
  });
});

describe('exit codes', () => {
  it('spreads pod downs over the slots it is given, by UUID', () => {
    const plan = podPlan([busyboxApp('t', 'web', ['httpd', '-f'])]);
    const lockOf = (uuid: string, slots?: number): string | undefined =>
      podUnits<UnitName>({ uuid: uuid as PodUuid, plan, store: podStore('/var/lib/rocklet'), rocklet: ROCKLET, crun: '/usr/bin/crun', unitName: parseUnitName, crunRoot: '/run/x/crun', ...(slots === undefined ? {} : { podDownSlots: slots }) })
        .sandbox.properties.execStopPost?.[0]?.argv[1];
    assert.equal(lockOf('00000005-0000-4000-8000-000000000000', 4), '/run/x/pod-down.1.lock');
    assert.equal(lockOf('00000006-0000-4000-8000-000000000000', 4), '/run/x/pod-down.2.lock');
    assert.equal(lockOf('00000007-0000-4000-8000-000000000000', 1), '/run/x/pod-down.0.lock');
    assert.equal(lockOf('00000007-0000-4000-8000-000000000000'), '/run/x/pod-down.1.lock', 'two slots by default');
    assert.throws(() => lockOf('00000007-0000-4000-8000-000000000000', 0), /0 slots/);
  });

  it('turns what systemd tells ExecStopPost into the recorded code', () => {
    assert.equal(exitCodeOf({ kind: 'systemd', exitCode: 'exited', exitStatus: '3' }), 3);
    assert.equal(exitCodeOf({ kind: 'systemd', exitCode: 'killed', exitStatus: 'TERM' }), 143);
    assert.equal(exitCodeOf({ kind: 'systemd', exitCode: 'dumped', exitStatus: 'SEGV' }), 139);
    assert.equal(exitCodeOf({ kind: 'systemd', exitCode: undefined, exitStatus: undefined }), undefined);
    assert.equal(exitCodeOf({ kind: 'unknown' }), undefined);
  });

  it('returns the first failing app\'s code, else 0 (rkt)', () => {
    assert.equal(podExitCode([{ exitCode: 0 }, { exitCode: 0 }]), 0);
    assert.equal(podExitCode([{ exitCode: 0 }, { exitCode: 3 }, { exitCode: 143 }]), 3);
    assert.equal(podExitCode([]), 0);
  });
});
