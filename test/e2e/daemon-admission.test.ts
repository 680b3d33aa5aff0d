/**
 * e2e: the daemon's bad-input handling and admission, each with a good pod running beside it
 * that must not be disturbed. Two files naming one pod (the first keeps it, the other is
 * Rejected naming it), a hostPort already taken, a pod file that is a directory, a dangling
 * symlink, world- and group-writable files, an empty and an oversized file, a nodeSelector
 * that does not match until machine.yaml changes, an invalid machine.yaml (last labels kept),
 * an image that fails to pull and is then provided (Failed with the reason, then Running),
 * and `--once`.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import { DaemonFixture, podYaml } from '../daemon/fixture.js';

const SLEEPER = 'exec sleep 1000';

describe('e2e: rocklet daemon admission and bad input', () => {
  let d: DaemonFixture;
  let good: { invocation: string; pid: string };
  before(async () => {
    d = await DaemonFixture.create('e2e-daemon-adm');
    await d.writePod('good.yaml', podYaml('good', SLEEPER, { ports: '{containerPort: 80, hostPort: 8080}' }));
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
    await d.waitForRow('good.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
    const props = await d.unitProps('rocklet-good_main.service', ['InvocationID', 'MainPID']);
    good = { invocation: props.InvocationID ?? '', pid: props.MainPID ?? '' };
  });
  after(async () => {
    // The good pod was never disturbed by anything below.
    if (d !== undefined) {
      const props = await d.unitProps('rocklet-good_main.service', ['InvocationID', 'MainPID', 'ActiveState']);
      await d.dispose();
      assert.deepEqual(props, { InvocationID: good.invocation, MainPID: good.pid, ActiveState: 'active' });
    }
  });

  it('rejects a second file naming the same pod, and one taking a claimed hostPort', async () => {
    await d.writePod('good-copy.yaml', podYaml('good', 'exec sleep 2000'));
    const copy = await d.waitForRow('good-copy.yaml', (r) => r.state === 'Rejected');
    assert.match(copy.reason ?? '', /pod name "good" is already used by good\.yaml/);
    await d.writePod('port.yaml', podYaml('port', SLEEPER, { ports: '{containerPort: 81, hostPort: 8080}' }));
    const port = await d.waitForRow('port.yaml', (r) => r.state === 'Rejected');
    assert.match(port.reason ?? '', /hostPort 8080\/TCP is already claimed by pod "good" \(good\.yaml\)/);
    assert.equal((await d.podUnits()).has('rocklet-port.service'), false);
    // The other protocol is free.
    await d.writePod('port.yaml', podYaml('port', SLEEPER, { ports: '{containerPort: 81, hostPort: 8080, protocol: UDP}' }));
    await d.waitForRow('port.yaml', (r) => r.state === 'Running');
    await rm(path.join(d.podDir, 'port.yaml'));
    await rm(path.join(d.podDir, 'good-copy.yaml'));
    await waitFor(async () => ((await d.podUnits()).has('rocklet-port.service') ? undefined : true), { timeoutMs: 20_000, intervalMs: 100 });
  });

  it('marks unsafe and broken files Invalid with the reason', async () => {
    await mkdir(path.join(d.podDir, 'dir.yaml'));
    await symlink('/nonexistent/pod.yaml', path.join(d.podDir, 'dangling.yaml'));
    await d.writePod('world.yaml', podYaml('world', SLEEPER), 0o666);
    await d.writePod('group.yaml', podYaml('group', SLEEPER), 0o664);
    await d.writePod('empty.yaml', '');
    await d.writePod('huge.yaml', `# ${'x'.repeat(10 * 1024 * 1024)}\n${podYaml('huge', SLEEPER)}`);
    const expectations: Record<string, RegExp> = {
      'dir.yaml': /is a directory/,
      'dangling.yaml': /dangling symlink/,
      'world.yaml': /writable by everyone \(mode 0666\)/,
      'group.yaml': /writable by its group \(mode 0664\)/,
      'empty.yaml': /empty/i,
      'huge.yaml': /too large/,
    };
    for (const [file, reason] of Object.entries(expectations)) {
      const row = await d.waitForRow(file, (r) => r.state === 'Invalid');
      assert.match(row.reason ?? '', reason, `${file}: ${row.reason ?? ''}`);
    }
    const units = [...(await d.podUnits()).keys()].filter((unit) => !unit.startsWith('rocklet-good'));
    assert.deepEqual(units, [], 'nothing of an invalid file runs');
    for (const file of Object.keys(expectations)) await rm(path.join(d.podDir, file), { recursive: true });
  });

  it('skips a pod whose nodeSelector does not match until machine.yaml says so; keeps labels over a broken machine.yaml', async () => {
    await d.writePod('edge.yaml', podYaml('edge', SLEEPER, { nodeSelector: 'role: edge' }));
    const skipped = await d.waitForRow('edge.yaml', (r) => r.state === 'Skipped');
    assert.match(skipped.reason ?? '', /role=edge \(label not set\)/);
    await writeFile(path.join(d.configDir, 'machine.yaml'), 'labels:\n  role: edge\n');
    await d.waitForRow('edge.yaml', (r) => r.state === 'Running');
    // Written in place (truncate, then write): the empty moment between must not count either.
    // The broken text's own refusal is waited for (the empty moment logs the same ending).
    const refusals = async (): Promise<number> => (await d.daemonLog()).split('\n').filter((line) => line.includes('keeping the last good labels') && !line.includes('is empty')).length;
    const refusalsBefore = await refusals();
    await writeFile(path.join(d.configDir, 'machine.yaml'), 'labels:\n  role: [edge\n');
    await waitFor(async () => ((await refusals()) > refusalsBefore ? true : undefined), { timeoutMs: 10_000, intervalMs: 100 });
    assert.equal((await d.row('edge.yaml'))?.state, 'Running', 'a broken machine.yaml keeps the last labels');
    await writeFile(path.join(d.configDir, 'machine.yaml'), 'labels:\n  role: core\n');
    const stopped = await d.waitForRow('edge.yaml', (r) => r.state === 'Skipped');
    assert.match(stopped.reason ?? '', /role=edge \(machine has core\)/);
    await waitFor(async () => ((await d.podUnits()).has('rocklet-edge.service') ? undefined : true), { timeoutMs: 20_000, intervalMs: 100 });
    assert.equal((await d.podUnits()).has('rocklet-edge.service'), false, 'the pod stopped when its selector stopped matching');
    await rm(path.join(d.podDir, 'edge.yaml'));
  });

  it('shows a failed pull with its reason, and starts the pod once the image is there', async () => {
    await d.writePod('later.yaml', podYaml('later', SLEEPER).replace('busybox:1.36', 'busybox:9.99').replace('IfNotPresent', 'Never'));
    const failed = await d.waitForRow('later.yaml', (r) => r.state === 'Failed');
    assert.match(failed.reason ?? '', /pulling images failed/);
    assert.match(failed.reason ?? '', /busybox/);
    assert.equal((await d.podUnits()).has('rocklet-later.service'), false);
    const aci = path.join(d.fx.tmp.path, 'busybox-9.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '9.99' });
    const fetched = await d.fx.rocklet(['--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
    // The first retry comes 10 s after the failure.
    await d.waitForRow('later.yaml', (r) => r.state === 'Running', 40_000);
    await rm(path.join(d.podDir, 'later.yaml'));
  });

  it('reports Completed and Failed containers, and restarts a crash loop with back-off', async () => {
    await d.writePod('done.yaml', podYaml('done', 'echo done; exit 0', { restartPolicy: 'Never' }));
    await d.writePod('bad.yaml', podYaml('bad', 'exit 3', { restartPolicy: 'Never' }));
    await d.writePod('loop.yaml', podYaml('loop', 'echo crash; exit 1', { restartPolicy: 'Always' }));
    await d.waitForRow('done.yaml', (r) => r.state === 'Completed');
    const bad = await d.waitForRow('bad.yaml', (r) => r.state === 'Failed');
    assert.match(bad.reason ?? '', /container main exited with code 3/);
    // systemd restarts it 5 times, 1 s apart, then gives up; the daemon then backs off 10 s.
    const looping = await d.waitForRow('loop.yaml', (r) => /back-off: restarting container main in \d+ s/.test(r.reason ?? ''), 90_000);
    assert.ok(looping.restarts >= 4, `systemd's restarts are counted: ${JSON.stringify(looping)}`);
    const crashesAtBackOff = (await d.fx.sd.journal('rocklet-loop_main.service')).split('\n').filter((line) => line === 'crash').length;
    assert.ok(crashesAtBackOff <= 7, `no busy loop: ${crashesAtBackOff} runs before the back-off`);
    const restarted = await waitFor(async () => ((await d.daemonLog()).includes('restarting container main of pod loop') ? true : undefined), { timeoutMs: 20_000, intervalMs: 200 });
    assert.ok(restarted, `the daemon restarts the container after the back-off:\n${await d.daemonLog()}\n${await d.fx.sd.journal('rocklet-loop_main.service')}`);
    const crashesAfter = await waitFor(async () => {
      const n = (await d.fx.sd.journal('rocklet-loop_main.service')).split('\n').filter((line) => line === 'crash').length;
      return n > crashesAtBackOff ? n : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    assert.ok(crashesAfter !== undefined, `the restarted container ran again:\n${await d.fx.sd.journal('rocklet-loop_main.service')}`);
    for (const file of ['done.yaml', 'bad.yaml', 'loop.yaml']) await rm(path.join(d.podDir, file));
    await waitFor(async () => ([...(await d.podUnits()).keys()].some((u) => /rocklet-(done|bad|loop)/.test(u)) ? undefined : true), { timeoutMs: 30_000, intervalMs: 100 });
  });

  it('runs an init container once per pod: an app container restarted by systemd does not run it again', async () => {
    const pod = [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: once}', 'spec:', '  restartPolicy: Always', '  terminationGracePeriodSeconds: 2',
      '  initContainers:', '  - name: setup', '    image: busybox:1.36', '    imagePullPolicy: IfNotPresent', "    command: [/bin/sh, -c, 'echo setup-ran']",
      '  containers:', '  - name: main', '    image: busybox:1.36', '    imagePullPolicy: IfNotPresent', "    command: [/bin/sh, -c, 'echo main-ran; sleep 1; exit 1']", '',
    ].join('\n');
    await d.writePod('once.yaml', pod);
    const mainRuns = async (): Promise<number> => (await d.fx.sd.journal('rocklet-once_main.service')).split('\n').filter((line) => line === 'main-ran').length;
    const restarted = await waitFor(async () => ((await mainRuns()) >= 3 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
    assert.ok(restarted, await d.fx.sd.journal('rocklet-once_main.service'));
    const setupJournal = await d.fx.sd.journal('rocklet-once_setup.service');
    assert.equal(setupJournal.split('\n').filter((line) => line === 'setup-ran').length, 1, setupJournal);
    assert.equal((await d.unitProps('rocklet-once_setup.service', ['ActiveState'])).ActiveState, 'active', 'a finished init container stays done');
    await rm(path.join(d.podDir, 'once.yaml'));
    await waitFor(async () => ((await d.podUnits()).has('rocklet-once.service') ? undefined : true), { timeoutMs: 30_000, intervalMs: 100 });
  });

  it('runs a failed init container again with back-off, and fails the pod for it under restartPolicy Never', async () => {
    const state = path.join(d.fx.tmp.path, 'init-state');
    await mkdir(state, { recursive: true });
    // The init container fails on its first run and succeeds on its second.
    const initPod = (name: string, policy: string): string => [
      'apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:', `  restartPolicy: ${policy}`, '  terminationGracePeriodSeconds: 2',
      '  volumes:', `  - {name: state, hostPath: {path: ${state}}}`, `  - {name: made, hostPath: {path: ${state}/made-${name}/sub, type: DirectoryOrCreate}}`,
      '  initContainers:', '  - name: setup', '    image: busybox:1.36', '    imagePullPolicy: IfNotPresent',
      `    command: [/bin/sh, -c, 'echo run >> /state/${name}; test $(wc -l < /state/${name}) -ge 2 || exit 4']`,
      '    volumeMounts: [{name: state, mountPath: /state}]',
      '  containers:', '  - name: main', '    image: busybox:1.36', '    imagePullPolicy: IfNotPresent', "    command: [/bin/sh, -c, 'echo app; touch /made/x; exec sleep 1000']",
      '    volumeMounts: [{name: made, mountPath: /made}]', '',
    ].join('\n');
    await d.writePod('init.yaml', initPod('init', 'Always'));
    await d.writePod('init-never.yaml', initPod('init-never', 'Never'));
    const never = await d.waitForRow('init-never.yaml', (r) => r.state === 'Failed');
    assert.equal(never.reason, 'init container setup (1/1) exited with code 4');
    const failing = await d.waitForRow('init.yaml', (r) => /init container setup \(1\/1\) exited with code 4/.test(r.reason ?? ''));
    assert.equal(failing.state, 'Starting');
    assert.match(failing.reason ?? '', /back-off: restarting container setup in \d+ s/);
    // The first retry comes 10 s after the failure, in the same pod (same UUID).
    const running = await d.waitForRow('init.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1, 40_000);
    assert.equal(running.uuid, failing.uuid);
    assert.equal((await readFile(path.join(state, 'init'), 'utf8')).split('\n').filter(Boolean).length, 2, 'the init container ran twice');
    assert.match(await d.fx.sd.journal('rocklet-init_main.service'), /^app$/m);
    // A DirectoryOrCreate hostPath that did not exist was made for the app, which wrote into it.
    assert.ok((await stat(path.join(state, 'made-init/sub/x'))).isFile());
    // Never: nothing ran again, and the app never started.
    assert.equal((await readFile(path.join(state, 'init-never'), 'utf8')).split('\n').filter(Boolean).length, 1);
    assert.equal((await d.row('init-never.yaml'))?.state, 'Failed');
    assert.doesNotMatch(await d.fx.sd.journal('rocklet-init-never_main.service'), /^app$/m);
    for (const file of ['init.yaml', 'init-never.yaml']) await rm(path.join(d.podDir, file));
    await waitFor(async () => ([...(await d.podUnits()).keys()].some((u) => /rocklet-init/.test(u)) ? undefined : true), { timeoutMs: 30_000, intervalMs: 100 });
  });

  it('--once reconciles and exits, leaving pods running', async () => {
    await d.stopDaemon();
    await d.writePod('once.yaml', podYaml('once', SLEEPER));
    const once = await d.rocklet(['daemon', `--pod-dir=${d.podDir}`, '--once']);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /"msg":"pod once started/);
    assert.equal((await d.podUnits()).get('rocklet-once_main.service'), 'active');
    const plan = await d.rocklet(['plan', `--pod-dir=${d.podDir}`, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /^adopt\s+once\.yaml\s+once\s/m);
    await rm(path.join(d.podDir, 'once.yaml'));
    const again = await d.rocklet(['daemon', `--pod-dir=${d.podDir}`, '--once']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await d.podUnits()).has('rocklet-once_main.service'), false);
    assert.equal((await d.podUnits()).has('rocklet-later.service'), false);
  });
});
