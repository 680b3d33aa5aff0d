/** `rocklet status`: rkt's key=value lines, --wait, --uuid-file, JSON, UUID errors. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { PodUuid } from '../../src/pod/index.js';
import { NETWORK, ONE_APP, TWO_APPS, lines, podWorkspace } from './pod-setup.js';

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})? [+-]\d{4}( \S+)?$/;

describe('rocklet status', async () => {
  const ws = await podWorkspace('cli-status');

  it('prints an exited pod as rkt: state, created, started, networks, pid, exited, app-<name>', async () => {
    const uuid = await ws.pod('exited', { meta: TWO_APPS, exits: { web: 0, cache: 137 }, networks: [NETWORK] });
    const r = await ws.rocklet(['status', uuid]);
    assert.equal(r.code, 0, r.stderr);
    const entries = lines(r.stdout).map((line) => line.split(/=(.*)/s).slice(0, 2));
    assert.deepEqual(entries.map(([key]) => key), ['state', 'created', 'started', 'networks', 'pid', 'exited', 'app-web', 'app-cache']);
    const values = new Map(entries.map(([key = '', value = '']) => [key, value]));
    assert.equal(values.get('state'), 'exited');
    assert.match(values.get('created') ?? '', TIME);
    assert.match(values.get('started') ?? '', TIME);
    assert.equal(values.get('networks'), 'default:ip4=172.16.28.4');
    assert.equal(values.get('pid'), String(process.pid));
    assert.equal(values.get('exited'), 'true');
    assert.equal(values.get('app-web'), '0');
    assert.equal(values.get('app-cache'), '137', 'status exits 0 whatever the apps did');
  });

  it('shows a running pod without app lines and a prepared pod without start', async () => {
    const running = await ws.pod('running', { meta: ONE_APP, networks: [NETWORK] });
    const r = await ws.rocklet(['status', running]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout).map((line) => line.split('=')[0]), ['state', 'created', 'started', 'networks', 'pid', 'exited']);
    assert.match(r.stdout, /^state=running\n/);
    assert.match(r.stdout, /\nexited=false\n$/);
    const prepared = await ws.pod('prepared', { meta: ONE_APP });
    const p = await ws.rocklet(['status', prepared]);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(lines(p.stdout).map((line) => line.split('=')[0]), ['state', 'created', 'exited']);
    assert.match(p.stdout, /^state=prepared\n/);
  });

  it('accepts a unique prefix (with or without dashes, any case) and --uuid-file', async () => {
    const uuid = await ws.pod('exited garbage', { meta: ONE_APP, exits: { job: 1 } });
    for (const given of [uuid.slice(0, 13).toUpperCase(), uuid.replaceAll('-', '').slice(0, 20)]) {
      const r = await ws.rocklet(['status', given]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^state=exited garbage\n/);
      assert.match(r.stdout, /\napp-job=1\n$/);
    }
    const file = path.join(ws.dataDir, 'uuid');
    await writeFile(file, `${uuid}\n`);
    const r = await ws.rocklet(['status', `--uuid-file=${file}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^state=exited garbage\n/);
    const both = await ws.rocklet(['status', `--uuid-file=${file}`, uuid]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^status: give either UUID or --uuid-file, not both$/m);
    const missing = await ws.rocklet(['status', `--uuid-file=${file}.missing`]);
    assert.equal(missing.code, 254);
    assert.match(missing.stderr, /UUID file ".*uuid\.missing" does not exist/);
  });

  it('shows rkt\'s UUID errors with exit 254', async () => {
    const a = '0a0a0a0a-0000-4000-8000-000000000001' as PodUuid;
    const b = '0a0a0a0a-0000-4000-8000-000000000002' as PodUuid;
    await ws.pod('prepared', { uuid: a, meta: ONE_APP });
    await ws.pod('prepared', { uuid: b, meta: ONE_APP });
    const cases: Array<[string, RegExp]> = [
      ['0a0a0a0a', /^status: ambiguous uuid, 2 matches$/m],
      ['fedcba98', /^status: no matches found for "fedcba98"$/m],
      ['', /^status: UUID cannot be empty$/m],
      ['xyz', /^status: invalid UUID "xyz"/m],
    ];
    for (const [given, message] of cases) {
      const r = await ws.rocklet(['status', given]);
      assert.equal(r.code, 254, `${given}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    const none = await ws.rocklet(['status']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing UUID argument/);
  });

  it('--format=json prints the pod object', async () => {
    const uuid = await ws.pod('exited', { meta: ONE_APP, exits: { job: 7 } });
    const r = await ws.rocklet(['status', '--format=json', uuid]);
    assert.equal(r.code, 0, r.stderr);
    const pod = JSON.parse(r.stdout) as { name: string; state: string; apps: Array<{ name: string; exit_code: number; state: string }> };
    assert.equal(pod.name, uuid);
    assert.equal(pod.state, 'exited');
    assert.deepEqual(pod.apps.map((app) => [app.name, app.state, app.exit_code]), [['job', 'exited', 7]]);
  });

  it('--wait returns at once for an exited pod, times out with its own error, and waits for a running pod to exit', async () => {
    const exited = await ws.pod('exited', { meta: ONE_APP, exits: { job: 0 } });
    const done = await ws.rocklet(['status', '--wait', exited]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^state=exited\n/);

    const running = await ws.pod('running', { meta: ONE_APP });
    const timeout = await ws.rocklet(['status', '--wait=200ms', running]);
    assert.equal(timeout.code, 254);
    assert.match(timeout.stderr, /^status: error waiting for pod to finish: context deadline exceeded$/m);
    assert.equal(timeout.stdout, '');

    const waiting = ws.rocklet(['status', '--wait=2m', running]);
    await ws.stop(running);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^state=exited\n/);
    assert.match(r.stdout, /\nexited=true\n/);

    const bad = await ws.rocklet(['status', '--wait=soon', exited]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^status: --wait: /m);
  });
});
