/**
 * e2e: the environment and app flags of `rocklet run` reach the running app (issue 5, item 6):
 * `--name`, `--user`/`--group` (names from the image's own /etc/passwd and /etc/group),
 * `--working-dir`, `--readonly-rootfs`, `--caps-retain`/`--caps-remove` (the bounding set),
 * `--oom-score-adj`, `--inherit-env`, `--set-env-file`, `--set-env` and `--environment` with
 * rkt's precedence (inherited < image < --set-env-file < --set-env < --environment). One pod of
 * two busybox apps reports what it sees; each line is prefixed with the app's name.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LINUX_CAPABILITIES, buildAci } from '../../src/image/index.js';
import { DEFAULT_CAPABILITIES } from '../../src/podfile/index.js';
import { buildBusyboxRootfs } from '../harness/index.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

/** What each app prints, every line prefixed with `$AC_APP_NAME`. */
const REPORT = [
  'p() { echo "$AC_APP_NAME $*"; }',
  'p "id=$(id -u):$(id -g):$(id -un):$(id -gn)"',
  'p "pwd=$(pwd)"',
  'p "capbnd=$(sed -n "s/^CapBnd:\\t//p" /proc/self/status)"',
  'p "oom=$(cat /proc/self/oom_score_adj)"',
  'if err=$(touch /tmp/written 2>&1); then p "rootfs=writable"; else p "rootfs=$err"; fi',
  'env | grep -E "^(ROCKLET_T_INHERITED|FROM_IMAGE|B|C|D)=" | sort | while read -r line; do p "env $line"; done',
].join('\n');

/** The /proc/PID/status bitmask of a capability set, as 16 hex digits. */
function capMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const cap of caps) {
    const bit = (LINUX_CAPABILITIES as readonly string[]).indexOf(cap);
    assert.ok(bit >= 0, cap);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

/** The lines app `app` printed, without its prefix. */
function linesOf(stdout: string, app: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith(`${app} `)).map((line) => line.slice(app.length + 1));
}

describe('e2e: environment and app flags reach the app', () => {
  let fx: RuntimeFixture;
  let aci: string;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-app-flags');
    const dir = path.join(fx.tmp.path, 'flags.d');
    await buildBusyboxRootfs(path.join(dir, 'rootfs'));
    await writeFile(path.join(dir, 'rootfs/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000:web:/srv:/bin/sh\n');
    await writeFile(path.join(dir, 'rootfs/etc/group'), 'root:x:0:\nweb:x:1000:\nstaff:x:50:web\n');
    await mkdir(path.join(dir, 'rootfs/srv/www'), { recursive: true });
    await writeFile(path.join(dir, 'manifest'), JSON.stringify({
      acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/flags',
      labels: [{ name: 'version', value: '1.0.0' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
      app: {
        exec: ['/bin/sh'], user: '0', group: '0',
        environment: [{ name: 'PATH', value: '/usr/sbin:/usr/bin:/sbin:/bin' }, { name: 'FROM_IMAGE', value: 'image' }, { name: 'B', value: 'image' }],
      },
    }));
    aci = path.join(fx.tmp.path, 'flags.aci');
    await buildAci(dir, aci, { compression: 'gzip', overwrite: true });
    await rm(dir, { recursive: true, force: true });
    await writeFile(path.join(fx.tmp.path, 'env-file'), '# set for every app\nB=file\nC=file\n');
  });
  after(() => fx?.dispose());

  it('applies --name, --user, --group, --working-dir, --readonly-rootfs, caps, --oom-score-adj and the env flags', async () => {
    const uuidFile = path.join(fx.tmp.path, 'flags.uuid');
    const result = await fx.exec(['env', 'ROCKLET_T_INHERITED=yes', 'FROM_IMAGE=inherited', ...fx.rockletArgv(
      '--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${uuidFile}`,
      '--inherit-env', `--set-env-file=${path.join(fx.tmp.path, 'env-file')}`, '--set-env=C=set-env', '--set-env=D=set-env',
      aci, '--name=probe', '--user=web', '--group=staff', '--working-dir=/srv/www', '--readonly-rootfs',
      '--caps-retain=CAP_NET_BIND_SERVICE,kill', '--oom-score-adj=345', '--environment=D=app', '--exec=/bin/sh', '--', '-c', REPORT,
      '---', aci, '--name=second', '--caps-remove=CAP_NET_RAW,CAP_MKNOD', '--exec=/bin/sh', '--', '-c', REPORT,
    )]);
    assert.equal(result.code, 0, result.stderr);

    assert.deepEqual(linesOf(result.stdout, 'probe'), [
      'id=1000:50:web:staff',
      'pwd=/srv/www',
      `capbnd=${capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE'])}`,
      'oom=345',
      'rootfs=touch: /tmp/written: Read-only file system',
      'env B=file',
      'env C=set-env',
      'env D=app',
      'env FROM_IMAGE=image',
      'env ROCKLET_T_INHERITED=yes',
    ], result.stdout);
    const defaults = (DEFAULT_CAPABILITIES as readonly string[]).filter((cap) => cap !== 'CAP_NET_RAW' && cap !== 'CAP_MKNOD');
    assert.deepEqual(linesOf(result.stdout, 'second'), [
      'id=0:0:root:root',
      'pwd=/',
      `capbnd=${capMask(defaults)}`,
      'oom=0',
      'rootfs=writable',
      'env B=file',
      'env C=set-env',
      'env D=set-env',
      'env FROM_IMAGE=image',
      'env ROCKLET_T_INHERITED=yes',
    ], result.stdout);

    const uuid = (await readFile(uuidFile, 'utf8')).trim();
    const status = (await fx.rocklet(['status', uuid])).stdout;
    assert.match(status, /app-probe=0/);
    assert.match(status, /app-second=0/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('refuses two apps with the same name (the default name from the image, or --name)', async () => {
    const twice = await fx.rocklet(['--insecure-options=image', 'run', '--net=none', aci, '---', aci]);
    assert.equal(twice.code, 254, twice.stderr);
    assert.match(twice.stderr, /duplicate app name "flags": app names must be unique in a pod/);
    const named = await fx.rocklet(['--insecure-options=image', 'run', '--net=none', aci, '--name=x', '---', aci, '--name=x']);
    assert.equal(named.code, 254, named.stderr);
    assert.match(named.stderr, /duplicate app name "x"/);
  });

  it('refuses a user or a group the image does not have, naming the file it searched, and leaves nothing behind', async () => {
    for (const [flag, message] of [
      ['--user=ghost', /app "flags": user "ghost" not found in the image's \/etc\/passwd/],
      ['--group=ghosts', /app "flags": group "ghosts" not found in the image's \/etc\/group/],
    ] as const) {
      const uuidFile = path.join(fx.tmp.path, 'refused.uuid');
      const result = await fx.rocklet(['--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${uuidFile}`, aci, flag, '--exec=/bin/true']);
      assert.equal(result.code, 254, result.stderr);
      assert.match(result.stderr, message);
      assert.deepEqual(await fx.leftovers((await readFile(uuidFile, 'utf8')).trim()), []);
    }
  });
});
