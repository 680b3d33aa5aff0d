import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasErrorCode, readConfigFile } from '../../src/util/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';

describe('util/config-file', () => {
  let tmp: TempDir;
  let count = 0;
  before(async () => {
    tmp = await makeTempDir('config-file');
  });
  after(() => tmp.remove());

  /** A fresh config dir holding `text` as config.yaml. */
  async function configDir(text: string): Promise<string> {
    const dir = path.join(tmp.path, `c${count++}`);
    await mkdir(dir);
    await writeFile(path.join(dir, 'config.yaml'), text);
    return dir;
  }

  it('is an empty mapping when the file does not exist', async () => {
    const dir = path.join(tmp.path, 'missing');
    assert.deepEqual(await readConfigFile(dir), { file: path.join(dir, 'config.yaml'), values: {} });
  });

  it('is an empty mapping for an empty file or one with only comments', async () => {
    assert.deepEqual((await readConfigFile(await configDir(''))).values, {});
    assert.deepEqual((await readConfigFile(await configDir('# nothing set yet\n'))).values, {});
  });

  it('returns the top-level mapping, every section as written', async () => {
    const dir = await configDir('tls:\n  caFile: ca.pem\nnetwork:\n  subnet: 10.1.0.0/16\nother: [1, 2]\n');
    const config = await readConfigFile(dir);
    assert.equal(config.file, path.join(dir, 'config.yaml'));
    assert.deepEqual(config.values, { tls: { caFile: 'ca.pem' }, network: { subnet: '10.1.0.0/16' }, other: [1, 2] });
  });

  it('rejects text that is not YAML, naming the file', async () => {
    const dir = await configDir('network: [unclosed\n');
    await assert.rejects(readConfigFile(dir), (error) => hasErrorCode(error, 'ERR_CONFIG_INVALID')
      && error.category === 'invalid-argument'
      && error.message.startsWith(`${path.join(dir, 'config.yaml')}: not valid YAML: `));
  });

  it('rejects a duplicated section (YAML would otherwise keep only one of them)', async () => {
    const dir = await configDir('network:\n  bridge: a\nnetwork:\n  bridge: b\n');
    await assert.rejects(readConfigFile(dir), (error) => hasErrorCode(error, 'ERR_CONFIG_INVALID') && /not valid YAML/.test(error.message));
  });

  it('rejects a top level that is not a mapping, saying what it is', async () => {
    const cases: Array<[string, string]> = [
      ['- network\n- tls\n', 'a list'],
      ['network\n', 'the string "network"'],
      ['42\n', 'the number 42'],
    ];
    for (const [text, what] of cases) {
      const dir = await configDir(text);
      await assert.rejects(readConfigFile(dir), {
        code: 'ERR_CONFIG_INVALID',
        message: `${path.join(dir, 'config.yaml')}: the top level must be a mapping of sections (such as "network:"), not ${what}`,
      });
    }
  });
});
