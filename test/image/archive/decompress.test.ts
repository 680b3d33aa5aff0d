import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { detectCompression, parseAppString, readAci } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { makeTar, minimalEntries, removeDir, run, tempDir } from '../fixtures.js';

const execFileAsync = promisify(execFile);
const imageModuleUrl = new URL('../../../src/image/index.js', import.meta.url).href;

describe('compression detection', () => {
  let work: string;
  before(async () => {
    work = await tempDir('decompress');
  });
  after(() => removeDir(work));

  it('recognises formats by magic bytes only', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(detectCompression(Buffer.from('BZh91AY')), 'bzip2');
    assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    const tar = Buffer.alloc(512);
    tar.write('ustar', 257, 'latin1');
    assert.equal(detectCompression(tar), 'none');
    assert.equal(detectCompression(Buffer.from('hello world')), undefined);
  });

  it('says which tool is missing when xz is not installed', async () => {
    const file = path.join(work, 'image.aci');
    await writeFile(path.join(work, 'plain.tar'), await makeTar(minimalEntries()));
    await run('xz', ['-k', '-z', path.join(work, 'plain.tar')]);
    await run('mv', [path.join(work, 'plain.tar.xz'), file]);
    const script = `import { readAci } from ${JSON.stringify(imageModuleUrl)};
try { await readAci(${JSON.stringify(file)}); process.stdout.write('ok'); }
catch (error) { process.stdout.write(JSON.stringify({ code: error.code, message: error.message, hint: error.hint })); }`;
    const result = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: path.join(work, 'no-tools') } });
    const error = JSON.parse(result.stdout) as { code: string; message: string; hint: string };
    assert.equal(error.code, 'ERR_DECOMPRESSOR_MISSING');
    assert.equal(error.message, `${file} is xz-compressed but the xz command is not installed`);
    assert.match(error.hint, /xz-utils/);
    assert.equal((await readAci(file)).compression, 'xz');
  });

  it('reports corrupt xz data with its own error', async () => {
    const file = path.join(work, 'corrupt.aci');
    const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, ...Buffer.from('not really xz data at all, just text')]);
    await writeFile(file, xz);
    await assert.rejects(readAci(file), (error: unknown) => hasErrorCode(error, 'ERR_COMPRESSION_CORRUPT') && error.message.startsWith(`xz data of ${file} is corrupt: `));
  });
});

describe('parseAppString', () => {
  it('parses name, version and labels', () => {
    assert.deepEqual(parseAppString('example.com/app:1.0,os=linux'), {
      name: 'example.com/app',
      labels: [{ name: 'version', value: '1.0' }, { name: 'os', value: 'linux' }],
    });
    assert.deepEqual(parseAppString('example.com/app'), { name: 'example.com/app', labels: [] });
  });

  const invalid: [string, string][] = [
    ['example.com/app:3.2.1,version=1.2.3', 'invalid image name "example.com/app:3.2.1,version=1.2.3": the version is given twice'],
    ['example.com/app,channel=beta:1.2.3', 'invalid image name "example.com/app,channel=beta:1.2.3": ":" may only follow the name, not appear in "channel=beta:1.2.3"'],
    ['example.com/app,os=linux,os=linux', 'invalid image name "example.com/app,os=linux,os=linux": label "os" is given twice'],
    ['Example.com/app', 'invalid image name "Example.com/app": "Example.com/app" is not an AC Identifier: uppercase letters are not allowed'],
    ['example.com/app:', 'invalid image name "example.com/app:": empty version after ":"'],
  ];
  for (const [text, message] of invalid) {
    it(`refuses ${text}`, () => {
      assert.throws(() => parseAppString(text), (error: unknown) => hasErrorCode(error, 'ERR_INVALID_IMAGE_NAME') && error.message === message);
    });
  }
});
