/** `rocklet list`: rkt's table (one row per app), --full, --no-legend, JSON, unreadable pods. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { POD_FILES, podPath } from '../../src/pod/index.js';
import { NETWORK, ONE_APP, TWO_APPS, lines, podWorkspace } from './pod-setup.js';

const LEGEND = /^UUID +APP +IMAGE NAME +STATE +CREATED +STARTED +NETWORKS$/;

describe('rocklet list', async () => {
  const ws = await podWorkspace('cli-list');

  it('prints only the legend when there are no pods', async () => {
    const r = await ws.rocklet(['list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^UUID {2}APP {2}IMAGE NAME {2}STATE {2}CREATED {2}STARTED {2}NETWORKS\n$/);
    assert.equal(r.stderr, '');
  });

  it('shows each state, one row per app, pod columns on the first app only', async () => {
    const running = await ws.pod('running', { meta: TWO_APPS, networks: [NETWORK] });
    const exited = await ws.pod('exited', { meta: ONE_APP, exits: { job: 3 } });
    const garbage = await ws.pod('exited garbage', { meta: ONE_APP });
    const prepared = await ws.pod('prepared', { meta: ONE_APP });
    const aborted = await ws.pod('aborted prepare');
    const preparing = await ws.pod('preparing');
    const r = await ws.rocklet(['list']);
    assert.equal(r.code, 0, r.stderr);
    const [legend, ...rows] = lines(r.stdout);
    assert.match(legend ?? '', LEGEND);
    const rowOf = (uuid: string): string[] => {
      const at = rows.findIndex((row) => row.startsWith(`${uuid.slice(0, 8)} `));
      assert.ok(at >= 0, `no row for ${uuid} in\n${r.stdout}`);
      return rows.slice(at);
    };
    const [web, cache] = rowOf(running);
    assert.match(web ?? '', /^\S{8} +web +example\.com\/web:1\.2 +running +(now|\w+ \w+ ago) +(now|\w+ \w+ ago) +default:ip4=172\.16\.28\.4$/);
    assert.match(cache ?? '', /^ {8} +cache +example\.com\/cache$/, 'the second app row leaves the pod columns empty');
    assert.match(rowOf(exited)[0] ?? '', / job +example\.com\/job:2\.0 +exited /);
    assert.match(rowOf(garbage)[0] ?? '', / job +example\.com\/job:2\.0 +exited garbage /);
    assert.match(rowOf(prepared)[0] ?? '', / job +example\.com\/job:2\.0 +prepared +(now|\w+ \w+ ago)$/);
    assert.match(rowOf(aborted)[0] ?? '', /^\S{8} +- +- +aborted prepare /, 'a pod without metadata shows - for app and image');
    assert.match(rowOf(preparing)[0] ?? '', /^\S{8} +- +- +preparing /);
  });

  it('--full shows whole UUIDs, the IMAGE ID column and absolute times; --no-legend drops the legend', async () => {
    const uuid = await ws.pod('exited', { meta: TWO_APPS, exits: { web: 0, cache: 137 } });
    const r = await ws.rocklet(['list', '--full', '--no-legend']);
    assert.equal(r.code, 0, r.stderr);
    const rows = lines(r.stdout);
    assert.equal(rows.some((row) => LEGEND.test(row) || row.startsWith('UUID')), false);
    const at = rows.findIndex((row) => row.startsWith(`${uuid} `));
    assert.ok(at >= 0, r.stdout);
    assert.match(rows[at] ?? '', new RegExp(`^${uuid} +web +example\\.com/web:1\\.2 +sha512-abababababab +exited +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
    assert.match(rows[at + 1] ?? '', /^ +cache +example\.com\/cache +sha512-cdcdcdcdcdcd$/);
    const legend = lines((await ws.rocklet(['list', '--full'])).stdout)[0];
    assert.match(legend ?? '', /^UUID +APP +IMAGE NAME +IMAGE ID +STATE +CREATED +STARTED +NETWORKS$/);
  });

  it('--format=json prints rkt\'s api/v1 Pod objects', async () => {
    const uuid = await ws.pod('exited', { meta: TWO_APPS, exits: { web: 0, cache: 137 }, networks: [NETWORK] });
    const r = await ws.rocklet(['list', '--format=json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lines(r.stdout).length, 1, 'json is one line');
    const pods = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const pod = pods.find((p) => p.name === uuid);
    assert.ok(pod, r.stdout);
    assert.equal(pod.state, 'exited');
    assert.deepEqual(pod.app_names, ['web', 'cache']);
    assert.deepEqual(pod.networks, [{ netName: 'default', ifName: 'eth0', ip: '172.16.28.4', mask: '255.255.255.0' }]);
    assert.equal(typeof pod.created_at, 'number');
    assert.ok((pod.started_at as number) >= (pod.created_at as number));
    const apps = pod.apps as Array<Record<string, unknown>>;
    assert.deepEqual(apps.map((a) => [a.name, a.state, a.exit_code, a.image_id]), [
      ['web', 'exited', 0, `sha512-${'ab'.repeat(64)}`],
      ['cache', 'exited', 137, `sha512-${'cd'.repeat(64)}`],
    ]);
    const pretty = await ws.rocklet(['list', '--format=json-pretty']);
    assert.deepEqual(JSON.parse(pretty.stdout), pods);
    assert.ok(lines(pretty.stdout).length > 1);
  });

  it('reports an unreadable pod as a warning after the table and still exits 0', async () => {
    const good = await ws.pod('prepared', { meta: ONE_APP });
    const bad = await ws.pod('prepared', { meta: ONE_APP });
    await writeFile(path.join(podPath(ws.store, 'prepared', bad), POD_FILES.meta), '{"apps": [{"name": "Not An AC Name"}]}');
    const r = await ws.rocklet(['list']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(good.slice(0, 8)));
    assert.equal(r.stdout.includes(bad.slice(0, 8)), false);
    assert.match(r.stderr, new RegExp(`^list: warning: pod "${bad}": pod file ".*pod-meta\\.json" is corrupt: `, 'm'));
    const json = await ws.rocklet(['list', '--format=json']);
    assert.equal(json.code, 0);
    assert.ok((JSON.parse(json.stdout) as Array<{ name: string }>).some((p) => p.name === good));
  });

  it('refuses arguments', async () => {
    const r = await ws.rocklet(['list', 'extra']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /too many arguments/);
  });
});
