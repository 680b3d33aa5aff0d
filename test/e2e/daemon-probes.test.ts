/**
 * e2e: probes and lifecycle hooks under the daemon (issue 14), with real pods: busybox httpd
 * behind an httpGet liveness probe on a named port (reached inside the pod's network
 * namespace: the pod publishes no host port), an exec readiness probe, a tcpSocket liveness
 * probe in a second container, and a postStart hook. Readiness flips READY; a liveness probe
 * that starts failing restarts exactly its container (RESTARTS counts it, the other container
 * keeps its InvocationID); the hook's output reaches the unit's journal; a probe that hangs
 * past its timeout shows as failing; a daemon restart restarts nothing. Bad input: a probe port
 * name the container does not declare makes the file Invalid, naming it.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { DaemonFixture } from '../daemon/fixture.js';

const PROBED = `apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    command: [/bin/sh, -c, 'mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www']
    ports:
    - {name: http, containerPort: 8080}
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 1
      failureThreshold: 2
      timeoutSeconds: 5
    readinessProbe:
      exec: {command: [cat, /tmp/ready]}
      periodSeconds: 1
      failureThreshold: 1
      timeoutSeconds: 5
    lifecycle:
      postStart:
        exec: {command: [/bin/sh, -c, 'echo poststart-ran > /tmp/hook; echo hello-from-poststart']}
  - name: side
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    command: [/bin/sh, -c, 'exec sleep 100000']
    livenessProbe:
      tcpSocket: {port: 8080}
      initialDelaySeconds: 2
      periodSeconds: 1
      failureThreshold: 30
`;

/** preStop writes into a host directory (OUT) before the container is sent SIGTERM. */
const hookedPod = (out: string): string => `apiVersion: v1
kind: Pod
metadata: {name: hooked}
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - {name: out, hostPath: {path: ${out}, type: Directory}}
  containers:
  - name: main
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    command: [/bin/sh, -c, 'trap "echo got-term >> /out/log; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts:
    - {name: out, mountPath: /out}
    lifecycle:
      preStop:
        exec: {command: [/bin/sh, -c, 'echo prestop-ran >> /out/log']}
`;

/** A busybox `sleep` pod whose one container has readiness probe `probe` (YAML under `readinessProbe:`). */
const sleeper = (name: string, specLines: string, probe: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${specLines}  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    command: [/bin/sh, -c, 'exec sleep 100000']
    readinessProbe:
${probe}`;

const HANGING = sleeper('hanging', '', "      exec: {command: [sleep, '30']}\n      timeoutSeconds: 1\n      periodSeconds: 2\n");

/**
 * A gRPC health server (grpc.health.v1.Health/Check, node:http2) for the grpc probe test, run
 * inside the test systemd: it answers with the ServingStatus number in the file argv[2].
 */
const GRPC_SERVER = `
const http2 = require('node:http2');
const fs = require('node:fs');
const server = http2.createServer();
server.on('stream', (stream) => {
  stream.resume();
  stream.on('end', () => {
    const status = Number(fs.readFileSync(process.argv[2], 'utf8').trim());
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
  });
});
server.listen(Number(process.argv[1]), '127.0.0.1');
`;

const grpcPod = (port: number): string =>
  sleeper('grpcd', '  hostNetwork: true\n', `      grpc: {port: ${port}, service: rocklet}\n      periodSeconds: 1\n      failureThreshold: 1\n`);

describe('daemon probes and lifecycle hooks', { timeout: 300_000 }, () => {
  let d: DaemonFixture;
  before(async () => {
    d = await DaemonFixture.create('probes');
    await d.writePod('probed.yaml', PROBED);
    await d.writePod('hanging.yaml', HANGING);
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
  });
  after(async () => {
    await d?.dispose();
  });

  const enter = async (uuid: string, app: string, command: string): Promise<void> => {
    const run = await d.rocklet(['enter', `--app=${app}`, uuid, '/bin/sh', '-c', command]);
    assert.equal(run.code, 0, run.stderr);
  };

  it('readiness flips READY both ways, and shows in PROBES', async () => {
    const row = await d.waitForRow('probed.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1 && r.ready.total === 2);
    assert.match(JSON.stringify(row), /web=not-ready/);
    const uuid = row.uuid ?? '';
    await enter(uuid, 'web', 'touch /tmp/ready');
    await d.waitForRow('probed.yaml', (r) => r.ready?.ready === 2);
    await enter(uuid, 'web', 'rm /tmp/ready');
    const back = await d.waitForRow('probed.yaml', (r) => r.ready?.ready === 1);
    assert.match(back.reason ?? '', /container web is not ready: readiness probe \d+\/1 failures: command "cat \/tmp\/ready" failed/);
    // The exit code and the command's own last line of output, as kubelet reports them.
    assert.match(back.reason ?? '', /failed \(exit code 1\): cat: can't open '\/tmp\/ready': No such file or directory/);
    const wide = await d.rocklet(['pods', '--wide']);
    assert.match(wide.stdout, /PROBES/);
    assert.match(wide.stdout, /web=not-ready\(readiness \d+\/1\) side=ready/);
    await enter(uuid, 'web', 'touch /tmp/ready');
    await d.waitForRow('probed.yaml', (r) => r.ready?.ready === 2);
    const log = await d.daemonLog();
    assert.match(log, /pod probed container web is ready/);
    assert.match(log, /pod probed container web is not ready/);
  });

  it('the postStart hook ran in the container and its output is in the unit journal', async () => {
    const row = await d.row('probed.yaml');
    const hooked = await d.rocklet(['enter', '--app=web', row?.uuid ?? '', 'cat', '/tmp/hook']);
    assert.equal(hooked.code, 0, hooked.stderr);
    assert.equal(hooked.stdout.trim(), 'poststart-ran');
    assert.match(await d.fx.sd.journal('rocklet-probed_web.service'), /hello-from-poststart/);
  });

  it('a liveness probe that starts failing restarts exactly that container', async () => {
    const row = await d.waitForRow('probed.yaml', (r) => r.ready?.ready === 2);
    const sideBefore = await d.unitProps('rocklet-probed_side.service', ['InvocationID', 'NRestarts']);
    const webBefore = await d.unitProps('rocklet-probed_web.service', ['InvocationID', 'NRestarts']);
    assert.equal(webBefore['NRestarts'], '0');
    await enter(row.uuid ?? '', 'web', 'rm /www/healthz');
    const restarted = await waitFor(async () => {
      const props = await d.unitProps('rocklet-probed_web.service', ['InvocationID', 'NRestarts', 'ActiveState']);
      return props['NRestarts'] === '1' && props['ActiveState'] === 'active' ? props : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const unitLog = async (): Promise<string> => (await d.fx.exec(['sh', '-c', 'systemctl status --no-pager rocklet-probed_web.service; journalctl --no-pager -n 40 -u rocklet-probed_web.service'])).stdout;
    assert.ok(restarted, `web was restarted\n${await d.daemonLog()}\n${await unitLog()}`);
    assert.notEqual(restarted['InvocationID'], webBefore['InvocationID']);
    assert.match(await d.daemonLog(), /pod probed container web: liveness probe failed 2 times \(HTTP probe failed with statuscode: 404/);
    const sideAfter = await d.unitProps('rocklet-probed_side.service', ['InvocationID', 'NRestarts']);
    assert.deepEqual(sideAfter, sideBefore, 'the other container was not touched');
    // The restarted container is a fresh one (healthz again, no /tmp/ready): RESTARTS counts it.
    const after = await d.waitForRow('probed.yaml', (r) => r.restarts === 1 && r.state === 'Running');
    assert.equal(after.uuid, row.uuid);
  });

  it('a probe that hangs past its timeout fails with a timeout', async () => {
    const row = await d.waitForRow('hanging.yaml', (r) => /timed out after 1s/.test(r.reason ?? ''));
    assert.equal(row.ready?.ready, 0);
    assert.equal(row.state, 'Running');
  });

  it('an exec probe\'s command runs in the container\'s cgroup, not in the daemon\'s', async () => {
    // The hanging probe's `sleep 30` outlives its 1 s timeout: where it runs is visible.
    const commands = async (unit: string): Promise<string[]> => Promise.all((await d.fx.sd.unitPids(unit)).map((pid) =>
      readFile(`/proc/${pid}/cmdline`, 'utf8').then((text) => text.split('\0').join(' ').trim(), () => '')));
    let seen: string[] = [];
    const inApp = await waitFor(async () => {
      seen = await commands('rocklet-hanging_main.service');
      return seen.includes('sleep 30') ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok(inApp === true, `the probe's command in the app unit's cgroup: ${JSON.stringify(seen)}`);
    assert.deepEqual((await commands('rocklet.service')).filter((c) => c.startsWith('sleep') || c.includes('crun')), [], 'nothing of a probe in the daemon\'s cgroup');
  });

  it('rocklet enter runs its command in the container\'s cgroups, as kubectl exec does', async () => {
    const row = await d.row('probed.yaml');
    const entered = await d.rocklet(['enter', '--app=side', row?.uuid ?? '', '/bin/sh', '-c', 'cat /proc/self/cgroup; echo ---; cat /proc/1/cgroup']);
    assert.equal(entered.code, 0, entered.stderr);
    const [own = '', app = ''] = entered.stdout.split('---\n');
    assert.ok(own.trim() !== '' && app.trim() !== '', entered.stdout);
    assert.equal(own, app, 'the entered command and the app\'s process share every cgroup');
  });

  it('after a daemon restart probing resumes and nothing is restarted', async () => {
    const units = ['rocklet-probed_web.service', 'rocklet-probed_side.service', 'rocklet-hanging_main.service'];
    const before = await Promise.all(units.map((unit) => d.unitProps(unit, ['InvocationID', 'NRestarts'])));
    // Until the new daemon has loaded a pod's probes every active container counts as ready:
    // its own "is ready" log line is what shows it probes.
    const readyLines = async (): Promise<number> => (await d.daemonLog()).split('\n').filter((line) => line.includes('pod probed container web is ready')).length;
    const readyBefore = await readyLines();
    await d.stopDaemon();
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
    const row = await d.row('probed.yaml');
    await d.rocklet(['enter', '--app=web', row?.uuid ?? '', 'touch', '/tmp/ready']);
    const probed = await waitFor(async () => ((await readyLines()) > readyBefore ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    assert.ok(probed, 'the new daemon probes web and finds it ready');
    await d.waitForRow('probed.yaml', (r) => r.ready?.ready === 2);
    // Several periods of probing by the new daemon.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const now = await Promise.all(units.map((unit) => d.unitProps(unit, ['InvocationID', 'NRestarts'])));
    assert.deepEqual(now, before);
  });

  it('preStop runs before SIGTERM when the pod is stopped', async () => {
    const out = path.join(d.fx.tmp.path, 'hook-out');
    await mkdir(out);
    await d.writePod('hooked.yaml', hookedPod(out));
    await d.waitForRow('hooked.yaml', (r) => r.state === 'Running');
    await rm(path.join(d.podDir, 'hooked.yaml'));
    const log = await waitFor(async () => {
      const text = await readFile(path.join(out, 'log'), 'utf8').catch(() => '');
      return text.includes('got-term') ? text : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(log, 'prestop-ran\ngot-term\n');
  });

  it('a grpc readiness probe follows the server\'s health status (gRPC health protocol, real HTTP/2)', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const statusFile = `/run/rltest-grpc-status-${port}`;
    const unit = `rltest-grpc-${port}.service`;
    await d.fx.exec(['sh', '-c', `echo 1 > ${statusFile}`]);
    const started = await d.fx.exec(['systemd-run', `--unit=${unit}`, process.execPath, '-e', GRPC_SERVER, String(port), statusFile]);
    assert.equal(started.code, 0, started.stderr);
    try {
      // The server listens before the pod exists, so a slow start or a port taken shows as such.
      for (let waited = 0; ; waited += 100) {
        const listening = await d.fx.exec(['ss', '-Hltn', `sport = :${port}`]);
        if (listening.stdout.trim() !== '') break;
        if (waited > 30_000) assert.fail(`the grpc server does not listen on ${port}: ${(await d.fx.exec(['systemctl', 'status', '--no-pager', '-l', unit])).stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await d.writePod('grpcd.yaml', grpcPod(port));
      await d.waitForRow('grpcd.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
      await d.fx.exec(['sh', '-c', `echo 2 > ${statusFile}`]);
      // Until the server answers NOT_SERVING the reason can be another failure (not listening yet).
      const unhealthy = await d.waitForRow('grpcd.yaml', (r) => r.ready?.ready === 0 && /NOT_SERVING/.test(r.reason ?? ''));
      assert.match(unhealthy.reason ?? '', /container main is not ready: readiness probe \d+\/1 failures: service unhealthy \(responded with "NOT_SERVING"\)/);
      await d.fx.exec(['sh', '-c', `echo 1 > ${statusFile}`]);
      await d.waitForRow('grpcd.yaml', (r) => r.ready?.ready === 1);
      await d.fx.exec(['systemctl', 'stop', unit]);
      const gone = await d.waitForRow('grpcd.yaml', (r) => r.ready?.ready === 0);
      assert.match(gone.reason ?? '', new RegExp(`failed to connect service "127.0.0.1:${port}": ECONNREFUSED`));
    } finally {
      await d.fx.exec(['systemctl', 'stop', unit]);
      await d.fx.exec(['rm', '-f', statusFile]);
      await rm(path.join(d.podDir, 'grpcd.yaml'), { force: true });
    }
  });

  it('refuses a probe port name the container does not declare, naming it', async () => {
    await d.writePod('badport.yaml', PROBED.replace('name: probed', 'name: badport').replace('port: http}', 'port: metrics}'));
    const row = await d.waitForRow('badport.yaml', (r) => r.state === 'Invalid');
    assert.match(row.reason ?? '', /livenessProbe\.httpGet\.port.*port "metrics" is not declared in this container's ports \(named TCP ports: http \(8080\)\)/);
  });
});
