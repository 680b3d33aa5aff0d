/**
 * e2e: standalone `rocklet run-prepared` / `rocklet run` through the built CLI, run inside a
 * private test systemd whose own network namespace plays the host: exit codes by rkt's rule,
 * recorded app exits, port forwards reachable from the host's 127.0.0.1 and from another
 * network namespace, memory limits, and the bad inputs (missing executable, missing user,
 * crun missing, not root). After every pod: no mount, netns file, lease or crun state left.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTestAci } from '../image/fetch/helpers.js';
import { waitFor } from '../harness/index.js';
import { RuntimeFixture, podPlan } from '../pod/runtime/fixture.js';

describe('e2e: standalone run', () => {
  let fx: RuntimeFixture;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-run');
  });
  after(() => fx?.dispose());

  it('returns the exit code of the app and records it', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('exiter', ['sh', '-c', 'echo out; exit 7'])], { net: 'none' }));
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 7, result.stderr);
    assert.equal(result.stdout, 'out\n');
    const status = await fx.rocklet(['status', uuid]);
    assert.match(status.stdout, /app-exiter=7/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('a stop is not lost when the failing app ends before the other app\'s container exists', async () => {
    // The failer ends at once, often before the sleeper's container is created; its SIGTERM
    // is sent again until it lands (the sleeper exits 143 on TERM), never left to the
    // 30-second SIGKILL (137).
    const plan = podPlan([
      fx.app('failer', ['sh', '-c', 'exit 3']),
      fx.app('sleeper', ['sh', '-c', 'trap "exit 143" TERM; while true; do sleep 0.1; done'], { stopTimeoutSeconds: 30 }),
    ], { net: 'none' });
    const { uuid } = await fx.prepare(plan);
    const result = await fx.rocklet(['run-prepared', uuid], { timeoutMs: 120_000 });
    assert.equal(result.code, 3, result.stderr);
    const status = await fx.rocklet(['status', uuid]);
    assert.match(status.stdout, /app-failer=3/);
    assert.match(status.stdout, /app-sleeper=143/, status.stdout);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('ends the pod when the first app fails, stops the others and returns the failing code (rkt\'s rule)', async () => {
    const plan = podPlan([
      fx.app('sleeper', ['sleep', '1000'], { stopTimeoutSeconds: 1 }),
      fx.app('failer', ['sh', '-c', 'sleep 0.2; exit 3']),
    ], { net: 'none' });
    const { uuid } = await fx.prepare(plan);
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 3, result.stderr);
    const status = await fx.rocklet(['status', uuid]);
    assert.match(status.stdout, /app-failer=3/);
    assert.match(status.stdout, /app-sleeper=(137|143)/, 'the other app was stopped, and its code recorded');
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('forwards a host port (default network) from the host\'s 127.0.0.1 and from another netns; stop ends the pod', async () => {
    const web = fx.app('web', ['sh', '-c', 'mkdir -p /www && echo hello-port > /www/index.html && exec httpd -f -p 80 -h /www'], {
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 18080 }],
      stopTimeoutSeconds: 1,
    });
    const { uuid } = await fx.prepare(podPlan([web]));
    const running = fx.rocklet(['run-prepared', uuid]);
    try {
      const fromHost = await waitFor(async () => {
        const r = await fx.exec(['sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | busybox nc 127.0.0.1 18080']);
        return r.stdout.includes('hello-port') ? r : undefined;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      assert.ok(fromHost !== undefined, 'the port answers on the host\'s 127.0.0.1');
      // "Another host": a netns wired to the pods' host by a veth, talking to the host's address.
      const other = `rltest-other-${process.pid}`;
      const setup = await fx.exec(['sh', '-ec', [
        `ip netns add ${other}`,
        `ip link add rlt-o${process.pid % 10000} type veth peer name eth0 netns ${other}`,
        `ip addr add 10.251.0.1/24 dev rlt-o${process.pid % 10000}`, `ip link set rlt-o${process.pid % 10000} up`,
        `ip -n ${other} addr add 10.251.0.2/24 dev eth0`, `ip -n ${other} link set eth0 up`, `ip -n ${other} link set lo up`,
      ].join('; ')]);
      assert.equal(setup.code, 0, setup.stderr);
      const fromOther = await fx.exec(['ip', 'netns', 'exec', other, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | busybox nc 10.251.0.1 18080']);
      assert.match(fromOther.stdout, /hello-port/, fromOther.stderr);
      await fx.exec(['ip', 'netns', 'del', other]);
      const stopped = await fx.rocklet(['stop', uuid]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(stopped.stdout, `"${uuid}"\n`);
    } finally {
      await fx.rocklet(['stop', '--force', uuid]);
    }
    const result = await running;
    assert.ok(result.code === 143 || result.code === 137, `the app was stopped: ${String(result.code)} ${result.stderr}`);
    const again = await fx.rocklet(['stop', uuid]);
    assert.equal(again.stdout, `pod "${uuid}" is already stopped\n`);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('refuses an executable missing from the image with a clear message, leaving nothing behind', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('nginx', ['/usr/sbin/nginx', '-g', 'daemon off;'])]));
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /app "nginx": executable "\/usr\/sbin\/nginx" not found in image test\/busybox/);
    assert.deepEqual(await fx.leftovers(uuid), []);
    assert.match((await fx.rocklet(['status', uuid])).stdout, /state=exited/);
  });

  it('refuses a user the image does not have', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('app', ['true'], { user: { kind: 'name', name: 'nosuchuser' } })], { net: 'none' }));
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /nosuchuser/);
    assert.match(result.stderr, /\/etc\/passwd/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('says how to get crun when it is missing, and leaves the pod prepared', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('app', ['true'])], { net: 'none' }));
    const result = await fx.exec(['env', 'PATH=/nonexistent', ...fx.rockletArgv('run-prepared', uuid)]);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /crun not found/);
    assert.match(result.stderr, /install\.sh or use --stage1=fly/);
    assert.match((await fx.rocklet(['status', uuid])).stdout, /state=prepared/);
  });

  it('requires root, with rkt\'s message', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('app', ['true'])], { net: 'none' }));
    const result = await fx.exec(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...fx.rockletArgv('run-prepared', uuid)]);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /cannot run as unprivileged user/);
  });

  it('kills an app that exceeds its memory limit, and status reports it', async () => {
    const hog = fx.app('hog', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], { resources: { memoryBytes: 32 * 1024 * 1024 } });
    const { uuid } = await fx.prepare(podPlan([hog], { net: 'none' }));
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 137, `killed by the OOM killer (SIGKILL): ${result.stdout} ${result.stderr}`);
    assert.doesNotMatch(result.stdout, /survived/);
    assert.match((await fx.rocklet(['status', uuid])).stdout, /app-hog=137/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('enters a running app (hostname, hosts file, exit code), and needs --app when the pod has several', async () => {
    const plan = podPlan([fx.app('one', ['sleep', '1000'], { stopTimeoutSeconds: 1 }), fx.app('two', ['sleep', '1000'], { stopTimeoutSeconds: 1 })]);
    const { uuid } = await fx.prepare(plan);
    const running = fx.rocklet(['run-prepared', uuid]);
    try {
      const up = await waitFor(async () => ((await fx.rocklet(['enter', '--app=one', uuid, 'true'])).code === 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
      assert.ok(up, 'the pod came up');
      const ambiguous = await fx.rocklet(['enter', uuid, 'true']);
      assert.equal(ambiguous.code, 254);
      assert.match(ambiguous.stderr, /pod contains multiple apps:\n\tone\n\ttwo\nspecify app using "rocklet enter --app= \.\.\."/);
      const inside = await fx.rocklet(['enter', '--app=two', uuid, 'sh', '-c', 'hostname; grep -c "rocklet-" /etc/hosts; exit 5']);
      assert.equal(inside.code, 5, inside.stderr);
      assert.equal(inside.stdout, `rocklet-${uuid}\n2\n`);
    } finally {
      await fx.rocklet(['stop', '--force', uuid]);
    }
    assert.equal((await running).code, 137);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('rocklet run: prepares an image file and runs it, returning the app\'s exit code', async () => {
    const aci = path.join(fx.tmp.path, 'app.aci');
    await buildTestAci(aci, { name: 'example.com/runner', version: '1.0.0' });
    const result = await fx.rocklet([
      '--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${fx.tmp.path}/run.uuid`, aci, '--exec=/bin/sh', '--', '-c', 'cat /etc/marker; exit 4',
    ]);
    assert.equal(result.code, 4, result.stderr);
    assert.equal(result.stdout, 'example.com/runner\n');
    const uuid = (await readFile(`${fx.tmp.path}/run.uuid`, 'utf8')).trim();
    assert.match((await fx.rocklet(['status', uuid])).stdout, /app-runner=4/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('run-prepared after a restart that lost the unflushed image tree: the tree is unpacked again first', async () => {
    const aci = path.join(fx.tmp.path, 'restart.aci');
    await buildTestAci(aci, { name: 'example.com/restart', version: '1.0.0' });
    const prepared = await fx.rocklet(['--insecure-options=image', 'prepare', '--quiet', aci, '--exec=/bin/cat', '--', '/etc/marker']);
    assert.equal(prepared.code, 0, prepared.stderr);
    const uuid = prepared.stdout.trim();
    const plan = JSON.parse(await readFile(path.join(fx.dataDir, 'pods/prepared', uuid, 'plan.json'), 'utf8')) as { apps: { image: { trees: string[] } }[] };
    const [treeId] = plan.apps[0]?.image.trees ?? [];
    assert.ok(treeId !== undefined);
    const tree = path.join(fx.dataDir, 'images/trees', treeId);
    assert.equal((await readFile(path.join(tree, 'unflushed'), 'utf8')).trim(), (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
    // What a power cut before the flush can leave: the mark of an earlier boot, a file without its data.
    await writeFile(path.join(tree, 'unflushed'), '00000000-0000-4000-8000-000000000000\n');
    await writeFile(path.join(tree, 'rootfs/etc/marker'), '');
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'example.com/restart\n');
    assert.equal(await readFile(path.join(tree, 'rootfs/etc/marker'), 'utf8'), 'example.com/restart\n');
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('runs one app with the fly stage1 (host network), and refuses a second app', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('flyer', ['sh', '-c', 'test -e /sys/class/net/lo && exit 6'])], { stage1: 'fly', net: 'host' }));
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 6, result.stderr);
    assert.match((await fx.rocklet(['status', uuid])).stdout, /app-flyer=6/);
    assert.deepEqual(await fx.leftovers(uuid), []);
    const two = await fx.prepare(podPlan([fx.app('a', ['true']), fx.app('b', ['true'])], { stage1: 'fly', net: 'host' }));
    const refused = await fx.rocklet(['run-prepared', two.uuid]);
    assert.equal(refused.code, 254);
    assert.match(refused.stderr, /the fly stage1 runs exactly one app; this pod has 2/);
  });

  it('refuses a host port already in use, naming it, and leaves nothing behind', async () => {
    const listener = await fx.exec(['sh', '-c', 'busybox nc -l -p 18081 </dev/null >/dev/null 2>&1 & echo $!']);
    const pid = listener.stdout.trim();
    try {
      await waitFor(async () => ((await fx.exec(['sh', '-c', 'grep -qi ":46A1 " /proc/net/tcp'])).code === 0 ? true : undefined), { timeoutMs: 5_000 });
      const web = fx.app('web', ['httpd', '-f', '-p', '80'], { ports: [{ name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 18081 }] });
      const { uuid } = await fx.prepare(podPlan([web]));
      const result = await fx.rocklet(['run-prepared', uuid]);
      assert.equal(result.code, 254);
      assert.match(result.stderr, /host port .*18081.* is already in use/);
      assert.deepEqual(await fx.leftovers(uuid), []);
    } finally {
      await fx.exec(['kill', pid]);
    }
  });

  it('runs init apps first and shares volumes (emptyDir, read-only host dir); a failing init app ends the pod', async () => {
    const hostDir = path.join(fx.tmp.path, 'hostdir');
    await mkdir(hostDir, { recursive: true });
    await writeFile(path.join(hostDir, 'g'), 'host-file\n');
    const volumes = [
      { name: 'shared', kind: 'empty', medium: 'Disk', mode: 0o777, uid: 0, gid: 0 },
      { name: 'hostdir', kind: 'host', source: hostDir, readOnly: true, recursive: false },
    ] as const;
    const shared = { volume: 'shared', mountPath: '/shared', readOnly: false };
    const init = fx.app('init', ['sh', '-c', 'echo from-init > /shared/f'], { init: true, mounts: [shared] });
    const main = fx.app('main', ['sh', '-c', 'cat /shared/f /host/g; touch /host/x 2>/dev/null && exit 9; exit 0'], {
      mounts: [shared, { volume: 'hostdir', mountPath: '/host', readOnly: false }],
    });
    const { uuid } = await fx.prepare(podPlan([main, init], { net: 'none', volumes }));
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'from-init\nhost-file\n');
    assert.deepEqual(await fx.leftovers(uuid), []);

    const failing = fx.app('init', ['sh', '-c', 'exit 4'], { init: true });
    const second = await fx.prepare(podPlan([fx.app('main', ['sh', '-c', 'echo must-not-run']), failing], { net: 'none' }));
    const failed = await fx.rocklet(['run-prepared', second.uuid]);
    assert.equal(failed.code, 4);
    assert.doesNotMatch(failed.stdout, /must-not-run/);
    const status = (await fx.rocklet(['status', second.uuid])).stdout;
    assert.match(status, /app-init=4/);
    assert.doesNotMatch(status, /app-main=/);
  });
});
