/**
 * e2e: `rocklet logs` of daemon pods: `rocklet daemon` in a private test systemd (with its own
 * journald) runs pod files; logs come from the journal. Checked: stdout and stderr written
 * back to back arrive in order, by pod name and by file name; the current run only, --previous
 * the run before a crash restart; --tail, --since, --timestamps; -f across restarts of the app,
 * ending when the pod file is removed and the pod is gone. Bad input: a pod file that never
 * started (its image does not exist), an unknown name, -c naming no app.
 */
import assert from 'node:assert/strict';
import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { DaemonFixture } from '../daemon/fixture.js';

/** A pod whose app counts its runs in an emptyDir volume (it outlives restarts of the app). */
function countingPod(name: string, script: string, image = 'busybox:1.36'): string {
  return [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:', '  restartPolicy: Always', '  terminationGracePeriodSeconds: 2',
    '  volumes:', '  - name: data', '    emptyDir: {}',
    '  containers:', '  - name: main', `    image: ${image}`, '    imagePullPolicy: IfNotPresent',
    `    command: [/bin/sh, -c, 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; ${script}']`,
    '    volumeMounts:', '    - {name: data, mountPath: /data}', '',
  ].join('\n');
}

describe('e2e: rocklet logs of daemon pods', () => {
  let d: DaemonFixture;
  before(async () => {
    d = await DaemonFixture.create('e2e-logs-daemon');
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
  });
  after(() => d?.dispose());

  it('shows the current run in order, the run before a crash with --previous, --tail, --since, --timestamps', async () => {
    // Run 1 crashes (exit 3); run 2 stays up. Both streams, written back to back.
    await d.writePod('talker.yaml', countingPod('talker', 'echo out-$n; echo err-$n >&2; echo out2-$n; echo err2-$n >&2; if [ $n -ge 2 ]; then exec sleep 1000; fi; exit 3'));
    await d.waitForRow('talker.yaml', (row) => row.state === 'Running' && row.restarts >= 1, 60_000);
    const current = await waitFor(async () => {
      const shown = await d.rocklet(['logs', 'talker']);
      return shown.stdout.includes('err2-2') ? shown : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    assert.ok(current !== undefined, `the second run's output: ${await d.fx.sd.journal('rocklet-talker_main.service')}`);
    assert.equal(current.code, 0, current.stderr);
    assert.equal(current.stdout, 'out-2\nerr-2\nout2-2\nerr2-2\n', 'only the current run, both streams in order');

    const byFile = await d.rocklet(['logs', '-c', 'main', 'talker.yaml']);
    assert.equal(byFile.stdout, current.stdout);
    const previous = await d.rocklet(['logs', '--previous', 'talker']);
    assert.equal(previous.code, 0, previous.stderr);
    assert.equal(previous.stdout, 'out-1\nerr-1\nout2-1\nerr2-1\n');
    assert.equal((await d.rocklet(['logs', '--previous', '--tail=1', 'talker'])).stdout, 'err2-1\n');

    assert.equal((await d.rocklet(['logs', '--tail=2', 'talker'])).stdout, 'out2-2\nerr2-2\n');
    assert.equal((await d.rocklet(['logs', '--tail=0', 'talker'])).stdout, '');
    const stamped = await d.rocklet(['logs', '--timestamps', 'talker']);
    const lines = stamped.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((line) => line.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z /, '')), ['out-2', 'err-2', 'out2-2', 'err2-2'], stamped.stdout);
    assert.equal((await d.rocklet(['logs', '--since=1h', '--tail=3', 'talker'])).stdout, 'err-2\nout2-2\nerr2-2\n');
    assert.equal((await d.rocklet(['logs', '--since=2099-01-01T00:00:00Z', 'talker'])).stdout, '');
    const since = lines[0]?.split(' ')[0] ?? '';
    assert.equal((await d.rocklet(['logs', `--since=${since}`, 'talker'])).stdout, current.stdout);
  });

  it('-f follows the app across restarts and ends when the pod is gone', async () => {
    // Runs 1 and 2 crash when the test says so (a file in their emptyDir), run 3 stays up: the
    // restarts happen only once the follower is following.
    await d.writePod('follow.yaml', countingPod('follow', 'echo run-$n; echo run-$n-err >&2; if [ $n -ge 3 ]; then exec sleep 1000; fi; while [ ! -e /data/go ]; do sleep 0.2; done; rm -f /data/go; exit 3'));
    const printed = async (line: string): Promise<boolean> => {
      const found = await waitFor(async () => ((await d.fx.sd.journal('rocklet-follow_main.service')).split('\n').includes(line) ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
      return found === true;
    };
    assert.ok(await printed('run-1-err'), 'the first run printed');
    // The status file can trail the journal (it is written after the pod's record is durable).
    const { uuid = '' } = await d.waitForRow('follow.yaml', (row) => row.uuid !== undefined, 60_000);
    const following = d.rocklet(['logs', '-f', 'follow']);
    // Its second journalctl (after the current run's lines) follows the app.
    const attached = await waitFor(async () => {
      const ps = await d.fx.exec(['sh', '-c', `ps -eo args | grep -c "[j]ournalctl.*--follow.*ROCKLET_POD_UUID=${uuid}"`]);
      return Number(ps.stdout.trim()) > 0 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    assert.ok(attached, 'the follower follows');
    const go = path.join(d.fx.dataDir, 'pods/run', uuid, 'volumes/data/go');
    await writeFile(go, '');
    assert.ok(await printed('run-2-err'), 'the second run printed');
    await writeFile(go, '');
    assert.ok(await printed('run-3-err'), 'the third run printed');
    await unlink(path.join(d.podDir, 'follow.yaml'));
    const followed = await following;
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'run-1\nrun-1-err\nrun-2\nrun-2-err\nrun-3\nrun-3-err\n', 'every run in order, nothing twice');
  });

  it('refuses bad input with a message naming what is wrong', async () => {
    await d.writePod('ghost.yaml', countingPod('ghost', 'echo never', 'registry.invalid/none:1'));
    await d.waitForRow('ghost.yaml', (row) => row.state === 'Failed', 60_000);
    const ghost = await d.rocklet(['logs', 'ghost']);
    assert.equal(ghost.code, 254);
    assert.match(ghost.stderr, /^logs: pod "ghost" \(file ghost\.yaml\) has not started: it is Failed/m);
    const byFile = await d.rocklet(['logs', 'ghost.yaml']);
    assert.equal(byFile.code, 254);
    assert.match(byFile.stderr, /has not started/);

    const unknown = await d.rocklet(['logs', 'nobody']);
    assert.equal(unknown.code, 254);
    assert.match(unknown.stderr, /no pod "nobody"/);

    const app = await d.rocklet(['logs', '-c', 'sidecar', 'talker']);
    assert.equal(app.code, 254);
    assert.match(app.stderr, /pod "talker" \(file talker\.yaml\) has no app "sidecar"; its apps: main/);
    // The pods that run are untouched.
    assert.equal((await d.row('talker.yaml'))?.state, 'Running');
  });
});
