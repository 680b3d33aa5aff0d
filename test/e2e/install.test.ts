/**
 * e2e: `./install.sh` in a scratch root on this machine kind (PID 1 not systemd) — the README's
 * first command. The script runs in new mount and network namespaces in which /usr/local,
 * /usr/lib, /etc, /var/lib and /var/cache are overlays (lower: the machine's, upper: a temp dir), so nothing
 * lands in the machine's own /usr or /etc and its network is not touched. ROCKLET_HOST_DIR gives
 * the private systemd the harness's name (a crashed run is swept). Checks: the daemon runs, a pod
 * file dropped into /etc/pods shows Running in `rocklet pods`; a second run upgrades in place
 * without restarting the pod; without network to the package mirrors it says so and installs
 * nothing; at the end `rocklet host stop` leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { ExecResult, TempDir } from '../harness/index.js';
import { execCommand, makeTempDir, waitFor } from '../harness/index.js';
import { findNamedCgroups } from '../harness/cgroup.js';
import { newInstanceName } from '../harness/names.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import { podYaml } from '../daemon/fixture.js';
import type { PodsOutput } from '../daemon/fixture.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OVERLAID = ['/usr/local', '/usr/lib', '/etc', '/var/lib', '/var/cache'] as const;

describe('e2e: install.sh in a scratch root', async () => {
  const underSystemd = (await readFile('/proc/1/comm', 'utf8')).trim() === 'systemd';
  const skip = underSystemd && 'PID 1 is systemd here (this test covers the private-systemd path)';
  const name = newInstanceName();
  const hostDir = `/run/rocklet/${name}`;
  let tmp: TempDir;
  let aci = '';
  let hostPid = 0;

  /** The shell lines that give the scratch namespace its overlays. */
  const overlayLines = (): string[] => OVERLAID.flatMap((dir) => {
    const key = dir.slice(1).replaceAll('/', '-');
    const upper = path.join(tmp.path, 'upper', key);
    const work = path.join(tmp.path, 'work', key);
    return [`mkdir -p ${upper} ${work}`, `mount -t overlay overlay -o lowerdir=${dir},upperdir=${upper},workdir=${work} ${dir}`];
  }).concat([
    // Pod rootfs overlays cannot have their upper dir on an overlay: the data dir is a plain dir.
    `mkdir -p ${path.join(tmp.path, 'data')} /var/lib/rocklet`,
    `mount --bind ${path.join(tmp.path, 'data')} /var/lib/rocklet`,
  ]);

  /**
   * The scratch root lives as long as this holder: a process in new mount and network namespaces
   * with the overlays, sleeping. Commands enter its mount and network namespaces (the machine's
   * PID namespace, /proc and cgroup tree stay theirs).
   */
  let holder: ChildProcess | undefined;
  const inScratch = (script: string, env: Record<string, string> = {}): Promise<ExecResult> =>
    execCommand(['nsenter', '-t', String(holder?.pid ?? 0), '-m', '-n', `--wd=${REPO}`, '--', 'sh', '-c', script],
      { env: { ...process.env, ROCKLET_HOST_DIR: hostDir, ...env }, timeoutMs: 600_000 });

  const inScratchRoot = (argv: readonly string[]): Promise<ExecResult> =>
    execCommand(['nsenter', '-t', String(holder?.pid ?? 0), '-m', '-n', `--wd=${REPO}`, '--', ...argv],
      { env: { ...process.env, ROCKLET_HOST_DIR: hostDir }, timeoutMs: 600_000 });

  /** Runs argv in the private systemd's namespaces (it lives in the scratch mount namespace). */
  const inHost = (argv: readonly string[]): Promise<ExecResult> =>
    execCommand(['nsenter', '-t', String(hostPid), '-m', '-p', '-n', '--', ...argv], { env: { ...process.env, ROCKLET_HOST_DIR: hostDir } });

  const pods = async (): Promise<PodsOutput> => {
    const listed = await inHost(['/usr/local/bin/rocklet', '--format=json', 'pods']);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout) as PodsOutput;
  };

  before(async () => {
    if (underSystemd) return;
    tmp = await makeTempDir('install');
    aci = path.join(tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
    const ready = path.join(tmp.path, 'scratch-ready');
    holder = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'unshare', '--mount', '--net', '--propagation', 'private', '--', 'sh', '-c',
      ['set -e', 'ip link set lo up', ...overlayLines(), `touch ${ready}`, 'exec sleep infinity'].join('\n')], { stdio: 'ignore' });
    const up = await waitFor(async () => readFile(ready).then(() => true, () => undefined), { timeoutMs: 30_000 });
    assert.ok(up === true, 'the scratch root is mounted');
  });
  after(async () => {
    if (underSystemd) return;
    if (hostPid !== 0) await inScratchRoot(['/usr/local/bin/rocklet', 'host', 'stop', '--timeout=30s']);
    holder?.kill('SIGKILL');
    await rm(hostDir, { recursive: true, force: true });
    await tmp?.remove();
  });

  it('leaves the daemon running; a pod file dropped into /etc/pods shows Running', { skip }, async () => {
    const installed = await inScratch('ROCKLET_SKIP_APT=1 ROCKLET_SKIP_BUILD=1 ./install.sh');
    assert.equal(installed.code, 0, `${installed.stdout}\n${installed.stderr}`);
    assert.match(installed.stdout, /starting rocklet's private systemd/);
    assert.match(installed.stdout, /the daemon is running/);
    assert.match(installed.stdout, /FILE\s+POD\s+STATE/, 'it printed rocklet pods');
    const record = JSON.parse(await readFile(path.join(hostDir, 'instance.json'), 'utf8')) as { systemd: { pid: number } };
    hostPid = record.systemd.pid;
    assert.equal((await readFile(`/proc/${hostPid}/comm`, 'utf8')).trim(), 'systemd');
    assert.equal((await inHost(['systemctl', 'is-active', 'rocklet.service'])).stdout.trim(), 'active');
    // Installed into the overlays only: the machine's own /usr/local/bin has no rocklet.
    await assert.rejects(readFile('/usr/local/bin/rocklet'), { code: 'ENOENT' });
    const fetched = await inHost(['/usr/local/bin/rocklet', '--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
    await writeFile(path.join(tmp.path, 'web.yaml'), podYaml('web', 'exec sleep 100000'));
    const copied = await inHost(['cp', path.join(tmp.path, 'web.yaml'), '/etc/pods/.web.yaml.tmp']);
    assert.equal(copied.code, 0, copied.stderr);
    assert.equal((await inHost(['mv', '/etc/pods/.web.yaml.tmp', '/etc/pods/web.yaml'])).code, 0);
    let last: PodsOutput | undefined;
    const running = await waitFor(async () => {
      last = await pods();
      return last.pods.some((row) => row.file === 'web.yaml' && row.state === 'Running');
    }, { timeoutMs: 60_000, intervalMs: 250 });
    assert.ok(running === true, JSON.stringify(last));
  });

  it('run again with the pod running: upgrades in place, the pod is not restarted', { skip }, async () => {
    const before = (await pods()).pods.find((row) => row.file === 'web.yaml');
    assert.equal(before?.state, 'Running');
    // The second run happens in the same scratch root.
    const again = await inScratchRoot(['sh', '-c', `cd ${REPO} && ROCKLET_SKIP_APT=1 ROCKLET_SKIP_BUILD=1 ./install.sh`]);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /upgrading in place/);
    const after = (await pods()).pods.find((row) => row.file === 'web.yaml');
    assert.equal(after?.state, 'Running');
    assert.equal(after?.uuid, before?.uuid, 'same pod');
    assert.equal(after?.restarts, before?.restarts, 'not restarted');
  });

  it('without network to the package mirrors: a clear message and nothing installed', { skip }, async () => {
    // A scratch root of its own, where crun counts as missing (dpkg says so), with no network.
    const fresh = await makeTempDir('install-offline');
    try {
      const status = path.join(fresh.path, 'status');
      const dpkgStatus = await readFile('/var/lib/dpkg/status', 'utf8');
      await writeFile(status, dpkgStatus.replace(/^Package: crun\nStatus: install ok installed$/m, 'Package: crun\nStatus: deinstall ok config-files'));
      // Everything apt and dpkg could write is an overlay in this namespace: were install.sh ever
      // to get past its checks here, it still could not change the machine (an interrupted
      // install of crun into the real /usr once left dpkg half-configured).
      const guarded = ['/usr', '/etc', '/var/lib/dpkg', '/var/cache/apt', '/var/log'];
      const upper = (dir: string): string => path.join(fresh.path, 'u', dir.slice(1).replaceAll('/', '-'));
      const result = await execCommand(['unshare', '--mount', '--net', '--propagation', 'private', '--', 'sh', '-c', [
        'set -e',
        ...guarded.flatMap((dir) => {
          const work = path.join(fresh.path, 'w', dir.slice(1).replaceAll('/', '-'));
          return [`mkdir -p ${upper(dir)} ${work}`, `mount -t overlay overlay -o lowerdir=${dir},upperdir=${upper(dir)},workdir=${work} ${dir}`];
        }),
        `mount --bind ${status} /var/lib/dpkg/status`,
        './install.sh',
      ].join('\n')], { cwd: REPO, timeoutMs: 300_000 });
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, /cannot reach the package mirrors .* nothing was changed/);
      for (const dir of ['/usr', '/var/lib/dpkg']) assert.deepEqual(await readdir(upper(dir)), [], `nothing was written to ${dir}`);
    } finally {
      await fresh.remove();
    }
  });

  it('rocklet host stop leaves no cgroup, no lease and no running pod', { skip }, async () => {
    const stopped = await inScratchRoot(['/usr/local/bin/rocklet', 'host', 'stop', '--timeout=30s']);
    assert.equal(stopped.code, 0, stopped.stderr);
    hostPid = 0;
    assert.deepEqual(await findNamedCgroups((base) => base === name), []);
    const leases = await readdir(path.join(tmp.path, 'data/net/rocklet0')).catch(() => [] as string[]);
    assert.deepEqual(leases.filter((f) => /^\d+\./.test(f)), []);
  });
});
