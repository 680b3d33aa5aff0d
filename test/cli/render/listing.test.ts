import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParsedFlags } from '../../../src/cli/flags.js';
import type { Listing } from '../../../src/cli/render/listing.js';
import { parseNameList, readListingOptions, renderListing, sortRows } from '../../../src/cli/render/listing.js';
import { errorLines } from '../../../src/cli/render/item-errors.js';
import { hasErrorCode, invalidArgument, notFound } from '../../../src/util/index.js';

interface Pet {
  readonly name: string;
  readonly kind: string;
  readonly age: number;
}

const PETS: Listing<Pet> = {
  columns: [
    { field: 'name', header: 'NAME', cell: (pet) => pet.name, sortKey: (pet) => pet.name },
    { field: 'kind', header: 'KIND', cell: (pet) => pet.kind, sortKey: (pet) => pet.kind },
    { field: 'age', header: 'AGE', cell: (pet, style) => (style.full ? `${pet.age} years` : String(pet.age)), sortKey: (pet) => pet.age },
    { field: 'note', header: 'NOTE', cell: () => '-' },
  ],
  defaultFields: ['name', 'kind', 'age'],
  toJson: (pet) => ({ name: pet.name, kind: pet.kind, age: pet.age }),
};
const ROWS: Pet[] = [
  { name: 'rex', kind: 'dog', age: 3 },
  { name: 'tom', kind: 'cat', age: 3 },
  { name: 'ace', kind: 'dog', age: 1 },
  { name: 'kit', kind: 'cat', age: 7 },
];

function flags(values: Record<string, boolean | string | string[]>): ParsedFlags {
  return new ParsedFlags(new Map(Object.entries(values)));
}

function usage(message: string): (error: unknown) => boolean {
  return (error) => hasErrorCode(error, 'ERR_FLAG_VALUE') && error.exitCode === 2 && error.message === message;
}

describe('listing', () => {
  it('renders the default fields with a legend, rows in their order', () => {
    const options = readListingOptions(PETS, flags({}), undefined);
    assert.equal(renderListing(PETS, ROWS, options), 'NAME  KIND  AGE\nrex   dog   3\ntom   cat   3\nace   dog   1\nkit   cat   7\n');
  });

  it('--fields, --no-legend and --full shape the table', () => {
    const options = readListingOptions(PETS, flags({ fields: ['AGE,note'], 'no-legend': true, full: true }), 'table');
    assert.equal(renderListing(PETS, ROWS.slice(0, 2), options), '3 years  -\n3 years  -\n');
  });

  it('sorts by several keys in turn; ties keep their order, also descending', () => {
    assert.deepEqual(sortRows(PETS, ROWS, ['kind', 'age'], 'asc').map((pet) => pet.name), ['tom', 'kit', 'ace', 'rex']);
    assert.deepEqual(sortRows(PETS, ROWS, ['age'], 'desc').map((pet) => pet.name), ['kit', 'rex', 'tom', 'ace']);
    const options = readListingOptions(PETS, flags({ sort: ['kind', 'name'], order: 'DESC', format: 'json' }), 'json');
    assert.equal(renderListing(PETS, ROWS, options),
      '[{"name":"rex","kind":"dog","age":3},{"name":"ace","kind":"dog","age":1},{"name":"tom","kind":"cat","age":3},{"name":"kit","kind":"cat","age":7}]\n');
  });

  it('json-pretty indents; JSON ignores --fields and the legend', () => {
    const options = readListingOptions(PETS, flags({ fields: ['name'] }), 'json-pretty');
    assert.equal(renderListing(PETS, ROWS.slice(2, 3), options), '[\n  {\n    "name": "ace",\n    "kind": "dog",\n    "age": 1\n  }\n]\n');
  });

  it('refuses unknown, unsortable, repeated and empty names, naming the valid ones', () => {
    assert.throws(() => readListingOptions(PETS, flags({ fields: ['name,colour'] }), undefined),
      usage('unknown field "colour" in --fields: valid fields are name, kind, age, note'));
    assert.throws(() => readListingOptions(PETS, flags({ sort: ['note'] }), undefined),
      usage('unknown field "note" in --sort: valid fields are name, kind, age'));
    assert.throws(() => parseNameList('fields', ['name', 'Name'], ['name']), usage('field "name" is given twice in --fields'));
    assert.throws(() => parseNameList('sort', [''], ['name']), usage('empty name in --sort: expected a comma-separated list of name'));
    assert.throws(() => readListingOptions(PETS, flags({ order: 'up' }), undefined), usage('invalid value "up" for --order: expected asc or desc'));
  });
});

describe('errorLines', () => {
  it('gives the message lines, the hint, and with debug the causes', () => {
    const cause = new Error('EACCES: permission denied');
    const error = notFound('ERR_X', 'no such image\nsecond line', { hint: 'fetch it', cause });
    assert.deepEqual(errorLines(error), ['no such image', 'second line', 'hint: fetch it']);
    assert.deepEqual(errorLines(error, true), ['no such image', 'second line', 'hint: fetch it', '  └─ EACCES: permission denied']);
    assert.deepEqual(errorLines(invalidArgument('ERR_Y', 'bad')), ['bad']);
    assert.deepEqual(errorLines(new TypeError('oops')), ['internal error: oops']);
  });
});
