import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodUuid } from '../../../src/pod/index.js';
import { parsePodUuid, podStore, resolvePodUuid } from '../../../src/pod/index.js';
import { fakePod, tempStore } from './helpers.js';

const u = (text: string): PodUuid => parsePodUuid(text);

describe('UUID prefix resolution', async () => {
  const { store } = await tempStore('resolve');
  await fakePod(store, 'run', { uuid: u('aaaa1111-0000-4000-8000-000000000001') });
  await fakePod(store, 'prepared', { uuid: u('aaaa2222-0000-4000-8000-000000000002') });
  await fakePod(store, 'prepare', { uuid: u('bbbb1111-0000-4000-8000-000000000003') });
  await fakePod(store, 'exited-garbage', { uuid: u('cccc1111-0000-4000-8000-000000000004') });
  // rkt did not search embryo/ and garbage/.
  await fakePod(store, 'embryo', { uuid: u('dddd1111-0000-4000-8000-000000000005') });
  await fakePod(store, 'garbage', { uuid: u('eeee1111-0000-4000-8000-000000000006') });

  it('resolves a unique prefix in any case, with or without dashes', async () => {
    assert.equal(await resolvePodUuid(store, 'aaaa1'), 'aaaa1111-0000-4000-8000-000000000001');
    assert.equal(await resolvePodUuid(store, 'AAAA2'), 'aaaa2222-0000-4000-8000-000000000002');
    assert.equal(await resolvePodUuid(store, 'bbbb1111-0'), 'bbbb1111-0000-4000-8000-000000000003');
    assert.equal(await resolvePodUuid(store, 'cccc11110000'), 'cccc1111-0000-4000-8000-000000000004');
    assert.equal(await resolvePodUuid(store, 'cccc1111-0000-4000-8000-000000000004'), 'cccc1111-0000-4000-8000-000000000004');
  });

  it('reports an ambiguous prefix with the number of matches', async () => {
    await assert.rejects(resolvePodUuid(store, 'aaaa'), {
      code: 'ERR_POD_UUID_AMBIGUOUS',
      message: 'ambiguous uuid, 2 matches',
    });
    await assert.rejects(resolvePodUuid(store, 'A'), { code: 'ERR_POD_UUID_AMBIGUOUS', message: 'ambiguous uuid, 2 matches' });
  });

  it('reports no matches, lowercased like rkt', async () => {
    await assert.rejects(resolvePodUuid(store, 'FFFF'), { code: 'ERR_POD_NOT_FOUND', message: 'no matches found for "ffff"' });
    await assert.rejects(resolvePodUuid(store, 'dddd'), { code: 'ERR_POD_NOT_FOUND', message: 'no matches found for "dddd"' });
    await assert.rejects(resolvePodUuid(store, 'eeee1111'), { code: 'ERR_POD_NOT_FOUND' });
  });

  it('refuses empty and malformed input before looking', async () => {
    await assert.rejects(resolvePodUuid(store, ''), { code: 'ERR_POD_UUID_EMPTY', message: 'UUID cannot be empty' });
    await assert.rejects(resolvePodUuid(store, 'aaaa!'), {
      code: 'ERR_POD_UUID_INVALID',
      message: 'invalid UUID "aaaa!": "!" is not a hex digit',
    });
  });

  it('finds nothing in a store that does not exist yet', async () => {
    await assert.rejects(resolvePodUuid(podStore('/nonexistent/rocklet-store'), 'aa'), { code: 'ERR_POD_NOT_FOUND' });
  });
});
