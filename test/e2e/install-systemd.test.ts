/**
 * e2e: `./install.sh` on a host whose PID 1 is systemd (issue 15 §1, the first kind of host).
 *
 * The "host" is a private systemd (the harness's, with its own network namespace) in whose mount
 * namespace /usr/local, /usr/lib, /etc, /var/lib and /var/cache are overlays (lower: this machine's, upper: a
 * temp dir), so nothing lands in the machine's own trees. Inside it /proc/1/comm is `systemd` and
 * `systemctl` talks to that systemd, so install.sh takes its systemd branch. The instance's unit
 * search path is its own units dir; it is bound over /etc/systemd/system, which is where a real
 * host's systemd finds the units install.sh writes, and gets the multi-user.target a host has.
 *
 * Checks: install.sh enables and starts rocklet.service (Type=notify, so its start returns after
 * READY) and prints `rocklet pods`; a pod file dropped into /etc/pods runs; run again, it restarts
 * only the daemon (new main PID) and the pod's app unit keeps its invocation and main PID.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { ExecResult, TempDir, TestSystemd } from '../harness/index.js';
import { bootTestSystemd, makeTempDir, waitFor } from '../harness/index.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import { podYaml } from '../daemon/fixture.js';
import type { PodsOutput, PodsRow } from '../daemon/fixture.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OVERLAID = ['/usr/local', '/usr/lib', '/etc', '/var/lib', '/var/cache'] as const;
const INSTALL = `cd ${REPO} && ROCKLET_SKIP_APT=1 ROCKLET_SKIP_BUILD=1 ./install.sh`;

describe('e2e: install.sh on a host whose PID 1 is systemd', () => {
  let tmp: TempDir;
  let sd: TestSystemd | undefined;
  let aci = '';

  const inHost = (argv: readonly string[], timeoutMs = 60_000): Promise<ExecResult> => {
    if (sd === undefined) throw new Error('no host systemd');
    return sd.exec(argv, { timeoutMs });
  };
  const ok = async (argv: readonly string[], timeoutMs?: number): Promise<string> => {
    const result = await inHost(argv, timeoutMs);
    assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stdout}\n${result.stderr}`);
    return result.stdout.trim();
  };
  const show = async (unit: string, property: string): Promise<string> => ok(['systemctl', 'show', '--value', '-p', property, unit]);
  const podRow = async (file: string): Promise<PodsRow | undefined> => {
    const listed = JSON.parse(await ok(['/usr/local/bin/rocklet', '--format=json', 'pods'])) as PodsOutput;
    return listed.pods.find((row) => row.file === file);
  };

  before(async () => {
    tmp = await makeTempDir('install-systemd');
    aci = path.join(tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
    sd = await bootTestSystemd({ privateNetwork: true });
    const lines = OVERLAID.flatMap((dir) => {
      const key = dir.slice(1).replaceAll('/', '-');
      const upper = path.join(tmp.path, 'upper', key);
      const work = path.join(tmp.path, 'work', key);
      return [`mkdir -p ${upper} ${work}`, `mount -t overlay overlay -o lowerdir=${dir},upperdir=${upper},workdir=${work} ${dir}`];
    });
    // Pod rootfs overlays cannot have their upper dir on an overlay: the data dir is a plain dir.
    lines.push(`mkdir -p ${path.join(tmp.path, 'data')} /var/lib/rocklet`, `mount --bind ${path.join(tmp.path, 'data')} /var/lib/rocklet`);
    lines.push(`mkdir -p /etc/systemd/system`, `mount --bind ${path.join(sd.dir, 'units')} /etc/systemd/system`);
    await ok(['sh', '-c', ['set -e', ...lines].join('\n')]);
    // A host has multi-user.target (rocklet.service's WantedBy=); the private instance's minimal
    // unit set does not, and without it `systemctl enable` links to a unit that does not exist.
    await writeFile(path.join(sd.dir, 'units', 'multi-user.target'),
      '[Unit]\nDescription=Multi-User System\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n');
    await ok(['systemctl', 'daemon-reload']);
  });
  after(async () => {
    // The pods and the daemon stop while the overlays are mounted: at poweroff the instance may
    // unmount /var/cache before a pod's ExecStopPost (`rocklet pod down`) runs and writes its
    // code cache, which would then land in the machine's own /var/cache.
    await sd?.exec(['systemctl', 'stop', 'rocklet.service', 'rocklet.slice']);
    await sd?.stop();
    await tmp?.remove();
  });

  it('enables and starts rocklet.service, waits for READY and prints rocklet pods', async () => {
    assert.equal(await ok(['cat', '/proc/1/comm']), 'systemd', 'the host PID 1 install.sh sees');
    const installed = await inHost(['sh', '-c', INSTALL], 600_000);
    assert.equal(installed.code, 0, `${installed.stdout}\n${installed.stderr}`);
    assert.doesNotMatch(installed.stdout, /private systemd/);
    assert.match(installed.stdout, /rocklet\.service is enabled and running \(it reported READY\)/);
    assert.match(installed.stdout, /FILE\s+POD\s+STATE/, 'it printed rocklet pods');
    // What `enable` does on a host: multi-user.target (what a host boots into) wants the unit.
    // (`is-enabled` cannot say so here: it only counts links under systemd's stock config dirs,
    // and this instance's unit path is its own dir.)
    assert.match(await ok(['readlink', '/etc/systemd/system/multi-user.target.wants/rocklet.service']), /\/rocklet\.service$/);
    assert.match(await show('multi-user.target', 'Wants'), /\brocklet\.service\b/);
    assert.equal(await show('rocklet.service', 'ActiveState'), 'active');
    assert.equal(await show('rocklet.service', 'Type'), 'notify');
    // The unit runs the installed wrapper, not this checkout.
    assert.match(await show('rocklet.service', 'ExecStart'), /path=\/usr\/local\/bin\/rocklet /);
    assert.match(await ok(['cat', '/usr/local/bin/rocklet']), /\/usr\/local\/lib\/rocklet\/dist\/rocklet\/main\.js/);
    assert.equal(await ok(['stat', '-c', '%a %U', '/run/rocklet']), '700 root', 'the tmpfiles rule made /run/rocklet');
    // Both heap flags reach the daemon (an unquoted Environment= line once lost the second).
    const environ = (await ok(['cat', `/proc/${await show('rocklet.service', 'MainPID')}/environ`])).split('\0');
    assert.ok(environ.includes('NODE_OPTIONS=--max-old-space-size=96 --max-semi-space-size=2'), environ.join(' '));
  });

  it('runs a pod file dropped into /etc/pods', async () => {
    await ok(['/usr/local/bin/rocklet', '--insecure-options=image', 'fetch', aci]);
    await writeFile(path.join(tmp.path, 'web.yaml'), podYaml('web', 'exec sleep 100000'));
    await ok(['cp', path.join(tmp.path, 'web.yaml'), '/etc/pods/.web.yaml.tmp']);
    await ok(['mv', '/etc/pods/.web.yaml.tmp', '/etc/pods/web.yaml']);
    let last: PodsRow | undefined;
    const running = await waitFor(async () => {
      last = await podRow('web.yaml');
      return last?.state === 'Running' ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    assert.ok(running === true, JSON.stringify(last));
  });

  it('run again: restarts only the daemon; the pod keeps its unit invocation and process', async () => {
    const appUnit = 'rocklet-web_main.service';
    assert.equal(await show(appUnit, 'ActiveState'), 'active');
    const before = {
      daemon: await show('rocklet.service', 'MainPID'),
      invocation: await show(appUnit, 'InvocationID'),
      main: await show(appUnit, 'MainPID'),
      row: await podRow('web.yaml'),
    };
    assert.notEqual(before.main, '0');

    const again = await inHost(['sh', '-c', INSTALL], 600_000);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /upgrading in place: restarting rocklet\.service/);
    assert.equal(await show('rocklet.service', 'ActiveState'), 'active');
    assert.notEqual(await show('rocklet.service', 'MainPID'), before.daemon, 'a new daemon process');
    // The daemon that stopped left its code cache where an installed rocklet keeps it (root's).
    assert.equal(await ok(['stat', '-c', '%a %U', '/var/cache/rocklet/code']), '700 root');
    assert.match(await ok(['ls', '/var/cache/rocklet/code']), /^[0-9a-f]{16}-v8\.\S+-daemon\.bin$/m);
    assert.equal(await show(appUnit, 'InvocationID'), before.invocation, 'the app unit was not restarted');
    assert.equal(await show(appUnit, 'MainPID'), before.main);
    const row = await podRow('web.yaml');
    assert.equal(row?.state, 'Running', JSON.stringify(row));
    assert.equal(row?.uuid, before.row?.uuid, 'same pod');
    assert.equal(row?.restarts, before.row?.restarts);
  });
});
