/**
 * `rocklet man` (pages from the same tables as --help, rendered by the system's man/groff) and
 * `rocklet --version`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { CommandSpec } from '../../src/cli/command.js';
import { ROOT_COMMAND } from '../../src/cli/table/index.js';
import { RUN_FLAGS } from '../../src/cli/table/shared-flags.js';
import { makeTempDir } from '../harness/index.js';
import type { TempDir } from '../harness/index.js';
import { runRocklet } from './run-cli.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

function visiblePaths(spec: CommandSpec, at: string[] = []): string[][] {
  return [at, ...(spec.subcommands ?? []).filter((c) => c.hidden !== true).flatMap((c) => visiblePaths(c, [...at, c.name]))];
}

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).error === undefined;
}

describe('rocklet man', () => {
  let out: TempDir;
  before(async () => {
    out = await makeTempDir('man');
  });
  after(async () => {
    await out.remove();
  });

  it('writes one page per visible command into --dir and lists them', async () => {
    const dir = path.join(out.path, 'man1');
    const r = await runRocklet(['man', `--dir=${dir}`]);
    assert.equal(r.code, 0, r.stderr);
    const expected = visiblePaths(ROOT_COMMAND).map((p) => `${['rocklet', ...p].join('-')}.1`).sort();
    assert.deepEqual(readdirSync(dir).sort(), expected);
    assert.deepEqual(r.stdout.trimEnd().split('\n').map((line) => path.basename(line)).sort(), expected);
    assert.ok(!expected.includes('rocklet-__complete.1'), 'the hidden __complete has no page');
  });

  it('prints the same page as it writes, with every flag of the command\'s table', async () => {
    const r = await runRocklet(['man', 'run']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(path.join(out.path, 'man1', 'rocklet-run.1'), 'utf8'));
    assert.match(r.stdout, new RegExp(`^\\.TH ROCKLET\\\\-RUN 1 "" "rocklet ${PACKAGE_VERSION.replace(/\./g, '\\.')}"`));
    for (const flag of RUN_FLAGS.filter((f) => f.hidden !== true)) {
      assert.ok(r.stdout.includes(`.B \\-\\-${flag.name.replace(/-/g, '\\-')}`), `--${flag.name} is on the page`);
    }
  });

  it('renders through man(1) without groff warnings', (t) => {
    if (!has('groff') || !has('man')) {
      t.skip('groff or man is not installed here');
      return;
    }
    const page = path.join(out.path, 'man1', 'rocklet-image-rm.1');
    for (const file of readdirSync(path.join(out.path, 'man1'))) {
      const check = spawnSync('groff', ['-man', '-ww', '-z', path.join(out.path, 'man1', file)], { encoding: 'utf8' });
      assert.equal(check.stderr, '', `${file}: groff warnings`);
    }
    const shown = spawnSync('man', ['-l', page], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '100', LANG: 'C.UTF-8' } });
    assert.equal(shown.status, 0, shown.stderr);
    const text = shown.stdout.replace(/.\x08/g, '');
    assert.match(text, /rocklet-image-rm - remove images by ID prefix or name\[:version\]/);
    assert.match(text, /--insecure-options=LIST/);
    assert.match(text, /SEE ALSO\s+rocklet-image\(1\)/);
  });

  it('refuses an unknown command and COMMAND with --dir (exit 2)', async () => {
    const unknown = await runRocklet(['man', 'image', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^man: no man page for "rocklet image nope": unknown command "nope"$/m);
    const both = await runRocklet(['man', `--dir=${out.path}`, 'run']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--dir writes every page; give no COMMAND with it/);
  });
});

describe('rocklet --version', () => {
  it('prints what "rocklet version" prints, with the package version', async () => {
    const flag = await runRocklet(['--version']);
    const command = await runRocklet(['version']);
    assert.equal(flag.code, 0, flag.stderr);
    assert.equal(flag.stdout, command.stdout);
    assert.equal(flag.stdout.split('\n')[0], `rocklet Version: ${PACKAGE_VERSION}`);
    // Every capability this build has: the pod network's bridge and Docker/OCI images included.
    assert.match(flag.stdout, /^Features: \+SYSTEMD-DBUS \+ACI \+OPENPGP \+APPC-DISCOVERY \+K8S-PODFILE \+STAGE1-CRUN \+STAGE1-FLY \+NET-BRIDGE \+OCI$/m);
  });

  it('honours --format=json before or after it, and is listed in rocklet --help', async () => {
    const r = await runRocklet(['--version', '--format=json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { version: string }).version, PACKAGE_VERSION);
    const help = await runRocklet(['--help']);
    assert.match(help.stdout, /\n {6}--version +print the version/);
  });
});
