import assert from 'node:assert/strict';
import { mkdtemp, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureNetnsFile, isNetnsFile, removeNetnsFile } from '../../src/net/index.js';
import { execChecked } from '../harness/exec.js';
import { inNs, mountsUnder } from './fixture.js';

describe('netns files', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `rltest-net-${process.pid}-netns-`));
  });
  after(async () => {
    for (const mount of (await mountsUnder(dir)).reverse()) await execChecked(['umount', '--lazy', mount]);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a fresh namespace bound to a file (parent dirs included), idempotently', async () => {
    const file = path.join(dir, 'sub', 'pod-1');
    assert.equal(await isNetnsFile(file), false);
    assert.equal(await ensureNetnsFile(file), true);
    assert.equal(await isNetnsFile(file), true);
    const ino = (await stat(file)).ino;
    assert.equal(await ensureNetnsFile(file), false, 'second call must reuse the namespace');
    assert.equal((await stat(file)).ino, ino);
    assert.deepEqual(await mountsUnder(dir), [file], 'exactly one mount');
    // A fresh namespace: only a loopback, and it is up.
    const links = JSON.parse(await execChecked(inNs(file, ['ip', '-j', 'link', 'show']))) as { ifname: string; flags: string[] }[];
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
    assert.ok(links[0]?.flags.includes('UP'), `lo is up: ${JSON.stringify(links)}`);
  });

  it('leaves the caller\'s own network namespace alone', async () => {
    const ownNs = await readlink('/proc/self/ns/net');
    const hostLinks = await execChecked(['ip', '-br', 'link', 'show']);
    const file = path.join(dir, 'pod-own');
    assert.equal(await ensureNetnsFile(file), true);
    assert.equal(await readlink('/proc/self/ns/net'), ownNs, 'this process is still in its own netns');
    assert.notEqual((await stat(file)).ino, (await stat('/proc/self/ns/net')).ino, 'the file holds another namespace');
    assert.equal(await execChecked(['ip', '-br', 'link', 'show']), hostLinks, 'host links unchanged');
  });

  it('reuses an empty file left by a crash before the mount', async () => {
    const file = path.join(dir, 'pod-crashed');
    await writeFile(file, '');
    assert.equal(await ensureNetnsFile(file), true);
    assert.equal(await isNetnsFile(file), true);
  });

  it('removes the mount and the file, also stacked mounts, and is idempotent', async () => {
    const file = path.join(dir, 'pod-2');
    await ensureNetnsFile(file);
    await execChecked(['unshare', `--net=${file}`, 'true']); // a second namespace stacked on the file
    assert.equal((await mountsUnder(dir)).filter((m) => m === file).length, 2);
    assert.equal(await removeNetnsFile(file), true);
    assert.equal(await isNetnsFile(file), false);
    assert.ok(!(await readdir(dir)).includes('pod-2'));
    assert.ok(!(await mountsUnder(dir)).includes(file));
    assert.equal(await removeNetnsFile(file), false);
  });
});
