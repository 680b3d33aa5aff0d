import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandSpec } from '../../src/cli/command.js';
import { ROOT_COMMAND } from '../../src/cli/table/index.js';
import { runRocklet } from './run-cli.js';

// The command list of DESIGN.md §5: each must exist and have --help.
const DESIGN_COMMANDS = [
  'run', 'prepare', 'run-prepared', 'fetch', 'trust', 'list', 'status', 'stop', 'enter', 'rm', 'gc', 'cat-manifest',
  'export', 'logs', 'image list', 'image rm', 'image gc', 'image cat-manifest', 'image export', 'image extract',
  'image render', 'image verify', 'image build', 'image validate', 'daemon', 'pods', 'validate', 'plan', 'pod up',
  'pod down', 'app prepare', 'app cleanup', 'version',
];

function leaves(spec: CommandSpec, path: string[] = []): { path: string[]; spec: CommandSpec }[] {
  if (spec.subcommands === undefined) return [{ path, spec }];
  return spec.subcommands.filter((s) => s.hidden !== true).flatMap((s) => leaves(s, [...path, s.name]));
}

describe('rocklet CLI frame', () => {
  it('exits 2 with "missing command" and the usage when no command is given', async () => {
    const r = await runRocklet([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^rocklet: missing command$/m);
    assert.match(r.stderr, /Usage:\n {2}rocklet \[global flags\] COMMAND/);
    assert.equal(r.stdout, '');
  });

  it('exits 2 for an unknown command and suggests the closest', async () => {
    const r = await runRocklet(['fecth', 'x']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'rocklet: unknown command "fecth" for "rocklet"\nrocklet: hint: did you mean "fetch"?\n');
  });

  it('exits 2 for an unknown subcommand of a group, naming the group', async () => {
    const r = await runRocklet(['image', 'lst']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "lst" for "rocklet image"/);
    assert.match(r.stderr, /did you mean "list"\?/);
  });

  it('exits 2 for a group without its subcommand', async () => {
    const r = await runRocklet(['image']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^image: missing subcommand for "image"$/m);
  });

  for (const command of DESIGN_COMMANDS) {
    it(`has --help for "${command}"`, async () => {
      const r = await runRocklet([...command.split(' '), '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^rocklet ${command} - \\S`));
      assert.match(r.stdout, /\nGlobal flags:\n/);
    });
  }

  it('answers every not-yet-implemented command with exit 254 and "<cmd>: not implemented yet"', async () => {
    const pending = leaves(ROOT_COMMAND).filter((l) => l.spec.load === undefined);
    for (const { path } of pending) {
      const r = await runRocklet(path);
      assert.equal(r.code, 254, path.join(' '));
      assert.equal(r.stderr, `${path.join(' ')}: not implemented yet\n`);
    }
  });

  it('prints the version lines rkt users know', async () => {
    const r = await runRocklet(['version']);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(':')[0]), ['rocklet Version', 'appc Version', 'Node Version', 'Node OS/Arch', 'Features']);
    assert.match(lines[0] ?? '', /^rocklet Version: \d+\.\d+\.\d+/);
    assert.equal(lines[2], `Node Version: ${process.version}`);
    assert.match(lines[4] ?? '', /^Features: ([+-][A-Z0-9-]+ ?)+$/);
  });

  it('prints version as JSON with --format=json, global flags before the command, and prefix matching', async () => {
    const r = await runRocklet(['--format=json', 'ver']);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout) as { nodeVersion: string; appcVersion: string };
    assert.equal(parsed.nodeVersion, process.version);
    assert.equal(parsed.appcVersion, '0.8.11');
  });

  it('rejects an ambiguous command prefix', async () => {
    const r = await runRocklet(['r']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ambiguous command "r": could be run, run-prepared, rm/);
  });

  it('rejects bad global flag values by name', async () => {
    const bad = await runRocklet(['--insecure-options=image,bogus', 'version']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^version: unknown --insecure-options value "bogus"$/m);
    const format = await runRocklet(['version', '--format', 'yaml']);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /invalid value "yaml" for --format/);
    const empty = await runRocklet(['version', '--dir=']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--dir must not be empty/);
  });

  it('prints errors as JSON with --format=json', async () => {
    const r = await runRocklet(['--format=json', 'list', '--nope']);
    assert.equal(r.code, 2);
    assert.deepEqual(JSON.parse(r.stderr), { error: { code: 'ERR_UNKNOWN_FLAG', message: 'unknown flag: --nope', hint: 'see --help for the flags of this command' } });
  });
});
