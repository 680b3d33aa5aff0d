/** `rocklet image rm`: ID prefixes, bare hex, names; distinct errors; partial failure. */
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImageId } from '../../src/image/index.js';
import { makeTar, minimalEntries } from '../image/fixtures.js';
import type { BuiltImage, ImageWorkspace } from './image-setup.js';
import { buildImage, createWorkspace, imageManifest, importImage, linesOf, makeSmallImageDir } from './image-setup.js';

const PREFIX = 'sha512-';

describe('rocklet image rm', () => {
  let ws: ImageWorkspace;
  let web: BuiltImage;
  let db: BuiltImage;
  /** Two stored images whose IDs share their first two hex digits. */
  let clash: [ImageId, ImageId];

  /** The shortest prefix (≥ 2 hex digits) of `id` that no other stored image shares. */
  async function uniquePrefix(id: ImageId): Promise<string> {
    const others = (await (await ws.store()).list()).map((record) => record.id).filter((other) => other !== id);
    for (let digits = 2; ; digits += 1) {
      const prefix = id.slice(0, PREFIX.length + digits);
      if (!others.some((other) => other.startsWith(prefix))) return prefix;
    }
  }

  async function storedIds(): Promise<ImageId[]> {
    return (await (await ws.store()).list()).map((record) => record.id);
  }

  before(async () => {
    ws = await createWorkspace('image-rm');
    await makeSmallImageDir(path.join(ws.root, 'web'), imageManifest('example.com/web', '1.2'), { 'srv/index.html': 'hello\n' });
    await makeSmallImageDir(path.join(ws.root, 'db'), imageManifest('example.com/db', '9.6'), { 'var/lib/db/data': 'rows\n' });
    web = await buildImage(path.join(ws.root, 'web'));
    db = await buildImage(path.join(ws.root, 'db'));
    await importImage(ws, web.gzipAci);
    await importImage(ws, db.plainAci);
    const byPrefix = new Map<string, ImageId>();
    for (let index = 0; index < 300; index += 1) {
      const file = path.join(ws.root, `tiny-${index}.aci`);
      await writeFile(file, await makeTar(minimalEntries(imageManifest(`example.com/tiny-${index}`))));
      const id = await importImage(ws, file);
      const seen = byPrefix.get(id.slice(0, PREFIX.length + 2));
      if (seen !== undefined) {
        clash = [seen, id];
        break;
      }
      byPrefix.set(id.slice(0, PREFIX.length + 2), id);
    }
    assert.ok(clash !== undefined, 'two IDs sharing two hex digits');
  });
  after(() => ws.remove());

  async function expectFailure(args: string[], lines: string[]): Promise<void> {
    const before = await ws.snapshot();
    const r = await ws.rocklet(['image', 'rm', ...args]);
    assert.equal(r.code, 254, args.join(' '));
    assert.equal(r.stdout, '');
    assert.deepEqual(linesOf(r.stderr), lines);
    assert.deepEqual(await ws.snapshot(), before, 'the store is unchanged');
  }

  it('an ID that is too short, ambiguous, or matches nothing: each its own error, store unchanged', async () => {
    await expectFailure(['sha512-a'], [
      'image rm: image ID too short: "sha512-a"',
      'image rm: hint: give at least 2 hex digits after "sha512-"',
      'image rm: 1 image(s) cannot be removed',
    ]);
    const shared = clash[0].slice(0, PREFIX.length + 2);
    const matches = (await storedIds()).filter((id) => id.startsWith(shared)).length;
    await expectFailure([shared], [
      `image rm: ambiguous image ID: "${shared}" matches ${matches} images`,
      'image rm: hint: give more hex digits of the ID',
      'image rm: 1 image(s) cannot be removed',
    ]);
    const ids = await storedIds();
    const unused = [...Array(256).keys()].map((n) => n.toString(16).padStart(2, '0')).find((hex) => !ids.some((id) => id.startsWith(`${PREFIX}${hex}`)));
    assert.ok(unused !== undefined);
    await expectFailure([`${PREFIX}${unused}`], [
      `image rm: no image IDs found matching "${PREFIX}${unused}"`,
      'image rm: hint: list images with "rocklet image list"',
      'image rm: 1 image(s) cannot be removed',
    ]);
    await expectFailure([unused, 'example.com/nope:1.0', 'sha512-ABCD'], [
      `image rm: no image IDs found matching "${unused}" (and no image is named so)`,
      'image rm: hint: list images with "rocklet image list"',
      'image rm: no image named "example.com/nope" with version=1.0 in the store',
      'image rm: hint: fetch it first, or list images with "rocklet image list"',
      'image rm: invalid image ID "sha512-ABCD": the digest must be lowercase hex',
      'image rm: 3 image(s) cannot be removed',
    ]);
  });

  it('removes by short ID prefix and prints rkt\'s lines; the tree stays for pods until gc', async () => {
    const prefix = await uniquePrefix(web.id);
    const r = await ws.rocklet(['image', 'rm', prefix]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `successfully removed aci for image: "${web.id}"\n`);
    assert.equal(r.stderr, 'image rm: 1 image(s) successfully removed\n');
    assert.ok(!(await storedIds()).includes(web.id));
    assert.ok((await stat(path.join(ws.dataDir, 'images/trees', web.id))).isDirectory());
    await importImage(ws, web.plainAci);
  });

  it('removes by bare hex and by name:version; an ID and a name of one image remove it once', async () => {
    const bare = (await uniquePrefix(db.id)).slice(PREFIX.length);
    const byHex = await ws.rocklet(['image', 'rm', bare]);
    assert.deepEqual([byHex.code, byHex.stdout], [0, `successfully removed aci for image: "${db.id}"\n`], byHex.stderr);
    const byName = await ws.rocklet(['image', 'rm', 'example.com/web:1.2']);
    assert.deepEqual([byName.code, byName.stdout], [0, `successfully removed aci for image: "${web.id}"\n`], byName.stderr);
    await importImage(ws, web.plainAci);
    const twice = await ws.rocklet(['image', 'rm', 'example.com/web', web.id, web.id.slice(PREFIX.length)]);
    assert.equal(twice.code, 0, twice.stderr);
    assert.equal(twice.stdout, `successfully removed aci for image: "${web.id}"\n`);
    assert.equal(twice.stderr, 'image rm: 1 image(s) successfully removed\n');
    await importImage(ws, web.plainAci);
    await importImage(ws, db.plainAci);
  });

  it('a partial failure removes the others, reports each failure and exits 254', async () => {
    const r = await ws.rocklet(['image', 'rm', 'example.com/web', 'sha512-z', 'example.com/db:9.6', 'example.com/gone']);
    assert.equal(r.code, 254);
    assert.equal(r.stdout, `successfully removed aci for image: "${web.id}"\nsuccessfully removed aci for image: "${db.id}"\n`);
    assert.deepEqual(linesOf(r.stderr), [
      'image rm: invalid image ID "sha512-z": the digest must be lowercase hex',
      'image rm: no image named "example.com/gone" in the store',
      'image rm: hint: fetch it first, or list images with "rocklet image list"',
      'image rm: 2 image(s) successfully removed',
      'image rm: 2 image(s) cannot be removed',
    ]);
    const ids = await storedIds();
    assert.ok(!ids.includes(web.id) && !ids.includes(db.id));
    assert.ok(ids.includes(clash[0]) && ids.includes(clash[1]), 'the others stay');
  });

  it('exits 2 without an IMAGE', async () => {
    const r = await ws.rocklet(['image', 'rm']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^image rm: missing IMAGE argument$/m);
  });
});
