/**
 * User and group resolution against a busybox rootfs with its own /etc/passwd and /etc/group:
 * names, ids, path owners, primary and supplementary groups, missing users and groups,
 * runAsNonRoot, and a passwd symlink that points out of the rootfs.
 */
import assert from 'node:assert/strict';
import { chown, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AbsolutePath, IdentityRef } from '../../../src/podfile/index.js';
import { parseGroup, parseIdentityRef, parsePasswd, resolveIdentity } from '../../../src/pod/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { buildBusyboxRootfs, makeTempDir } from '../../harness/index.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  '# a comment',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'web:x:1000:1001:web user:/home/web:/bin/sh',
  'broken:x:abc:1:::',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'daemon:x:1:', 'wheel:x:10:root,web', 'web:x:1001:', 'audio:x:29:web', 'staff:x:50:', 'nogroup:x:65534:', ''].join('\n');

const id = (n: number): IdentityRef => ({ kind: 'id', id: n });
const name = (n: string): IdentityRef => ({ kind: 'name', name: n });
const file = (p: string): IdentityRef => ({ kind: 'path', path: p as AbsolutePath });

describe('resolveIdentity on a busybox rootfs', () => {
  let root: string;
  let tmp: TempDir | undefined;
  // Registered at suite level: an after() called inside before() would run as soon as before() ends.
  after(() => tmp?.remove());
  before(async () => {
    tmp = await makeTempDir('stage1-identity');
    root = path.join(tmp.path, 'rootfs');
    await buildBusyboxRootfs(root);
    await writeFile(path.join(root, 'etc/passwd'), PASSWD);
    await writeFile(path.join(root, 'etc/group'), GROUP);
    await mkdir(path.join(root, 'srv/data'), { recursive: true });
    await chown(path.join(root, 'srv/data'), 4242, 4343);
    // An absolute symlink is resolved inside the rootfs, not on the host.
    await symlink('/srv/data', path.join(root, 'data-link'));
  });

  it('resolves a user name to its uid, primary group and group memberships, and sets the home', async () => {
    const r = await resolveIdentity(root, { app: 'a', user: name('web') });
    assert.equal(r.uid, 1000);
    assert.equal(r.gid, 1001);
    assert.deepEqual(r.additionalGids, [10, 29]);
    assert.equal(r.userName, 'web');
    assert.equal(r.home, '/home/web');
  });

  it('takes numeric ids as they are, with the passwd entry of the uid for the primary group', async () => {
    assert.deepEqual(await resolveIdentity(root, { app: 'a', user: id(1000), group: id(50) }), {
      uid: 1000, gid: 50, additionalGids: [10, 29, 1001].filter((g) => g !== 1001), userName: 'web', home: '/home/web',
    });
    const unknown = await resolveIdentity(root, { app: 'a', user: id(7777) });
    assert.deepEqual(unknown, { uid: 7777, gid: 0, additionalGids: [] });
  });

  it('resolves group names and adds the spec\'s supplementary groups after the image\'s', async () => {
    const r = await resolveIdentity(root, { app: 'a', user: name('web'), group: name('staff'), supplementalGroups: [99, 10] });
    assert.equal(r.gid, 50);
    assert.deepEqual(r.additionalGids, [10, 29, 99]);
  });

  it('uses the owner of a path in the image, following symlinks inside the rootfs', async () => {
    const r = await resolveIdentity(root, { app: 'a', user: file('/data-link'), group: file('/srv/data') });
    assert.equal(r.uid, 4242);
    assert.equal(r.gid, 4343);
  });

  it('defaults to root when nothing is given', async () => {
    const r = await resolveIdentity(root, { app: 'a' });
    assert.equal(r.uid, 0);
    assert.equal(r.gid, 0);
    assert.deepEqual(r.additionalGids, [10]);
  });

  it('names the file it searched when the image has no such user or group', async () => {
    await assert.rejects(resolveIdentity(root, { app: 'web', user: name('ghost') }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_USER_NOT_FOUND'));
      assert.equal(error.category, 'not-found');
      assert.match(error.message, /app "web": user "ghost" not found in the image's \/etc\/passwd/);
      assert.ok(error.message.includes(`${root}/etc/passwd`));
      return true;
    });
    await assert.rejects(resolveIdentity(root, { app: 'web', user: name('web'), group: name('ghosts') }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_GROUP_NOT_FOUND'));
      assert.ok(error.message.includes(`${root}/etc/group`));
      return true;
    });
    await assert.rejects(resolveIdentity(root, { app: 'web', user: file('/no/such/file') }), (error: unknown) =>
      hasErrorCode(error, 'ERR_USER_NOT_FOUND') && error.message.includes('/no/such/file'));
  });

  it('refuses uid 0 with runAsNonRoot, by name or by id', async () => {
    await assert.rejects(resolveIdentity(root, { app: 'web', user: name('root'), runAsNonRoot: true }), (error: unknown) =>
      hasErrorCode(error, 'ERR_RUN_AS_NON_ROOT') && /runAsNonRoot.*uid 0/.test(error.message));
    await assert.rejects(resolveIdentity(root, { app: 'web', runAsNonRoot: true }), (error: unknown) => hasErrorCode(error, 'ERR_RUN_AS_NON_ROOT'));
    assert.equal((await resolveIdentity(root, { app: 'web', user: name('web'), runAsNonRoot: true })).uid, 1000);
  });

  it('never reads a passwd that a symlink places outside the rootfs', async () => {
    const scratch = await makeTempDir('stage1-identity-escape');
    after(() => scratch.remove());
    const evil = path.join(scratch.path, 'rootfs');
    await mkdir(path.join(evil, 'etc'), { recursive: true });
    await symlink('../../../../../../../../etc/passwd', path.join(evil, 'etc/passwd'));
    await assert.rejects(resolveIdentity(evil, { app: 'a', user: name('root') }), (error: unknown) => hasErrorCode(error, 'ERR_ROOTFS_PATH_ESCAPE'));
    // An absolute target is taken inside the rootfs: the host's /etc/passwd is not read.
    await rm(path.join(evil, 'etc/passwd'));
    await symlink('/etc/passwd-real', path.join(evil, 'etc/passwd'));
    await writeFile(path.join(evil, 'etc/passwd-real'), 'only:x:5:5::/:/bin/sh\n');
    assert.equal((await resolveIdentity(evil, { app: 'a', user: name('only') })).uid, 5);
    await assert.rejects(resolveIdentity(evil, { app: 'a', user: name('daemon') }), (error: unknown) => hasErrorCode(error, 'ERR_USER_NOT_FOUND'));
  });
});

describe('passwd and group parsing', () => {
  it('skips comments, compat entries and malformed lines; keeps the first of a name', () => {
    const entries = parsePasswd(`${PASSWD}+nis::::::\nweb:x:2000:2000::/x:/bin/sh\n`);
    assert.deepEqual(entries.map((e) => e.name), ['root', 'daemon', 'web', 'nobody', 'web']);
    assert.deepEqual(parseGroup(GROUP).find((g) => g.name === 'wheel')?.members, ['root', 'web']);
  });

  it('reads an image user string as an id, a path or a name', () => {
    assert.deepEqual(parseIdentityRef('1000'), { kind: 'id', id: 1000 });
    assert.deepEqual(parseIdentityRef('/etc/shadow'), { kind: 'path', path: '/etc/shadow' });
    assert.deepEqual(parseIdentityRef('www-data'), { kind: 'name', name: 'www-data' });
    assert.equal(parseIdentityRef(''), undefined);
    assert.throws(() => parseIdentityRef('/etc/../x'), (error: unknown) => hasErrorCode(error, 'ERR_IDENTITY_PATH'));
  });
});
