/**
 * e2e: `rocklet logs` of standalone pods (`rocklet run-prepared`, `rocklet run`) through the
 * built CLI inside a private test systemd: the apps' output still reaches run's stdout and
 * stderr, and `logs` shows both streams in order from the pod's per-app log files, with
 * --tail, --since, --timestamps, -c; -f follows a running pod and ends when it is gone; the
 * files go with the pod (rm). Bad input: a pod that never started, an unknown name, an
 * ambiguous UUID prefix, -c naming no app, --previous (standalone apps run once), bad --tail
 * and --since values.
 */
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import { RuntimeFixture, podPlan } from '../pod/runtime/fixture.js';

// The app writes its two streams a moment apart: standalone, stdout and stderr are two pipes
// and lines written to both in the same instant may be read in either order (module doc of
// pod/logs/writer.ts); the journal keeps one stream (logs-daemon.test.ts writes without pauses).
const TALK = 'echo out-1; sleep 0.3; echo err-1 >&2; sleep 0.3; echo out-2; sleep 0.3; echo err-2 >&2; sleep 0.3; printf "no newline"';

describe('e2e: rocklet logs of standalone pods', () => {
  let fx: RuntimeFixture;
  let talker = '';
  before(async () => {
    fx = await RuntimeFixture.create('e2e-logs-sa');
    const plan = podPlan([fx.app('talker', ['sh', '-c', TALK]), fx.app('quiet', ['sh', '-c', 'echo quiet-line'])], { net: 'none' });
    ({ uuid: talker } = await fx.prepare(plan));
    const run = await fx.rocklet(['run-prepared', talker]);
    assert.equal(run.code, 0, run.stderr);
    // Forwarded as before: each stream to run's own.
    assert.match(run.stdout, /out-1\n(.*\n)*out-2\n/);
    assert.match(run.stderr, /err-1\nerr-2\n/);
    assert.doesNotMatch(run.stdout, /err-/);
  });
  after(() => fx?.dispose());

  it('shows stdout and stderr in order, the app\'s last words without a newline included', async () => {
    const logs = await fx.rocklet(['logs', '-c', 'talker', talker]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'out-1\nerr-1\nout-2\nerr-2\nno newline');
    // Several apps without -c: the first, with a note naming them.
    const defaulted = await fx.rocklet(['logs', talker.slice(0, 8)]);
    assert.equal(defaulted.code, 0, defaulted.stderr);
    assert.equal(defaulted.stdout, 'out-1\nerr-1\nout-2\nerr-2\nno newline');
    assert.match(defaulted.stderr, /defaulted app "talker" out of: talker, quiet/);
    const quiet = await fx.rocklet(['logs', '-c', 'quiet', talker]);
    assert.equal(quiet.stdout, 'quiet-line\n');
  });

  it('--tail, --timestamps and --since', async () => {
    const tail = await fx.rocklet(['logs', '-c', 'talker', '--tail=2', talker]);
    assert.equal(tail.stdout, 'err-2\nno newline');
    assert.equal((await fx.rocklet(['logs', '-c', 'talker', '--tail=0', talker])).stdout, '');
    assert.equal((await fx.rocklet(['logs', '-c', 'talker', '--tail=-1', talker])).stdout, 'out-1\nerr-1\nout-2\nerr-2\nno newline');
    const stamped = await fx.rocklet(['logs', '-c', 'talker', '--timestamps', talker]);
    const lines = stamped.stdout.split('\n');
    assert.equal(lines.length, 5, stamped.stdout);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S/);
    const times = lines.map((line) => line.split(' ')[0] ?? '');
    assert.deepEqual([...times].sort(), times, 'in time order');
    // Since the third line's time: the third line on.
    const since = await fx.rocklet(['logs', '-c', 'talker', `--since=${times[2] ?? ''}`, talker]);
    assert.equal(since.stdout, 'out-2\nerr-2\nno newline');
    assert.equal((await fx.rocklet(['logs', '-c', 'talker', '--since=1h', talker])).stdout, 'out-1\nerr-1\nout-2\nerr-2\nno newline');
    assert.equal((await fx.rocklet(['logs', '-c', 'talker', '--since=2099-01-01T00:00:00Z', talker])).stdout, '');
    assert.equal((await fx.rocklet(['logs', '-c', 'talker', `--since=${times[2] ?? ''}`, '--tail=1', talker])).stdout, 'no newline');
  });

  it('follows a running pod and ends when the pod is gone', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('ticker', ['sh', '-c', 'for i in 1 2 3 4 5 6; do echo tick-$i; [ $i = 3 ] && sleep 0.3 && echo tock >&2; sleep 0.5; done'])], { net: 'none' }));
    const running = fx.rocklet(['run-prepared', uuid]);
    const started = await waitFor(async () => {
      const shown = await fx.rocklet(['logs', uuid]);
      return shown.stdout.includes('tick-1') ? shown : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    assert.ok(started !== undefined, 'the first line is in the log while the pod runs');
    const followed = await fx.rocklet(['logs', '-f', uuid], { timeoutMs: 60_000 });
    assert.equal((await running).code, 0);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'tick-1\ntick-2\ntick-3\ntock\ntick-4\ntick-5\ntick-6\n');
    // After the pod: -f prints what there is and ends at once.
    assert.equal((await fx.rocklet(['logs', '-f', '--tail=1', uuid])).stdout, 'tick-6\n');
  });

  it('writes the log of `rocklet run` too, and removes it with the pod', async () => {
    const run = await fx.rocklet(['--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${fx.tmp.path}/run.uuid`, await busyboxAci(fx), '--exec=/bin/sh', '--', '-c', 'echo via-run; echo via-run-err >&2']);
    assert.equal(run.code, 0, run.stderr);
    const uuid = (await readFile(`${fx.tmp.path}/run.uuid`, 'utf8')).trim();
    const logs = await fx.rocklet(['logs', uuid]);
    assert.equal(logs.stdout, 'via-run\nvia-run-err\n');
    const logDir = path.join(fx.dataDir, 'pods/run', uuid, 'logs');
    await access(logDir);
    const removed = await fx.rocklet(['rm', uuid]);
    assert.equal(removed.code, 0, removed.stderr);
    await assert.rejects(access(logDir), { code: 'ENOENT' });
    const gone = await fx.rocklet(['logs', uuid]);
    assert.equal(gone.code, 254);
    assert.match(gone.stderr, /no pod/);
  });

  it('refuses bad input with a message naming what is wrong', async () => {
    const { uuid: prepared } = await fx.prepare(podPlan([fx.app('never', ['true'])], { net: 'none' }));
    const never = await fx.rocklet(['logs', prepared]);
    assert.equal(never.code, 254);
    assert.match(never.stderr, /^logs: pod [0-9a-f-]+ has not started: it is prepared/m);

    const unknown = await fx.rocklet(['logs', 'no-such-pod']);
    assert.equal(unknown.code, 254);
    assert.match(unknown.stderr, /no pod "no-such-pod": not a pod name, a pod file or a pod UUID/);

    // Enough pods that two share a first hex digit: that digit is an ambiguous prefix.
    const uuids = [talker, prepared];
    while (new Set(uuids.map((u) => u[0])).size === uuids.length) uuids.push((await fx.prepare(podPlan([fx.app('x', ['true'])], { net: 'none' }))).uuid);
    const digit = uuids.find((u, i) => uuids.findIndex((v) => v[0] === u[0]) !== i)?.[0] ?? '';
    const ambiguous = await fx.rocklet(['logs', digit]);
    assert.equal(ambiguous.code, 254);
    assert.match(ambiguous.stderr, /ambiguous uuid, \d+ matches/);

    const app = await fx.rocklet(['logs', '-c', 'nope', talker]);
    assert.equal(app.code, 254);
    assert.match(app.stderr, /has no app "nope"; its apps: talker, quiet/);

    const previous = await fx.rocklet(['logs', '--previous', '-c', 'talker', talker]);
    assert.equal(previous.code, 254);
    assert.match(previous.stderr, /previous run of app "talker" .* not found: a standalone pod runs each app once/);

    for (const [flag, message] of [['--tail=ten', /invalid value "ten" for --tail/], ['--tail=-5', /invalid value "-5" for --tail/], ['--since=yesterday', /invalid value "yesterday" for --since/], ['--since=5d', /invalid value "5d" for --since: .*unknown unit "d"/]] as const) {
      const bad = await fx.rocklet(['logs', flag, talker]);
      assert.equal(bad.code, 2, `${flag}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
    }
    // Nothing of the pods changed.
    assert.equal((await fx.rocklet(['logs', '-c', 'talker', talker])).stdout, 'out-1\nerr-1\nout-2\nerr-2\nno newline');
  });
});

/** A busybox ACI for `rocklet run`. */
async function busyboxAci(fx: RuntimeFixture): Promise<string> {
  const aci = path.join(fx.tmp.path, 'busybox.aci');
  await buildAppAci(aci, { name: 'example.com/logs-busybox', version: '1.0' });
  return aci;
}
