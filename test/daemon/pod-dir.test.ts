import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PodFileKey, ReadPodFile } from '../../src/daemon/index.js';
import { classifyEntry, readDaemonPodFile, summarizeErrors, unsafeFileReason } from '../../src/daemon/index.js';
import type { Diagnostic } from '../../src/podfile/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';

const NODE = 'node-1';

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx:1.27
`;

const key = (name: string): PodFileKey => name as PodFileKey;

describe('daemon/pod-dir classifyEntry', () => {
  for (const name of ['web.yaml', 'a.yml', 'x.json', 'my-pod.v2.yaml']) {
    it(`takes ${name} as a pod file keyed by its name`, () => {
      assert.deepEqual(classifyEntry(name), { kind: 'pod-file', key: name });
    });
  }

  const ignored: [string, RegExp][] = [
    ['.web.yaml.swp', /dot-file/],
    ['.#web.yaml', /dot-file/],
    ['.yaml', /dot-file/],
    ['web.yaml~', /not named \*\.yaml/],
    ['web.yaml.bak', /not named \*\.yaml/],
    ['web.yaml.orig', /not named \*\.yaml/],
    ['web.yaml.dpkg-old', /not named \*\.yaml/],
    ['web.yaml.rpmnew', /not named \*\.yaml/],
    ['4913', /not named \*\.yaml/],
    ['README', /not named \*\.yaml/],
    ['', /not a file name/],
    ['sub/web.yaml', /not a file name/],
  ];
  for (const [name, reason] of ignored) {
    it(`ignores ${JSON.stringify(name)} with a reason`, () => {
      const entry = classifyEntry(name);
      assert.equal(entry.kind, 'ignored');
      if (entry.kind !== 'ignored') return;
      assert.match(entry.reason, reason);
    });
  }
});

describe('daemon/pod-dir readDaemonPodFile', () => {
  let tmp: TempDir;
  let dir: string;
  let elsewhere: string;
  before(async () => {
    tmp = await makeTempDir('daemon-pod-dir');
    dir = path.join(tmp.path, 'pods');
    elsewhere = path.join(tmp.path, 'elsewhere');
    await mkdir(dir);
    await mkdir(elsewhere);
  });
  after(() => tmp.remove());

  async function put(name: string, text: string | Buffer, mode = 0o644): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    await chmod(file, mode);
    return file;
  }

  function refusal(read: ReadPodFile): string {
    if (read.kind !== 'refused') assert.fail(`expected a refusal, got ${JSON.stringify(read)}`);
    return read.reason;
  }

  it('parses a valid root-owned 0644 file', async () => {
    await put('web.yaml', WEB);
    const read = await readDaemonPodFile(dir, key('web.yaml'), NODE);
    assert.equal(read.kind, 'parsed');
    if (read.kind !== 'parsed') return;
    assert.equal(read.result.ok, true);
    if (read.result.ok) assert.equal(read.result.spec.name, 'web');
    assert.equal(read.fingerprint.size, Buffer.byteLength(WEB));
  });

  it('reports a missing file as missing', async () => {
    assert.deepEqual(await readDaemonPodFile(dir, key('nope.yaml'), NODE), { kind: 'missing' });
  });

  it('refuses a directory named like a pod file', async () => {
    await mkdir(path.join(dir, 'x.yaml'));
    assert.match(refusal(await readDaemonPodFile(dir, key('x.yaml'), NODE)), /the file is a directory/);
  });

  it('refuses a dangling symlink', async () => {
    await symlink(path.join(elsewhere, 'gone.yaml'), path.join(dir, 'dangling.yaml'));
    assert.match(refusal(await readDaemonPodFile(dir, key('dangling.yaml'), NODE)), /dangling symlink/);
  });

  it('refuses a symlink loop and a symlink to a directory', async () => {
    await symlink('loop.yaml', path.join(dir, 'loop.yaml'));
    assert.equal(refusal(await readDaemonPodFile(dir, key('loop.yaml'), NODE)), 'a symlink loop');
    await symlink(elsewhere, path.join(dir, 'to-dir.yaml'));
    assert.match(refusal(await readDaemonPodFile(dir, key('to-dir.yaml'), NODE)), /^the symlink's target is a directory/);
  });

  it('follows a symlink to a valid root-owned file', async () => {
    const target = path.join(elsewhere, 'real.yaml');
    await writeFile(target, WEB.replace('name: web', 'name: linked'));
    await chmod(target, 0o644);
    await symlink(target, path.join(dir, 'linked.yaml'));
    const read = await readDaemonPodFile(dir, key('linked.yaml'), NODE);
    assert.equal(read.kind, 'parsed');
    if (read.kind === 'parsed' && read.result.ok) assert.equal(read.result.spec.name, 'linked');
    else assert.fail(`expected a valid parse, got ${JSON.stringify(read)}`);
  });

  it('refuses a symlink whose target is world-writable, naming the target', async () => {
    const target = path.join(elsewhere, 'loose.yaml');
    await writeFile(target, WEB);
    await chmod(target, 0o666);
    await symlink(target, path.join(dir, 'loose-link.yaml'));
    const reason = refusal(await readDaemonPodFile(dir, key('loose-link.yaml'), NODE));
    assert.match(reason, /^the symlink's target is writable by everyone \(mode 0666\)/);
  });

  it('refuses a world-writable file, naming everyone and the mode', async () => {
    await put('world.yaml', WEB, 0o666);
    const reason = refusal(await readDaemonPodFile(dir, key('world.yaml'), NODE));
    assert.match(reason, /writable by everyone/);
    assert.match(reason, /mode 0666/);
    assert.match(reason, /chmod go-w/);
  });

  it('refuses a group-writable file, naming its group', async () => {
    await put('group.yaml', WEB, 0o664);
    const reason = refusal(await readDaemonPodFile(dir, key('group.yaml'), NODE));
    assert.match(reason, /writable by its group \(mode 0664\)/);
  });

  it('refuses a file owned by another uid, naming the uid', async () => {
    const file = await put('owned.yaml', WEB);
    await chown(file, 1000, 0);
    const reason = refusal(await readDaemonPodFile(dir, key('owned.yaml'), NODE));
    assert.match(reason, /owned by uid 1000/);
    assert.match(reason, /chown root/);
  });

  it('parses an empty file into an invalid result (not a refusal)', async () => {
    await put('empty.yaml', '');
    const read = await readDaemonPodFile(dir, key('empty.yaml'), NODE);
    assert.equal(read.kind, 'parsed');
    if (read.kind !== 'parsed') return;
    assert.equal(read.result.ok, false);
    assert.equal(read.fingerprint.size, 0);
  });

  it('parses a 2 MiB file into an invalid result that says it is too large', async () => {
    await put('huge.yaml', Buffer.alloc(2 * 1024 * 1024, 0x61));
    const read = await readDaemonPodFile(dir, key('huge.yaml'), NODE);
    assert.equal(read.kind, 'parsed');
    if (read.kind !== 'parsed') return;
    assert.equal(read.result.ok, false);
    if (read.result.ok) return;
    assert.ok(read.result.errors.some((e) => /too large/.test(e.message)), JSON.stringify(read.result.errors));
  });
});

describe('daemon/pod-dir unsafeFileReason', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('daemon-unsafe');
  });
  after(() => tmp.remove());

  it('accepts a root-owned 0600/0644/0755 file and refuses special files', async () => {
    const file = path.join(tmp.path, 'f.yaml');
    await writeFile(file, WEB);
    for (const mode of [0o600, 0o644, 0o755, 0o4755]) {
      await chmod(file, mode);
      assert.equal(unsafeFileReason(await lstat(file), false), undefined, `mode ${mode.toString(8)}`);
    }
    await chmod(file, 0o646);
    assert.match(unsafeFileReason(await lstat(file), true) ?? '', /^the symlink's target is writable by everyone \(mode 0646\)/);
    assert.match(unsafeFileReason(await lstat('/dev/null'), false) ?? '', /not a regular file/);
  });
});

describe('daemon/pod-dir summarizeErrors', () => {
  const diag = (line: number, column: number, path: string, message: string): Diagnostic => ({ file: '/etc/pods/web.yaml', line, column, path, message, severity: 'error' });

  it('shows the first error as file:line:col: path: message', () => {
    assert.equal(summarizeErrors([diag(7, 14, 'spec.containers[0].image', 'is required')]), '/etc/pods/web.yaml:7:14: spec.containers[0].image: is required');
  });

  it('counts the other errors, singular and plural', () => {
    const first = diag(3, 1, 'metadata.name', 'bad name');
    assert.equal(summarizeErrors([first, diag(4, 1, 'x', 'y')]), '/etc/pods/web.yaml:3:1: metadata.name: bad name (and 1 more error)');
    assert.equal(summarizeErrors([first, diag(4, 1, 'x', 'y'), diag(5, 1, 'z', 'w')]), '/etc/pods/web.yaml:3:1: metadata.name: bad name (and 2 more errors)');
  });

  it('leaves out a missing position and says something for no errors', () => {
    assert.equal(summarizeErrors([diag(0, 0, '', 'cannot read file')]), '/etc/pods/web.yaml: cannot read file');
    assert.equal(summarizeErrors([]), 'invalid pod file');
  });
});
