/** podReferences: what `image gc` keeps for pods — planned trees, images' trees, running pods' images. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ACName, ImageId, StoredTree } from '../../../src/image/index.js';
import type { LockedPod, PodUuid } from '../../../src/pod/index.js';
import {
  POD_PLAN_FILE, createPod, markExited, markPrepared, markRunning, plannedTrees, podReferences, writePodManifest, writePodPlan,
} from '../../../src/pod/index.js';
import { tempStore } from '../store/helpers.js';
import { busyboxApp, podPlan } from './fixture.js';

const image = (hex: string): ImageId => `sha512-${hex.repeat(128 / hex.length)}` as ImageId;
const A = image('a');
const B = image('b');
const C = image('c');

/** A tree as the image store lists it. */
function tree(id: string, layers: readonly ImageId[]): StoredTree {
  return { id, path: `/trees/${id}`, rootfs: `/trees/${id}/rootfs`, layers, hash: {} as StoredTree['hash'], stale: false };
}

describe('podReferences', async () => {
  const { store, dataDir } = await tempStore('image-refs');
  const held: LockedPod[] = [];

  async function pod(imageId: ImageId, then: 'prepared' | 'running' | 'exited garbage', trees?: readonly string[]): Promise<PodUuid> {
    const created = await createPod(store);
    await writePodManifest(created.path, { acKind: 'PodManifest' }, { apps: [{ name: 'main' as ACName, imageName: 'example.com/x', imageId }] });
    if (trees !== undefined) await writePodPlan(created.path, podPlan([busyboxApp(trees[0] ?? '', 'main', ['/bin/true'], { image: { id: imageId, name: 'example.com/x', trees } })]));
    if (then === 'prepared') {
      await markPrepared(created);
    } else {
      await markRunning(created);
      if (then === 'running') held.push(created);
      else {
        await created.release();
        await markExited(store, created.uuid);
      }
    }
    return created.uuid;
  }

  it('keeps the trees plans name, the trees topped by pods\' images with their layers, and running pods\' images', async () => {
    await pod(A, 'prepared', ['deps-planned', 'deps-lower']);
    await pod(B, 'running');
    await pod(C, 'exited garbage');
    const trees = [tree(A, [A]), tree('deps-of-b', [A, B]), tree(B, [B]), tree('deps-unused', [B, A]), tree(C, [C]), tree('deps-planned', [A])];
    const refs = await podReferences(dataDir, trees);
    assert.equal(refs.keepAllTreesBecause, undefined);
    assert.deepEqual([...refs.runningImages], [B]);
    assert.deepEqual([...refs.trees].sort(), ['deps-lower', 'deps-of-b', 'deps-planned', A, B, C].sort());
    for (const lock of held.splice(0)) await lock.release();
  });

  it('keeps every tree while a pod is being prepared or a plan cannot be read', async () => {
    const preparing = await createPod(store);
    try {
      assert.equal((await podReferences(dataDir, [])).keepAllTreesBecause, `pod ${preparing.uuid} is being prepared`);
    } finally {
      await preparing.release();
    }
    const { uuid } = { uuid: await pod(A, 'prepared', ['deps-x']) };
    const bad = path.join(dataDir, 'pods', 'prepared', uuid, POD_PLAN_FILE);
    await writeFile(bad, '{"apps": [{"image": {}}]}');
    await assert.rejects(plannedTrees(path.dirname(bad)), { code: 'ERR_POD_FILE_CORRUPT' });
    assert.match((await podReferences(dataDir, [])).keepAllTreesBecause ?? '', /cannot be read|is being prepared/);
  });
});
