import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtinLabels, goArch, loadMachineLabels, parseMachineFile } from '../../src/daemon/index.js';
import { hasErrorCode } from '../../src/util/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';

const FILE = '/etc/rocklet/machine.yaml';

/** Asserts that parsing `text` fails with ERR_MACHINE_FILE_INVALID and a message matching every pattern. */
async function fails(text: string, ...patterns: RegExp[]): Promise<string | undefined> {
  let hint: string | undefined;
  await assert.rejects(parseMachineFile(text, FILE), (error: unknown) => {
    assert.ok(hasErrorCode(error, 'ERR_MACHINE_FILE_INVALID'), `unexpected error: ${String(error)}`);
    assert.ok(error.message.startsWith(`${FILE}: `), error.message);
    for (const pattern of patterns) assert.match(error.message, pattern);
    hint = error.hint;
    return true;
  });
  return hint;
}

describe('daemon/machine-labels parseMachineFile', () => {
  it('reads labels, prefixed or not', async () => {
    const text = 'labels:\n  role: edge\n  topology.kubernetes.io/zone: rack-3\n  empty: ""\n  Mixed_Case.v1: A-b_c.9\n';
    assert.deepEqual(await parseMachineFile(text, FILE), { role: 'edge', 'topology.kubernetes.io/zone': 'rack-3', empty: '', 'Mixed_Case.v1': 'A-b_c.9' });
  });

  it('is empty for an empty file, a comment-only file or empty labels', async () => {
    assert.deepEqual(await parseMachineFile('', FILE), {});
    assert.deepEqual(await parseMachineFile('# nothing yet\n', FILE), {});
    assert.deepEqual(await parseMachineFile('labels:\n', FILE), {});
    assert.deepEqual(await parseMachineFile('labels: {}\n', FILE), {});
  });

  it('refuses an unknown top-level key, naming it', async () => {
    await fails('labels:\n  role: edge\nlable:\n  x: y\n', /unknown key "lable"/);
  });

  it('refuses a document that is not a mapping, and labels that are not one', async () => {
    await fails('- role\n', /expected a mapping with "labels:", got a list/);
    await fails('labels: [a, b]\n', /labels must be a mapping of key: value, not a list/);
    await fails('labels: edge\n', /labels must be a mapping/);
  });

  it('refuses invalid YAML', async () => {
    await fails('labels: {role: edge\n', /not valid YAML/);
  });

  for (const [value, shown] of [['true', /the boolean true/], ['3', /the number 3/], ['', /an empty value/]] as const) {
    it(`refuses a non-string value ${JSON.stringify(value)} with a hint to quote`, async () => {
      const hint = await fails(`labels:\n  gpu: ${value}\n`, /labels\."gpu": the value must be a string/, shown);
      assert.match(hint ?? '', /quote values/);
    });
  }

  it('refuses invalid keys, naming the key', async () => {
    await fails('labels:\n  -bad: x\n', /labels\."-bad": invalid key: a label name/);
    await fails('labels:\n  Example.com/role: x\n', /labels\."Example\.com\/role": invalid key: the prefix "Example\.com" is not a DNS subdomain/);
    await fails(`labels:\n  ${'a'.repeat(64)}: x\n`, /invalid key: a label name has 1-63 characters/);
    await fails('labels:\n  example.com/: x\n', /invalid key: a label name/);
  });

  it('refuses invalid values, naming key and value', async () => {
    await fails('labels:\n  role: a b\n', /labels\."role": invalid value "a b": a label value/);
    await fails('labels:\n  role: -edge\n', /invalid value "-edge"/);
    await fails(`labels:\n  role: ${'v'.repeat(64)}\n`, /invalid value/);
  });

  it('accepts 63-character names and values', async () => {
    const long = 'x'.repeat(63);
    assert.deepEqual(await parseMachineFile(`labels:\n  ${long}: ${long}\n`, FILE), { [long]: long });
  });
});

describe('daemon/machine-labels builtins', () => {
  it('has the hostname (lower-cased), os and arch', () => {
    const labels = builtinLabels('Node-1.Example');
    assert.deepEqual(labels, { 'kubernetes.io/hostname': 'node-1.example', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': goArch() });
    assert.equal(typeof builtinLabels()['kubernetes.io/hostname'], 'string');
  });

  it('maps Node arch names to Go names', () => {
    assert.equal(goArch('x64'), 'amd64');
    assert.equal(goArch('arm64'), 'arm64');
    assert.equal(goArch('ia32'), '386');
    assert.equal(goArch('ppc64'), 'ppc64le');
    assert.equal(goArch('mips'), 'mips');
    if (process.arch === 'x64') assert.equal(builtinLabels()['kubernetes.io/arch'], 'amd64');
  });
});

describe('daemon/machine-labels loadMachineLabels', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('daemon-labels');
  });
  after(() => tmp.remove());

  it('is the built-ins without a file', async () => {
    assert.deepEqual(await loadMachineLabels(path.join(tmp.path, 'nowhere')), builtinLabels());
  });

  it('overlays the file on the built-ins, which it may override', async () => {
    await writeFile(path.join(tmp.path, 'machine.yaml'), 'labels:\n  role: edge\n  kubernetes.io/arch: riscv64\n');
    const labels = await loadMachineLabels(tmp.path);
    assert.equal(labels.role, 'edge');
    assert.equal(labels['kubernetes.io/arch'], 'riscv64');
    assert.equal(labels['kubernetes.io/os'], 'linux');
  });
});
