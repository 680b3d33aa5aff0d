/**
 * Shell completion: the engine over the real command table (a fake name source only for the
 * pure cases), and the scripts as a user gets them — sourced in bash, asked with the COMP_*
 * variables bash sets; fish's `complete -C`; an interactive zsh in a pseudo-terminal pressing
 * Tab — answering from a real image store, pod store and daemon status file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommandSpec } from '../../src/cli/command.js';
import { ARGUMENT_KINDS, completeWords } from '../../src/cli/complete/engine.js';
import type { NameSource } from '../../src/cli/complete/engine.js';
import { ROOT_COMMAND } from '../../src/cli/table/index.js';
import { writeStatusFile } from '../../src/daemon/index.js';
import { createPod, markPrepared, podStore } from '../../src/pod/index.js';
import { makeTempDir } from '../harness/index.js';
import type { TempDir } from '../harness/index.js';
import { buildImage, createWorkspace, imageManifest, importImage, makeSmallImageDir } from './image-setup.js';
import type { ImageWorkspace } from './image-setup.js';
import { CLI_PATH, runRocklet } from './run-cli.js';

const NAMES: NameSource = {
  podNames: () => Promise.resolve(['web', 'worker']),
  podUuids: () => Promise.resolve(['0a1b2c3d-0000-4000-8000-000000000001']),
  imageNames: (prefix) => Promise.resolve(prefix.startsWith('sha512-') ? ['sha512-aaaa'] : ['example.com/app', 'example.com/app:1.0']),
};

async function complete(line: string): Promise<{ candidates: readonly string[]; directive: string }> {
  const words = line.split(' ');
  const current = words.pop() ?? '';
  return completeWords(ROOT_COMMAND, words, current, () => NAMES);
}

function commandExists(pathWords: readonly string[]): boolean {
  let spec: CommandSpec | undefined = ROOT_COMMAND;
  for (const word of pathWords) spec = spec?.subcommands?.find((c) => c.name === word);
  return spec !== undefined;
}

describe('completion engine', () => {
  it('knows only commands that exist', () => {
    for (const command of Object.keys(ARGUMENT_KINDS)) assert.ok(commandExists(command.split(' ')), `"${command}" in ARGUMENT_KINDS is no command`);
  });

  it('completes commands and subcommands, hiding hidden ones', async () => {
    assert.deepEqual((await complete('im')).candidates, ['image']);
    assert.deepEqual((await complete('image r')).candidates, ['render', 'rm']);
    const top = (await complete('')).candidates;
    assert.ok(top.includes('completion') && top.includes('run') && top.includes('help'));
    assert.ok(!top.includes('__complete'));
    assert.ok(!(await complete('image ')).candidates.includes('fetch'), 'the hidden alias "image fetch" is not offered');
  });

  it('completes the flags of the command reached, value flags ending in "="', async () => {
    const flags = (await complete('image gc --')).candidates;
    assert.ok(flags.includes('--grace-period='));
    assert.ok(flags.includes('--debug') && flags.includes('--dir='));
    assert.ok(!flags.includes('--pull-policy='), 'a flag of another command is not offered');
    assert.deepEqual((await complete('--vers')).candidates, ['--version']);
  });

  it('completes flag values from their choices, with and without "="', async () => {
    assert.deepEqual((await complete('--format=j')).candidates, ['--format=json', '--format=json-pretty']);
    assert.deepEqual((await complete('run --pull-policy ')).candidates, ['new', 'update', 'never']);
    assert.deepEqual(await complete('plan --machine '), { candidates: [], directive: 'files' });
    assert.deepEqual(await complete('plan --pod-dir='), { candidates: [], directive: 'dirs' });
  });

  it('completes positional arguments by kind', async () => {
    assert.deepEqual(await complete('image rm example.com/app:'), { candidates: ['example.com/app:1.0'], directive: 'none' });
    assert.deepEqual((await complete('image rm sha512-')).candidates, ['sha512-aaaa']);
    assert.deepEqual((await complete('status 0a')).candidates, ['0a1b2c3d-0000-4000-8000-000000000001']);
    assert.deepEqual((await complete('logs w')).candidates, ['web', 'worker']);
    assert.deepEqual(await complete('run '), { candidates: ['example.com/app', 'example.com/app:1.0'], directive: 'files' });
    assert.deepEqual(await complete('validate '), { candidates: [], directive: 'files' });
    // The second argument of export is the output file, not another UUID.
    assert.deepEqual(await complete('export 0a1b2c3d-0000-4000-8000-000000000001 '), { candidates: [], directive: 'files' });
  });

  it('hands the --dir and --run-dir typed on the line to the name source', async () => {
    let seen: unknown;
    await completeWords(ROOT_COMMAND, ['--dir', '/srv/rocklet', 'logs', '--run-dir=/tmp/run'], '', (locations) => {
      seen = locations;
      return NAMES;
    });
    assert.deepEqual(seen, { dir: '/srv/rocklet', configDir: undefined, runDir: '/tmp/run' });
  });
});

describe('rocklet completion (scripts)', () => {
  let workspace: ImageWorkspace;
  let bin: TempDir;
  let runDir = '';
  let uuid = '';
  let wrapper = '';

  before(async () => {
    workspace = await createWorkspace('complete');
    const imageDir = path.join(workspace.root, 'img');
    await makeSmallImageDir(imageDir, imageManifest('example.com/complete-me', '2.1'), { 'hello.txt': 'hi\n' });
    await importImage(workspace, (await buildImage(imageDir)).plainAci);
    const pod = await createPod(podStore(workspace.dataDir));
    uuid = pod.uuid;
    await markPrepared(pod);
    runDir = path.join(workspace.root, 'run');
    await mkdir(path.join(runDir, 'daemon'), { recursive: true });
    const now = Date.now();
    await writeStatusFile(runDir, {
      version: 1,
      daemon: { pid: process.pid, startedAt: now, updatedAt: now, ready: true, podDir: '/etc/pods' },
      files: [{ file: 'gateway.yaml', pod: 'gateway', state: 'Running', reason: undefined, uuid: undefined, hash: undefined, ready: { ready: 1, total: 1 }, restarts: 0, since: now }],
    });
    bin = await makeTempDir('complete-bin');
    wrapper = path.join(bin.path, 'rocklet');
    await writeFile(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${CLI_PATH}' "$@"\n`);
    await chmod(wrapper, 0o755);
  });
  after(async () => {
    await workspace.remove();
    await bin.remove();
  });

  /** COMPREPLY after sourcing `rocklet completion bash` and completing `line` as bash would. */
  async function bashComplete(script: string, line: string): Promise<string[]> {
    const file = path.join(bin.path, 'rocklet.bash');
    await writeFile(file, script);
    const program = `
      source "$3"
      complete -p rocklet
      COMP_LINE="$1"; COMP_POINT=\${#COMP_LINE}
      read -r -a COMP_WORDS <<< "$COMP_LINE"
      [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
      COMP_WORDS[0]="$2"; COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
      _rocklet_completion
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync('bash', ['-c', program, 'bash', line, wrapper, file], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    const [registration = '', ...reply] = result.stdout.trimEnd().split('\n');
    assert.equal(registration, 'complete -o default -F _rocklet_completion rocklet');
    return reply.filter((l) => l !== '');
  }

  it('prints a bash script that completes commands, flags, values and the store\'s names', async () => {
    const r = await runRocklet(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await bashComplete(r.stdout, 'rocklet ima'), ['image']);
    assert.deepEqual(await bashComplete(r.stdout, 'rocklet image gc --gr'), ['--grace-period=']);
    // bash splits words at "=": the reply holds only what follows it.
    assert.deepEqual(await bashComplete(r.stdout, 'rocklet list --format=json-'), ['json-pretty']);
    assert.deepEqual(await bashComplete(r.stdout, `rocklet --dir=${workspace.dataDir} image rm example.com/compl`), ['example.com/complete-me', 'example.com/complete-me:2.1']);
    assert.deepEqual(await bashComplete(r.stdout, `rocklet --dir ${workspace.dataDir} status `), [uuid]);
    assert.deepEqual(await bashComplete(r.stdout, `rocklet logs --run-dir=${runDir} --dir=${workspace.dataDir} g`), ['gateway']);
    // Files where the command takes them (bash's own compgen -f).
    const files = (await bashComplete(r.stdout, `rocklet validate ${path.join(workspace.root, 'im')}`)).sort();
    assert.deepEqual(files, ['img', 'img.aci', 'img.tar.aci'].map((name) => path.join(workspace.root, name)));
  });

  it('offers no names, and no error, for a store that does not exist', async () => {
    const r = await runRocklet(['__complete', '--', '--dir=/nonexistent/rocklet', 'image', 'rm', '']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ':none\n');
    assert.equal(r.stderr, '');
  });

  for (const shell of ['zsh', 'fish'] as const) {
    it(`prints a ${shell} script that ${shell} parses`, async (t) => {
      const r = await runRocklet(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /__complete -- /);
      const file = path.join(bin.path, `rocklet.${shell}`);
      await writeFile(file, r.stdout);
      const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      if (check.error !== undefined) {
        t.skip(`${shell} is not installed here (${check.error.message}); only the script's presence is checked`);
        return;
      }
      assert.equal(check.status, 0, check.stderr);
    });
  }

  it('completes in fish as fish asks (complete -C)', async (t) => {
    const r = await runRocklet(['completion', 'fish']);
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(bin.path, 'rocklet.fish');
    await writeFile(file, r.stdout);
    const ask = (line: string): { status: number | null; stdout: string; stderr: string; error?: Error } =>
      spawnSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8', env: { ...process.env, PATH: `${bin.path}:${process.env.PATH ?? ''}` } });
    const first = ask('rocklet ima');
    if (first.error !== undefined) {
      t.skip(`fish is not installed here (${first.error.message})`);
      return;
    }
    assert.equal(first.stdout, 'image\n', first.stderr);
    assert.equal(ask('rocklet --format=js').stdout, '--format=json\n--format=json-pretty\n');
    assert.equal(ask(`rocklet --dir=${workspace.dataDir} image rm example.com/compl`).stdout, 'example.com/complete-me\nexample.com/complete-me:2.1\n');
  });

  it('completes in an interactive zsh as Tab does (compinit, _rocklet in $fpath, zsh/zpty)', async (t) => {
    const r = await runRocklet(['completion', 'zsh']);
    assert.equal(r.code, 0, r.stderr);
    const fpath = path.join(bin.path, 'zfunc');
    await mkdir(fpath, { recursive: true });
    await writeFile(path.join(fpath, '_rocklet'), r.stdout);
    // A terminal session: an interactive zsh in a pseudo-terminal gets each line typed with a
    // Tab, then Ctrl-X, bound to a widget that prints the edited line; Ctrl-U clears it. zle
    // handles keys in order, so Ctrl-X runs once the completion the Tab started is done.
    const driver = `
      zmodload zsh/zpty || exit 3
      zpty z env PATH="$1:$PATH" HOME="$1" zsh -f -i
      zpty -w z "PS1='%% '; fpath=($2 \\$fpath); autoload -U compinit; compinit -u -D; dump() { print -r -- \\"BUF<\\$BUFFER>\\" }; zle -N dump; bindkey '^X' dump; print READY"
      zpty -r z line '*READY*'
      shift 2
      for typed in "$@"; do
        zpty -w -n z "$typed"$'\\t\\x18'
        zpty -r z out '*BUF<*>*'
        print -r -- "\${\${out##*BUF<}%%>*}"
        zpty -w -n z $'\\x15'
      done
      zpty -d z`;
    const lines = [
      'rocklet ima',
      'rocklet --format=js',
      `rocklet --dir=${workspace.dataDir} image rm example.com/compl`,
      `rocklet --dir ${workspace.dataDir} status `,
      `rocklet validate ${path.join(workspace.root, 'img.t')}`,
    ];
    const result = spawnSync('zsh', ['-f', '-c', driver, 'zsh', bin.path, fpath, ...lines], { encoding: 'utf8', timeout: 60_000 });
    if (result.error !== undefined && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      t.skip('zsh is not installed here');
      return;
    }
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(result.stdout.split('\n').slice(0, -1), [
      'rocklet image ',
      // Two values start so (json, json-pretty): the common part, no space after a value flag.
      'rocklet --format=json',
      `rocklet --dir=${workspace.dataDir} image rm example.com/complete-me`,
      `rocklet --dir ${workspace.dataDir} status ${uuid} `,
      `rocklet validate ${path.join(workspace.root, 'img.tar.aci')} `,
    ]);
  });

  it('refuses an unknown shell with exit 2, naming the shells it knows', async () => {
    const r = await runRocklet(['completion', 'tcsh']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'completion: no completion for shell "tcsh": rocklet completes bash, zsh, fish\ncompletion: hint: rocklet completion bash\n');
    assert.equal(r.stdout, '');
  });
});
