/** scripts/check-import-cycles.mjs, the lint step that fails on modules importing each other in a circle. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../harness/index.js';
import type { TempDir } from '../harness/index.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/check-import-cycles.mjs', import.meta.url));
const SRC = fileURLToPath(new URL('../../../src', import.meta.url));

describe('check-import-cycles', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('cycles');
  });
  after(async () => {
    await tmp.remove();
  });

  async function tree(name: string, files: Record<string, string>): Promise<string> {
    const root = path.join(tmp.path, name);
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    }
    return root;
  }

  const check = (root: string): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });

  it('passes on the project\'s own sources', () => {
    const r = check(SRC);
    assert.equal(r.status, 0, String(r.stderr));
    assert.match(String(r.stdout), /no import cycles/);
  });

  it('fails on a circle closed by a lazy import() and a re-export, naming one circle', async () => {
    const root = await tree('circle', {
      'table/index.ts': "export { COMMANDS } from './commands.js';\n",
      'table/commands.ts': "export const COMMANDS = [{ load: () => import('../cmd/run.js') }];\n",
      'cmd/run.ts': "import { COMMANDS } from '../table/index.js';\nexport const n = COMMANDS.length;\n",
      'ok.ts': "import { n } from './cmd/run.js';\nexport const m = n;\n",
    });
    const r = check(root);
    assert.equal(r.status, 1);
    assert.equal(
      String(r.stderr).split('\n')[0],
      'check-import-cycles: 3 modules import each other in a circle: cmd/run.ts → table/index.ts → table/commands.ts → cmd/run.ts',
    );
  });

  it('ignores type-only imports and commented-out ones (they do not exist at run time)', async () => {
    const root = await tree('types', {
      'a.ts': "import { y } from './b.js';\nexport const a = y;\n",
      'b.ts': "// import { a } from './a.js';\n/* import('./a.js') */\nexport const y = 1;\n",
      'c.ts': "import type { D } from './d.js';\nexport interface C { d?: D }\nexport const c = 1;\n",
      'd.ts': "import { c } from './c.js';\nexport interface D { n: number }\nexport const d = c;\n",
    });
    const r = check(root);
    assert.equal(r.status, 0, String(r.stderr));
  });
});
