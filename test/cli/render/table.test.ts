import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatColumns } from '../../../src/cli/render/table.js';

describe('formatColumns', () => {
  it('aligns columns two spaces apart without trailing blanks', () => {
    assert.equal(
      formatColumns([['ID', 'NAME', 'SIZE'], ['sha512-1', 'example.com/long-name', '4MiB'], ['sha512-22', 'x', '']]),
      'ID         NAME                   SIZE\nsha512-1   example.com/long-name  4MiB\nsha512-22  x\n',
    );
  });

  it('prints nothing for no rows', () => {
    assert.equal(formatColumns([]), '');
  });
});
