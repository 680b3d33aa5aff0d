/**
 * The provisioning bundle in examples/fleet as a CI pipeline and a new machine would see it:
 * `rocklet validate DIR` (the daemon's reading rules and admission across files), `rocklet plan
 * --fresh` per machine role, and the cloud-init and Butane files that ship it — each written
 * out as the provisioner would (a scratch root) and planned with the daemon's code, checked by
 * `cloud-init schema` where cloud-init is installed. Plus bundles with conflicts across files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chown, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseMachineFile } from '../../src/daemon/index.js';
import { makeTempDir } from '../harness/index.js';
import type { TempDir } from '../harness/index.js';
import { runRocklet } from '../cli/run-cli.js';

const FLEET = fileURLToPath(new URL('../../../examples/fleet/', import.meta.url));
const PODS = path.join(FLEET, 'pods');
const ROLES = ['app', 'db', 'edge'] as const;
/** What each role runs from the bundle (the README's table says the same). */
const RUNS: Readonly<Record<(typeof ROLES)[number], readonly string[]>> = {
  app: ['node-exporter', 'web', 'worker'],
  db: ['node-exporter', 'redis'],
  edge: ['edge-proxy', 'node-exporter'],
};

interface PlanJson {
  readonly changes: number;
  readonly entries: readonly { readonly action: string; readonly file: string; readonly pod: string; readonly reason?: string }[];
}

async function planFor(podDir: string, machine: string): Promise<PlanJson> {
  const r = await runRocklet(['plan', '--fresh', `--pod-dir=${podDir}`, `--machine=${machine}`, '--format=json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as PlanJson;
}

const started = (plan: PlanJson): string[] => plan.entries.filter((e) => e.action === 'start').map((e) => e.pod).sort();

/** A shipped file written into `root` as the provisioner writes it. */
interface ShippedFile {
  readonly path: string;
  readonly text: string;
}

async function writeShipped(root: string, files: readonly ShippedFile[]): Promise<void> {
  for (const file of files) {
    const target = path.join(root, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.text, { mode: 0o644 });
  }
}

/** Every file of the bundle a machine of `role` must get, by its path on the machine. */
async function bundleFiles(role: string): Promise<Map<string, string>> {
  const files = new Map([['/etc/rocklet/machine.yaml', await readFile(path.join(FLEET, 'machines', `${role}.yaml`), 'utf8')]]);
  for (const name of await readdir(PODS)) files.set(`/etc/pods/${name}`, await readFile(path.join(PODS, name), 'utf8'));
  return files;
}

describe('examples/fleet', () => {
  let scratch: TempDir;
  before(async () => {
    scratch = await makeTempDir('fleet');
  });
  after(async () => {
    await scratch.remove();
  });

  it('validates as a bundle: every file ok, no conflicts, exit 0', async () => {
    const r = await runRocklet(['validate', PODS]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const names = (await readdir(PODS)).sort();
    assert.deepEqual(r.stdout.trimEnd().split('\n'), names.map((name) => `${path.join(PODS, name)}: ok`));
  });

  for (const role of ROLES) {
    it(`plans for a fresh "${role}" machine exactly the pods meant for it`, async () => {
      const plan = await planFor(PODS, path.join(FLEET, 'machines', `${role}.yaml`));
      assert.deepEqual(started(plan), RUNS[role]);
      assert.equal(plan.changes, RUNS[role].length);
      for (const entry of plan.entries.filter((e) => e.action !== 'start')) {
        assert.equal(entry.action, 'skip', `${entry.file}: ${entry.reason ?? ''}`);
        assert.match(entry.reason ?? '', new RegExp(`nodeSelector does not match this machine: role=\\w+ \\(machine has ${role}\\)`));
      }
    });

    it(`ships "${role}" by cloud-init: write_files hold the bundle, and that machine runs its pods`, async (t) => {
      const file = path.join(FLEET, 'cloud-init', `${role}.yaml`);
      const text = await readFile(file, 'utf8');
      assert.ok(text.startsWith('#cloud-config\n'), 'user-data starts with #cloud-config');
      const config = parse(text) as { write_files: { path: string; content: string; owner: string; permissions: string }[]; runcmd: unknown[] };
      const shipped = config.write_files.map((entry) => ({ path: entry.path, text: entry.content }));
      assert.deepEqual(new Map(shipped.map((f) => [f.path, f.text])), await bundleFiles(role));
      for (const entry of config.write_files) assert.deepEqual([entry.owner, entry.permissions], ['root:root', '0644'], entry.path);
      assert.ok(JSON.stringify(config.runcmd).includes('install.sh'), 'runcmd installs rocklet');
      await parseMachineFile(shipped.find((f) => f.path === '/etc/rocklet/machine.yaml')?.text ?? '', 'machine.yaml');
      const root = path.join(scratch.path, `cloud-init-${role}`);
      await writeShipped(root, shipped);
      assert.deepEqual(started(await planFor(path.join(root, 'etc/pods'), path.join(root, 'etc/rocklet/machine.yaml'))), RUNS[role]);

      const schema = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
      if (schema.error !== undefined) {
        t.skip(`cloud-init is not installed here (${schema.error.message}): the schema check did not run`);
        return;
      }
      assert.equal(schema.status, 0, schema.stdout + schema.stderr);
      assert.match(schema.stdout, /^Valid cloud-config: /);
    });

    it(`ships "${role}" by Butane: storage.files hold the bundle, and that machine runs its pods`, async () => {
      const config = parse(await readFile(path.join(FLEET, 'butane', `${role}.bu`), 'utf8'), { version: '1.1' }) as {
        variant: string;
        version: string;
        storage: { files: { path: string; mode: number; contents: { inline: string } }[] };
        systemd: { units: { name: string; enabled: boolean; contents: string }[] };
      };
      assert.deepEqual([config.variant, config.version], ['fcos', '1.5.0']);
      const shipped = config.storage.files.map((entry) => ({ path: entry.path, text: entry.contents.inline }));
      assert.deepEqual(new Map(shipped.map((f) => [f.path, f.text])), await bundleFiles(role));
      // Butane reads YAML 1.1 octal: 0644 is rw-r--r--.
      for (const entry of config.storage.files) assert.equal(entry.mode, 0o644, entry.path);
      const unit = config.systemd.units.find((u) => u.name === 'rocklet-install.service');
      assert.ok(unit?.enabled === true && unit.contents.includes('install.sh'), 'a first-boot unit installs rocklet');
      const root = path.join(scratch.path, `butane-${role}`);
      await writeShipped(root, shipped);
      assert.deepEqual(started(await planFor(path.join(root, 'etc/pods'), path.join(root, 'etc/rocklet/machine.yaml'))), RUNS[role]);
    });
  }

  it('plan without --fresh needs systemd, and says how to plan a bundle without it (exit 254)', async () => {
    const r = await runRocklet(['plan', `--pod-dir=${PODS}`, `--machine=${path.join(FLEET, 'machines', 'db.yaml')}`], {
      env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path.join(scratch.path, 'no-bus')}` },
    });
    assert.equal(r.code, 254);
    assert.match(r.stderr, /^plan: cannot read what runs here: d-bus connection to .* failed/m);
    assert.match(r.stderr, /^plan: hint: to plan a bundle for a new machine without systemd: rocklet plan --fresh --pod-dir=DIR --machine=FILE$/m);
    assert.equal(r.stdout, '');
  });

  it('ship.mjs regenerates exactly the files checked in', async () => {
    const copy = path.join(scratch.path, 'fleet-copy');
    await cp(FLEET, copy, { recursive: true });
    const r = spawnSync(process.execPath, [path.join(copy, 'ship.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const dir of ['cloud-init', 'butane']) {
      for (const name of await readdir(path.join(FLEET, dir))) {
        assert.equal(await readFile(path.join(copy, dir, name), 'utf8'), await readFile(path.join(FLEET, dir, name), 'utf8'), `${dir}/${name} is stale: run node examples/fleet/ship.mjs`);
      }
    }
  });
});

describe('rocklet validate DIR: conflicts across files', () => {
  let scratch: TempDir;
  before(async () => {
    scratch = await makeTempDir('bundle-conflict');
  });
  after(async () => {
    await scratch.remove();
  });

  const pod = (name: string, options: { selector?: Record<string, string>; hostPort?: number } = {}): string => [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:',
    ...(options.selector === undefined ? [] : ['  nodeSelector:', ...Object.entries(options.selector).map(([k, v]) => `    ${k}: ${v}`)]),
    '  containers:', '  - name: main', '    image: busybox:1.36',
    ...(options.hostPort === undefined ? [] : ['    ports:', `    - {containerPort: 80, hostPort: ${options.hostPort}}`]),
    '',
  ].join('\n');

  async function bundle(name: string, files: Record<string, string>): Promise<string> {
    const dir = path.join(scratch.path, name);
    await mkdir(dir);
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text, { mode: 0o644 });
    return dir;
  }

  it('finds a hostPort two files claim on machines both select (exit 1), naming both files and the labels', async () => {
    const dir = await bundle('port', {
      'api.yaml': pod('api', { selector: { role: 'app' }, hostPort: 8080 }),
      'metrics.yaml': pod('metrics', { hostPort: 8080 }),
      'db.yaml': pod('db', { selector: { role: 'db' }, hostPort: 5432 }),
    });
    const r = await runRocklet(['validate', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      `${dir}/api.yaml: ok`,
      `${dir}/db.yaml: ok`,
      `${dir}/metrics.yaml: conflict: hostPort 8080/TCP is already claimed by pod "api" (api.yaml) on machines with role=app`,
    ]);
    const json = await runRocklet(['validate', '--format=json', dir]);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as { valid: boolean; bundles: { conflicts: { file: string; other: string; pod: string; labels: Record<string, string> }[] }[] };
    assert.equal(report.valid, false);
    assert.deepEqual(report.bundles[0]?.conflicts.map((c) => [c.file, c.other, c.pod, c.labels]), [[`${dir}/metrics.yaml`, `${dir}/api.yaml`, 'metrics', { role: 'app' }]]);
  });

  it('finds one pod name in two files, and allows it where no machine runs both', async () => {
    const dir = await bundle('name', {
      'web-a.yaml': pod('web', { selector: { zone: 'a' } }),
      'web-b.yaml': pod('web', { selector: { role: 'app' } }),
      'cache-edge.yaml': pod('cache', { selector: { role: 'edge' } }),
      'cache-app.yaml': pod('cache', { selector: { role: 'app' } }),
    });
    const r = await runRocklet(['validate', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      `${dir}/cache-app.yaml: ok`,
      `${dir}/cache-edge.yaml: ok`,
      `${dir}/web-a.yaml: ok`,
      `${dir}/web-b.yaml: conflict: pod name "web" is already used by web-a.yaml on machines with zone=a, role=app`,
    ]);
  });

  it('reads a checkout as the daemon reads /etc/pods, minus the owner rule: invalid files and ignored names', async () => {
    const dir = await bundle('mixed', {
      'good.yaml': pod('good'),
      'bad.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: main\n    image: busybox\n    bogus: 1\n',
      'README.md': '# not a pod file\n',
    });
    // A CI checkout is not root's: the owner rule is the machine's, checked by the daemon there.
    await chown(path.join(dir, 'good.yaml'), 65534, 65534);
    const r = await runRocklet(['validate', dir]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^${dir}/bad.yaml:\\d+:\\d+: spec\\.containers\\[0\\]\\.bogus: `));
    assert.equal(lines[1], `${dir}/good.yaml: ok`);
    assert.match(r.stderr, new RegExp(`validate: warning: ${dir}/README.md: ignored: not named \\*\\.yaml`));
  });

  it('warns about a directory without pod files, and exits 0', async () => {
    const dir = await bundle('empty', {});
    const r = await runRocklet(['validate', dir]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `validate: warning: ${dir}: no pod files (*.yaml, *.yml, *.json) in this directory\n`);
  });
});
