import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  isPodUuid, newPodUuid, parsePodUuid, parseUuidPrefix, readUuidFile, shortUuid, writeUuidFile,
} from '../../../src/pod/index.js';
import { tempStore } from './helpers.js';

const UUID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

describe('pod UUIDs', () => {
  it('makes canonical random v4 UUIDs', () => {
    const a = newPodUuid();
    assert.ok(isPodUuid(a));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, newPodUuid());
    assert.equal(shortUuid(parsePodUuid(UUID)), '1a2b3c4d');
  });

  it('parses the dashed and the bare form in any case into the canonical form', () => {
    assert.equal(parsePodUuid(UUID), UUID);
    assert.equal(parsePodUuid(UUID.toUpperCase()), UUID);
    assert.equal(parsePodUuid(UUID.replaceAll('-', '')), UUID);
  });

  it('refuses empty and malformed UUIDs with distinct codes and messages', () => {
    assert.throws(() => parsePodUuid(''), { code: 'ERR_POD_UUID_EMPTY', message: 'UUID cannot be empty' });
    assert.throws(() => parsePodUuid('1a2b3c4d'), {
      code: 'ERR_POD_UUID_INVALID',
      message: 'invalid UUID "1a2b3c4d": too short for a full UUID',
    });
    assert.throws(() => parsePodUuid('1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5z'), {
      code: 'ERR_POD_UUID_INVALID',
      message: 'invalid UUID "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5z": "z" is not a hex digit',
    });
  });

  it('checks prefixes: hex digits, dashes only where the canonical form has them', () => {
    assert.equal(parseUuidPrefix('1A2B'), '1a2b');
    assert.equal(parseUuidPrefix('1a2b3c4d-5e'), '1a2b3c4d5e');
    assert.equal(parseUuidPrefix('1a2b3c4d5e6f'), '1a2b3c4d5e6f');
    assert.throws(() => parseUuidPrefix(''), { code: 'ERR_POD_UUID_EMPTY' });
    assert.throws(() => parseUuidPrefix('1a2b-3c'), {
      code: 'ERR_POD_UUID_INVALID',
      message: 'invalid UUID "1a2b-3c": dashes must separate groups of 8-4-4-4-12 hex digits',
    });
    assert.throws(() => parseUuidPrefix('../etc'), { code: 'ERR_POD_UUID_INVALID', message: /"\." is not a hex digit/ });
    assert.throws(() => parseUuidPrefix('a'.repeat(33)), { code: 'ERR_POD_UUID_INVALID', message: /longer than 32 hex digits/ });
    assert.throws(() => parseUuidPrefix(`${UUID}-`), { code: 'ERR_POD_UUID_INVALID', message: /longer than a UUID/ });
  });

  describe('--uuid-file-save and --uuid-file', async () => {
    const { dataDir } = await tempStore('uuidfile');

    it('writes the canonical UUID without a newline and reads it back', async () => {
      const file = path.join(dataDir, 'saved');
      await writeUuidFile(file, parsePodUuid(UUID));
      assert.equal(await readFile(file, 'utf8'), UUID);
      assert.equal(await readUuidFile(file), UUID);
    });

    it('trims whitespace around the UUID', async () => {
      const file = path.join(dataDir, 'spaced');
      await writeFile(file, `\n  ${UUID.toUpperCase()}\t\n`);
      assert.equal(await readUuidFile(file), UUID);
    });

    it('names the file when it is missing or holds no UUID', async () => {
      const missing = path.join(dataDir, 'missing');
      await assert.rejects(readUuidFile(missing), {
        code: 'ERR_UUID_FILE_NOT_FOUND',
        message: `UUID file "${missing}" does not exist`,
      });
      const bad = path.join(dataDir, 'bad');
      await writeFile(bad, '1a2b3c4d\n');
      await assert.rejects(readUuidFile(bad), {
        code: 'ERR_UUID_FILE_INVALID',
        message: `UUID file "${bad}" does not hold a pod UUID (found "1a2b3c4d")`,
      });
      const empty = path.join(dataDir, 'empty');
      await writeFile(empty, ' \n');
      await assert.rejects(readUuidFile(empty), { code: 'ERR_UUID_FILE_INVALID', message: /\(found ""\)/ });
    });
  });
});
