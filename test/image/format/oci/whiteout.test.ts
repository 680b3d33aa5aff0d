import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyLayerPath, isBadWhiteoutTarget } from '../../../../src/image/format/oci/index.js';

describe('format/oci whiteouts', () => {
  it('tells entries, whiteouts and opaque markers apart, at the root and deeper', () => {
    assert.deepEqual(classifyLayerPath('etc/passwd'), { kind: 'entry' });
    assert.deepEqual(classifyLayerPath('etc/.whiteboard'), { kind: 'entry' }, 'only the exact ".wh." prefix counts');
    assert.deepEqual(classifyLayerPath('.wh.gone'), { kind: 'whiteout', target: 'gone' });
    assert.deepEqual(classifyLayerPath('a/b/.wh.c'), { kind: 'whiteout', target: 'a/b/c' });
    assert.deepEqual(classifyLayerPath('a/.wh..wh..opq'), { kind: 'opaque', dir: 'a' });
    assert.deepEqual(classifyLayerPath('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  });

  it('refuses whiteouts that name nothing a layer can hold', () => {
    for (const target of ['', 'a/', '.', 'a/..', 'a/.wh.b', '.wh..wh..plnk']) assert.ok(isBadWhiteoutTarget(target), target);
    for (const target of ['a', 'a/b', '.hidden']) assert.ok(!isBadWhiteoutTarget(target), target);
  });
});
