import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDockerReference } from '../../../src/image/index.js';
import { loadRegistriesConfig, storageFor } from '../../../src/image/policy/index.js';
import { isRockletError } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';

describe('registries.d', () => {
  let tmp: TempDir;
  let n = 0;
  before(async () => {
    tmp = await makeTempDir('registries-d');
  });
  after(async () => {
    await tmp.remove();
  });

  /** A config dir whose registries.d holds `files`. */
  async function configDir(files: Record<string, string>): Promise<string> {
    const dir = path.join(tmp.path, `c${n++}`);
    await mkdir(path.join(dir, 'registries.d'), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, 'registries.d', name), text);
    return dir;
  }

  it('is empty without the directory', async () => {
    const config = await loadRegistriesConfig(path.join(tmp.path, 'none'));
    assert.equal(config.defaultDocker, undefined);
    assert.equal(config.docker.size, 0);
  });

  it('resolves each setting from the most specific scope that sets it, then default-docker', async () => {
    const dir = await configDir({
      'a.yaml': 'default-docker:\n  lookaside: https://sigs.example.com/default\n  use-sigstore-attachments: true\n',
      'b.yaml': [
        'docker:',
        '  quay.io/team:',
        '    sigstore: file:///var/lib/sigs',
        '  quay.io/team/app:',
        '    use-sigstore-attachments: false',
        '  quay.io:',
        '    lookaside: http://quay-sigs.local/s',
        '    lookaside-staging: file:///tmp/staging',
        '',
      ].join('\n'),
      'ignored.yml': 'not: [valid',
      '.hidden.yaml': 'not: [valid',
    });
    const config = await loadRegistriesConfig(dir);
    const app = storageFor(config, parseDockerReference('quay.io/team/app:1'));
    assert.equal(app.lookaside?.url.href, 'file:///var/lib/sigs');
    assert.equal(app.lookaside?.origin, `${dir}/registries.d/b.yaml: docker["quay.io/team"]`);
    assert.equal(app.useSigstoreAttachments?.value, false);
    const other = storageFor(config, parseDockerReference('quay.io/other/x'));
    assert.equal(other.lookaside?.url.href, 'http://quay-sigs.local/s');
    assert.equal(other.useSigstoreAttachments?.value, true);
    const hub = storageFor(config, parseDockerReference('nginx'));
    assert.equal(hub.lookaside?.url.href, 'https://sigs.example.com/default');
  });

  const bad: [string, Record<string, string>, string][] = [
    ['bad YAML', { 'x.yaml': 'docker: [' }, 'x.yaml: not valid YAML'],
    ['an unknown top-level key', { 'x.yaml': 'dockers: {}\n' }, 'x.yaml: dockers: unknown key'],
    ['an unknown scope key', { 'x.yaml': 'docker:\n  quay.io:\n    lookasid: file:///x\n' }, 'x.yaml: docker["quay.io"].lookasid: unknown key'],
    ['a bad scope', { 'x.yaml': 'docker:\n  busybox/x:\n    lookaside: file:///x\n' }, 'x.yaml: docker["busybox/x"]: invalid scope'],
    ['a bad URL', { 'x.yaml': 'docker:\n  quay.io:\n    lookaside: not a url\n' }, 'x.yaml: docker["quay.io"].lookaside: "not a url" is not a URL'],
    ['an unsupported URL scheme', { 'x.yaml': 'docker:\n  quay.io:\n    lookaside: ftp://x/y\n' }, 'x.yaml: docker["quay.io"].lookaside: "ftp://x/y": only file://, http:// and https://'],
    ['both lookaside and sigstore', { 'x.yaml': 'docker:\n  quay.io:\n    lookaside: file:///a\n    sigstore: file:///b\n' }, 'x.yaml: docker["quay.io"]: "lookaside" and "sigstore" are two names of one setting'],
    ['a non-boolean use-sigstore-attachments', { 'x.yaml': 'docker:\n  quay.io:\n    use-sigstore-attachments: yes please\n' }, 'x.yaml: docker["quay.io"]["use-sigstore-attachments"]: must be true or false'],
    ['a scope in two files', { 'a.yaml': 'docker:\n  quay.io:\n    lookaside: file:///a\n', 'b.yaml': 'docker:\n  quay.io:\n    lookaside: file:///b\n' }, 'b.yaml: docker["quay.io"]: also defined in'],
    ['default-docker in two files', { 'a.yaml': 'default-docker:\n  lookaside: file:///a\n', 'b.yaml': 'default-docker:\n  lookaside: file:///b\n' }, 'b.yaml: default-docker: also defined in'],
  ];
  for (const [name, files, message] of bad) {
    it(`refuses ${name}, naming the file and the key`, async () => {
      const dir = await configDir(files);
      await assert.rejects(loadRegistriesConfig(dir), (error: unknown) => {
        assert.ok(isRockletError(error));
        assert.equal(error.code, 'ERR_REGISTRIES_D_INVALID');
        assert.ok(error.message.startsWith(`${dir}/registries.d/${message}`), error.message);
        return true;
      });
    });
  }
});
