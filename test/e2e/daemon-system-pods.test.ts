/**
 * e2e: system pods, terminals and sidecars under the daemon (issue 14 items 5 and 6), with busybox
 * pods in a private test systemd. What a user sees: a privileged container holds every capability
 * of the host's bounding set and can write /sys; hostPID shows the host's PID 1; a
 * system-node-critical pod's units carry kubelet's OOM score -997 (and the processes get it when
 * the host lets anyone lower a score); a seccomp Localhost profile denies what it says, and a
 * missing or invalid one is refused; subPath mounts a directory of the volume; fsGroup owns the
 * emptyDir and is a supplementary group; a tty container's output reaches the journal; a sidecar
 * starts before the app container and stops after it; a writable hostPath onto rocklet's data
 * dir is refused naming the path.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonFixture } from '../daemon/fixture.js';
import { waitFor } from '../harness/index.js';

const CAP_SYS_RESOURCE_BIT = 24n;

function pod(name: string, spec: readonly string[], containers: readonly string[]): string {
  return ['apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:', '  terminationGracePeriodSeconds: 10', ...spec, '  containers:', ...containers, ''].join('\n');
}

function container(name: string, command: string, extra: readonly string[] = []): string[] {
  return [`  - name: ${name}`, '    image: busybox:1.36', `    command: [/bin/sh, -c, '${command}']`, ...extra];
}

describe('e2e: system pods, terminals and sidecars under the daemon', () => {
  let d: DaemonFixture;

  const journalHas = async (unit: string, text: string): Promise<string> => {
    const found = await waitFor(async () => {
      const shown = await d.fx.sd.journal(unit);
      return shown.includes(text) ? shown : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    return found ?? assert.fail(`${unit} never logged "${text}":\n${await d.fx.sd.journal(unit)}`);
  };

  const instance = async (command: string): Promise<string> => {
    const result = await d.fx.exec(['sh', '-c', command]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trim();
  };

  before(async () => {
    d = await DaemonFixture.create('e2e-daemon-system-pods');
    await mkdir(path.join(d.configDir, 'seccomp'), { recursive: true });
    await writeFile(path.join(d.configDir, 'seccomp', 'deny-mkdir.json'), JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    }));
    await writeFile(path.join(d.configDir, 'seccomp', 'broken.json'), '{"defaultAction": "SCMP_ACT_ALLOW",');
    // The sidecar test's shared log: a hostPath inside the test systemd's mount namespace only.
    await instance('mkdir -p /srv && mount -t tmpfs rltest-srv /srv && mkdir /srv/order');
    const daemon = await d.startDaemon();
    assert.equal(daemon.code, 0, daemon.stderr);
  });
  after(() => d?.dispose());

  it('privileged, hostPID and system-node-critical: all host capabilities, writable /sys, the host PID 1, OOM score -997', async () => {
    await d.writePod('system.yaml', pod('system', ['  priorityClassName: system-node-critical', '  hostPID: true'], [
      ...container('priv', 'grep CapEff /proc/self/status; echo 1234 > /sys/class/net/lo/tx_queue_len && echo sys-written $(cat /sys/class/net/lo/tx_queue_len); echo pid1 $(cat /proc/1/comm); exec sleep infinity', [
        '    securityContext: {privileged: true}',
      ]),
      ...container('plain', 'grep CapEff /proc/self/status; echo 1234 > /sys/class/net/lo/tx_queue_len || echo sys-refused; exec sleep infinity'),
    ]));
    await d.waitForRow('system.yaml', (r) => r.state === 'Running' && r.ready?.ready === 2, 60_000);
    const priv = await journalHas('rocklet-system_priv.service', 'pid1');
    const hostBounding = (await instance('grep CapBnd /proc/1/status')).split(/\s+/)[1];
    assert.match(priv, new RegExp(`CapEff:\\s+${hostBounding}`), 'the privileged container holds the whole bounding set');
    assert.match(priv, /sys-written 1234/);
    assert.match(priv, /pid1 systemd/, 'hostPID: PID 1 is the (test) host\'s systemd');
    const plain = await journalHas('rocklet-system_plain.service', 'sys-refused');
    assert.match(plain, /CapEff:\s+00000000a80425fb/, 'an ordinary container keeps the default 14');
    for (const app of ['priv', 'plain']) {
      const props = await d.unitProps(`rocklet-system_${app}.service`, ['OOMScoreAdjust', 'MainPID']);
      assert.equal(props.OOMScoreAdjust, '-997');
      // The kernel lets a process lower its score only with CAP_SYS_RESOURCE; where the host's
      // bounding set lacks it (this machine kind), systemd starts the app with the inherited score.
      const canLower = (BigInt(`0x${hostBounding ?? '0'}`) >> CAP_SYS_RESOURCE_BIT) & 1n;
      const inherited = await instance('cat /proc/1/oom_score_adj');
      assert.equal(await instance(`cat /proc/${props.MainPID ?? ''}/oom_score_adj`), canLower ? '-997' : inherited);
    }
    const printed = await d.rocklet(['validate', '--print', path.join(d.podDir, 'system.yaml')]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /"priorityClassName": "system-node-critical"/);
    assert.match(printed.stdout, /"hostPID": true/);
    assert.match(printed.stdout, /"privileged": true/);
    const wide = await d.rocklet(['pods', '--wide']);
    assert.equal(wide.code, 0, wide.stderr);
    const line = wide.stdout.split('\n').find((l) => l.startsWith('system.yaml')) ?? '';
    assert.match(line, /privileged\(priv\),hostPID,priority\(system-node-critical\)/, wide.stdout);
  });

  it('seccomp Localhost denies what the profile says; subPath and fsGroup', async () => {
    await d.writePod('confined.yaml', pod('confined', [
      '  securityContext: {fsGroup: 2000, seccompProfile: {type: Localhost, localhostProfile: deny-mkdir.json}}',
      '  volumes: [{name: data, emptyDir: {}}]',
    ], container('main', 'mkdir /tmp/x || echo mkdir-denied; echo hi > /sub/file && ls /all/one/two/file && echo subpath-ok; echo group $(stat -c %g /all) groups $(id -G); exec sleep infinity', [
      '    volumeMounts:', '    - {name: data, mountPath: /sub, subPath: one/two}', '    - {name: data, mountPath: /all}',
    ])));
    await d.waitForRow('confined.yaml', (r) => r.state === 'Running', 60_000);
    const shown = await journalHas('rocklet-confined_main.service', 'groups');
    assert.match(shown, /mkdir-denied/);
    assert.match(shown, /subpath-ok/);
    assert.match(shown, /group 2000 groups .*\b2000\b/);
    // The subPath reached crun through a pin bound from a file descriptor (subpath-pin.ts).
    const pins = async (): Promise<string[]> => (await d.fx.exec(['findmnt', '-rn', '-o', 'TARGET'])).stdout.split('\n').filter((t) => /\/subpaths\/main\/0$/.test(t));
    assert.equal((await pins()).length, 1, 'a pin for the subPath mount');
    // A restart by systemd prepares the app again: the pin is made afresh, not stacked.
    assert.equal((await d.fx.exec(['systemctl', 'kill', '--signal=SIGKILL', 'rocklet-confined_main.service'])).code, 0);
    const restarted = await waitFor(async () => ((await d.unitProps('rocklet-confined_main.service', ['NRestarts', 'ActiveState'])).NRestarts === '1' ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    assert.ok(restarted === true, 'systemd restarted the app');
    const again = await waitFor(async () => ((await d.fx.sd.journal('rocklet-confined_main.service')).split('subpath-ok').length === 3 ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    assert.ok(again === true, `the restarted app sees its subPath:\n${await d.fx.sd.journal('rocklet-confined_main.service')}`);
    assert.equal((await pins()).length, 1, 'one pin after the restart');
  });

  it('a missing or invalid Localhost profile is refused with its path', async () => {
    const missing = pod('nosuch', ['  securityContext: {seccompProfile: {type: Localhost, localhostProfile: nosuch.json}}'], container('main', 'sleep 1'));
    await d.writePod('nosuch.yaml', missing);
    const row = await d.waitForRow('nosuch.yaml', (r) => r.state === 'Failed', 30_000);
    assert.match(row.reason ?? '', /seccomp profile "nosuch.json" not found: .*seccomp\/nosuch.json does not exist/);
    const broken = path.join(d.fx.tmp.path, 'broken.yaml');
    await writeFile(broken, pod('broken', ['  securityContext: {seccompProfile: {type: Localhost, localhostProfile: broken.json}}'], container('main', 'sleep 1')));
    const validated = await d.rocklet(['validate', broken]);
    assert.equal(validated.code, 1, validated.stderr);
    assert.match(validated.stdout, /seccomp profile .*broken.json: not valid JSON/);
  });

  it('tty: the container\'s terminal output reaches the journal', async () => {
    await d.writePod('term.yaml', pod('term', [], container('main', 'echo tty is $(tty); test -t 1 && echo stdout-is-a-terminal; exec sleep infinity', ['    tty: true', '    stdin: true'])));
    await d.waitForRow('term.yaml', (r) => r.state === 'Running', 60_000);
    const shown = await journalHas('rocklet-term_main.service', 'stdout-is-a-terminal');
    assert.match(shown, /tty is \/dev\/pts\/\d+/);
  });

  it('a native sidecar starts before the app container and stops after it', async () => {
    const log = '/order/log';
    await d.writePod('side.yaml', pod('side', ['  volumes: [{name: order, hostPath: {path: /srv/order}}]', '  initContainers:',
      '  - name: proxy', '    image: busybox:1.36', '    restartPolicy: Always',
      `    command: [/bin/sh, -c, 'echo sidecar-start >> ${log}; trap "echo sidecar-stop >> ${log}; exit 0" TERM; while true; do sleep 0.2; done']`,
      '    volumeMounts: [{name: order, mountPath: /order}]',
    ], [
      '  - name: app', '    image: busybox:1.36',
      `    command: [/bin/sh, -c, 'echo app-start >> ${log}; trap "echo app-stop >> ${log}; exit 0" TERM; while true; do sleep 0.2; done']`,
      '    volumeMounts: [{name: order, mountPath: /order}]',
    ]));
    await d.waitForRow('side.yaml', (r) => r.state === 'Running' && r.ready?.ready === r.ready?.total, 60_000);
    await waitFor(async () => ((await instance('cat /srv/order/log')).includes('app-start') ? true : undefined), { timeoutMs: 15_000, intervalMs: 200 });
    assert.deepEqual((await instance('cat /srv/order/log')).split('\n'), ['sidecar-start', 'app-start']);
    await d.fx.exec(['rm', path.join(d.podDir, 'side.yaml')]);
    const lines = await waitFor(async () => {
      const text = await instance('cat /srv/order/log');
      return text.includes('sidecar-stop') ? text.split('\n') : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(lines, ['sidecar-start', 'app-start', 'app-stop', 'sidecar-stop']);
  });

  for (const policy of ['Never', 'OnFailure'] as const) {
    it(`restartPolicy ${policy}: once the app container has finished, the sidecar is stopped and the pod completes`, async () => {
      const name = `job${policy.toLowerCase()}`;
      await d.writePod(`${name}.yaml`, pod(name, [`  restartPolicy: ${policy}`, '  initContainers:',
        '  - name: shipper', '    image: busybox:1.36', '    restartPolicy: Always',
        // Ends with 143 on SIGTERM: a failed unit, which OnFailure would restart were it not the pod's end.
        "    command: [/bin/sh, -c, 'trap \"exit 143\" TERM; while true; do sleep 0.2; done']",
      ], container('work', 'sleep 2; echo work-done')));
      const done = await d.waitForRow(`${name}.yaml`, (r) => r.state === 'Completed', 60_000);
      assert.equal(done.reason, undefined);
      const sidecar = `rocklet-${name}_shipper.service`;
      const stopped = await waitFor(async () => {
        const props = await d.unitProps(sidecar, ['ActiveState']);
        return props['ActiveState'] === 'inactive' || props['ActiveState'] === 'failed' ? props : undefined;
      }, { timeoutMs: 30_000, intervalMs: 200 });
      assert.ok(stopped, `the sidecar still runs:\n${await d.daemonLog()}`);
      assert.match(await d.daemonLog(), new RegExp(`pod ${name}: every app container has finished; stopping sidecar shipper`));
      // Nothing brings it back: no revival of a sidecar the end of the pod stopped.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.deepEqual(await d.unitProps(sidecar, ['ActiveState', 'NRestarts']), { ActiveState: 'failed', NRestarts: '0' });
      assert.equal((await d.row(`${name}.yaml`))?.state, 'Completed');
      await d.fx.exec(['rm', path.join(d.podDir, `${name}.yaml`)]);
    });
  }

  it('a writable hostPath onto rocklet\'s data dir is refused naming the path', async () => {
    const file = path.join(d.fx.tmp.path, 'grab.yaml');
    await writeFile(file, pod('grab', [`  volumes: [{name: state, hostPath: {path: ${d.fx.dataDir}}}]`], container('main', 'sleep 1', ['    volumeMounts: [{name: state, mountPath: /state}]'])));
    const validated = await d.rocklet(['validate', file]);
    assert.equal(validated.code, 1, validated.stderr);
    assert.ok(validated.stdout.includes(`hostPath ${d.fx.dataDir} would give spec.containers[0] write access to rocklet's data directory`), validated.stdout);
  });
});
