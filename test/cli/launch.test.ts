/**
 * The bundled executable with its code cache, as users run it: the first run of a command
 * writes a cache, the next runs use it unchanged, a damaged or untrusted one is never used and
 * the output never differs; non-root users get theirs in the XDG cache.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../harness/index.js';
import type { TempDir } from '../harness/index.js';
import { imageManifest, makeSmallImageDir } from './image-setup.js';
import { runRocklet } from './run-cli.js';

const CACHE_FILE = /^[0-9a-f]{16}-v8\.[0-9A-Za-z._]+-(version|image\.list|image\.build)\.bin$/;

describe('rocklet with its code cache (dist/rocklet/main.js)', () => {
  let tmp: TempDir;
  let plain: string;
  before(async () => {
    tmp = await makeTempDir('launch');
    const r = await runRocklet(['version'], { env: { ...process.env, ROCKLET_CODE_CACHE: 'off' } });
    assert.equal(r.code, 0, r.stderr);
    plain = r.stdout;
  });
  after(async () => {
    await tmp.remove();
  });

  const run = (dir: string, args: string[] = ['version']): ReturnType<typeof runRocklet> =>
    runRocklet(args, { env: { ...process.env, ROCKLET_CODE_CACHE: dir } });

  it('writes one cache file per command on the first run and reuses it unchanged', async () => {
    const dir = path.join(tmp.path, 'reuse');
    const first = await run(dir);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, plain);
    const [name, ...others] = await readdir(dir);
    assert.ok(name !== undefined && CACHE_FILE.test(name) && name.endsWith('-version.bin'), `cache file: ${String(name)}`);
    assert.deepEqual(others, []);
    const file = path.join(dir, name);
    const made = await stat(file);
    assert.equal(made.mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);

    // V8 accepted it: a rejected cache would be written again at exit.
    for (let i = 0; i < 2; i++) {
      const again = await run(dir);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, plain);
    }
    const after2 = await stat(file);
    assert.equal(after2.ino, made.ino);
    assert.equal(after2.mtimeMs, made.mtimeMs);

    const list = await run(dir, ['image', 'list', '--dir', path.join(tmp.path, 'empty-store')]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((await readdir(dir)).map((n) => n.replace(/^.*-/, '')).sort(), ['image.list.bin', 'version.bin']);
  });

  it('makes no cache from --help or a failed command (V8 would keep accepting the partial one)', async () => {
    const dir = path.join(tmp.path, 'partial');
    const help = await run(dir, ['run', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const failed = await run(dir, ['status', 'no-such-pod', '--dir', path.join(tmp.path, 'empty-store')]);
    assert.notEqual(failed.code, 0);
    await assert.rejects(readdir(dir), { code: 'ENOENT' });
  });

  it('loads packages lazily from a cached run too (image build requires tar-stream and zlib)', async () => {
    const dir = path.join(tmp.path, 'lazy');
    const imageDir = path.join(tmp.path, 'image');
    await makeSmallImageDir(imageDir, imageManifest('example.com/launch'), { 'etc/greeting': 'hello\n' });
    const sizes: number[] = [];
    for (const round of ['writes the cache', 'uses it']) {
      const out = path.join(tmp.path, `launch-${sizes.length}.aci`);
      const r = await run(dir, ['image', 'build', imageDir, out]);
      assert.equal(r.code, 0, `${round}: ${r.stderr}`);
      sizes.push((await stat(out)).size);
    }
    assert.ok((sizes[0] ?? 0) > 0 && sizes[0] === sizes[1], `the same image both times: ${sizes.join(', ')}`);
    assert.deepEqual((await readdir(dir)).map((n) => n.replace(/^.*-/, '')), ['image.build.bin']);
  });

  it('runs the same with a damaged cache, and replaces it', async () => {
    const dir = path.join(tmp.path, 'damaged');
    assert.equal((await run(dir)).code, 0);
    const [name] = await readdir(dir);
    assert.ok(name !== undefined);
    const file = path.join(dir, name);
    const garbage = randomBytes((await stat(file)).size);
    await writeFile(file, garbage, { mode: 0o600 });
    const r = await run(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, plain);
    assert.notDeepEqual(await readFile(file), garbage, 'the damaged file was replaced');
    const next = await stat(file);
    const again = await run(dir);
    assert.equal(again.stdout, plain);
    assert.equal((await stat(file)).mtimeMs, next.mtimeMs, 'and the new one is used');
  });

  it('neither reads nor writes a cache directory others can write, nor with ROCKLET_CODE_CACHE=off', async () => {
    const dir = path.join(tmp.path, 'shared');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const r = await run(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, plain);
    assert.deepEqual(await readdir(dir), []);

    const home = path.join(tmp.path, 'off-home');
    const off = await runRocklet(['version'], { env: { ...process.env, ROCKLET_CODE_CACHE: 'off', HOME: home, XDG_CACHE_HOME: home } });
    assert.equal(off.code, 0, off.stderr);
    await assert.rejects(stat(home), { code: 'ENOENT' });
  });

  it("keeps a non-root user's cache in XDG_CACHE_HOME, owned by that user", async () => {
    const home = path.join(tmp.path, 'nobody');
    await mkdir(home);
    await chown(home, 65534, 65534);
    await chmod(tmp.path, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, 'xdg') };
    delete env.ROCKLET_CODE_CACHE;
    const r = await runRocklet(['version'], { env, prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, plain);
    const dir = path.join(home, 'xdg', 'rocklet', 'code');
    const [name] = await readdir(dir);
    assert.ok(name !== undefined && CACHE_FILE.test(name), String(name));
    const st = await stat(path.join(dir, name));
    assert.equal(st.uid, 65534);
    assert.equal(st.mode & 0o777, 0o600);
  });
});
