import assert from 'node:assert/strict';
import { readFile, readlink } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { execCommand } from './exec.js';
import { buildBusyboxRootfs } from './rootfs.js';
import { makeTempDir } from './tmp.js';

describe('buildBusyboxRootfs', () => {
  it('builds a ~2 MB busybox root that runs under chroot', async (t) => {
    const tmp = await makeTempDir('rootfs');
    t.after(() => tmp.remove());
    await buildBusyboxRootfs(tmp.path);
    assert.equal((await execCommand(['chroot', tmp.path, '/bin/busybox', 'true'])).code, 0);
    const sh = await execCommand(['chroot', tmp.path, '/bin/sh', '-c', 'echo $((40 + 2)); id -un; cat /etc/os-release']);
    assert.equal(sh.code, 0, sh.stderr);
    assert.match(sh.stdout, /^42\nroot\n/);
    assert.match(sh.stdout, /^ID=busybox$/m);
    assert.equal(await readlink(`${tmp.path}/bin/sh`), '/bin/busybox');
    assert.match(await readFile(`${tmp.path}/etc/group`, 'utf8'), /^root:x:0:$/m);
    const du = await execCommand(['du', '-sk', tmp.path]);
    const kib = Number(du.stdout.split('\t')[0]);
    assert.ok(kib > 1000 && kib < 4000, `${kib} KiB`);
  });
});
