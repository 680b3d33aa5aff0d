/**
 * @module test/daemon/fixture — `rocklet daemon` as it runs on a host: a transient
 * `rocklet.service` (Type=notify, KillMode=mixed, like units/rocklet.service) inside a private
 * test systemd, with its own pod directory and config directory in the fixture's temp dir and
 * a busybox ACI imported as `docker.io/library/busybox:1.36` (the image the pod files name).
 * Pod files are written as an operator's tools would (write to a temp name, rename in).
 * `dispose()` stops the daemon and every `rocklet-*` unit, then the test systemd.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecResult, Registry, BootOptions } from '../harness/index.js';
import { waitFor } from '../harness/index.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

/** One row of `rocklet pods --format=json`. */
export interface PodsRow {
  readonly file: string;
  readonly pod?: string;
  readonly state: string;
  readonly reason?: string;
  readonly uuid?: string;
  readonly hash?: string;
  readonly ready?: { readonly ready: number; readonly total: number };
  readonly restarts: number;
}

export interface PodsOutput {
  readonly daemon: {
    readonly running: boolean;
    readonly ready: boolean;
    readonly pid?: number;
    readonly memory?: { readonly rss: number; readonly heapUsed: number; readonly heapTotal: number; readonly external: number };
  };
  readonly pods: readonly PodsRow[];
}

/** A pod file running `command` (sh -c) in busybox. */
export function podYaml(name: string, command: string, extra: { ports?: string; nodeSelector?: string; restartPolicy?: string } = {}): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: {name: ${name}}`,
    'spec:',
    `  restartPolicy: ${extra.restartPolicy ?? 'Always'}`,
    '  terminationGracePeriodSeconds: 2',
    ...(extra.nodeSelector === undefined ? [] : ['  nodeSelector:', `    ${extra.nodeSelector}`]),
    '  containers:',
    '  - name: main',
    '    image: busybox:1.36',
    '    imagePullPolicy: IfNotPresent',
    `    command: [/bin/sh, -c, '${command}']`,
    ...(extra.ports === undefined ? [] : ['    ports:', `    - ${extra.ports}`]),
    '',
  ].join('\n');
}

export class DaemonFixture {
  /** ID of the imported `docker.io/library/busybox:1.36`. */
  busyboxId = '';

  private constructor(readonly fx: RuntimeFixture) {}

  static async create(label: string, boot: Omit<BootOptions, 'privateNetwork'> = {}): Promise<DaemonFixture> {
    const fx = await RuntimeFixture.create(label, boot);
    try {
      const fixture = new DaemonFixture(fx);
      await mkdir(fixture.podDir, { recursive: true });
      await mkdir(fixture.configDir, { recursive: true });
      const aci = path.join(fx.tmp.path, 'busybox.aci');
      fixture.busyboxId = await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
      const fetched = await fx.rocklet(['--insecure-options=image', 'fetch', aci]);
      assert.equal(fetched.code, 0, fetched.stderr);
      return fixture;
    } catch (error) {
      await fx.dispose();
      throw error;
    }
  }

  get podDir(): string {
    return path.join(this.fx.tmp.path, 'pods');
  }

  get configDir(): string {
    return path.join(this.fx.tmp.path, 'config');
  }

  /** rocklet inside the test systemd with this fixture's dirs and bus. */
  rocklet(args: readonly string[]): Promise<ExecResult> {
    return this.fx.exec(['env', `DBUS_SYSTEM_BUS_ADDRESS=${this.fx.sd.busAddress}`, ...this.fx.rockletArgv(`--config-dir=${this.configDir}`, ...args)]);
  }

  /**
   * Serves `registry`'s storage from a second docker-registry inside the test systemd's network
   * namespace (as unit `e2e-registry`), where the daemon and its pods can reach it; returns its
   * address there, `127.0.0.1:5000`.
   */
  async serveRegistryInside(registry: Registry): Promise<string> {
    const inner = '127.0.0.1:5000';
    const config = path.join(this.fx.tmp.path, 'inner-registry.yml');
    await writeFile(config, [
      'version: 0.1', 'log: {level: warn, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: "${registry.dataDir}"}, cache: {blobdescriptor: inmemory}}`,
      `http: {addr: "${inner}", secret: rocklet-test-registry}`, '',
    ].join('\n'));
    const started = await this.fx.exec(['systemd-run', '--unit=e2e-registry', 'docker-registry', 'serve', config]);
    assert.equal(started.code, 0, started.stderr);
    const up = await waitFor(async () => ((await this.fx.exec(['busybox', 'wget', '-q', '-O', '/dev/null', `http://${inner}/v2/`])).code === 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
    assert.ok(up, 'the registry answers inside the test systemd');
    return inner;
  }

  /** Starts rocklet.service; resolves once it reported READY (Type=notify). */
  /**
   * Starts rocklet.service; `cliPath` runs another install of rocklet's bundle (an upgrade)
   * instead of this build's.
   */
  async startDaemon(
    extra: readonly string[] = [],
    options: { restartAlways?: boolean; nodeOptions?: string; nodeArgs?: readonly string[]; env?: Readonly<Record<string, string>>; cliPath?: string } = {},
  ): Promise<ExecResult> {
    const argv = this.fx.rockletArgv(`--config-dir=${this.configDir}`, 'daemon', `--pod-dir=${this.podDir}`, ...extra);
    if (options.cliPath !== undefined) argv[1] = options.cliPath;
    // Flags NODE_OPTIONS refuses (e.g. --cpu-prof, for benches) go on node's own command line.
    if (options.nodeArgs !== undefined) argv.splice(1, 0, ...options.nodeArgs);
    return this.fx.exec([
      'systemd-run', '--unit=rocklet', '--service-type=notify', '-p', 'NotifyAccess=main', '-p', 'KillMode=mixed', '-p', 'TimeoutStartSec=60',
      ...(options.restartAlways === true ? ['-p', 'Restart=always', '-p', 'RestartSec=100ms', '-p', 'StartLimitIntervalSec=0'] : []),
      `--setenv=DBUS_SYSTEM_BUS_ADDRESS=${this.fx.sd.busAddress}`,
      ...(options.nodeOptions === undefined ? [] : [`--setenv=NODE_OPTIONS=${options.nodeOptions}`]),
      // The code cache the test runner chose (scripts/run-tests.mjs), rather than /var/cache.
      ...(process.env.ROCKLET_CODE_CACHE === undefined ? [] : [`--setenv=ROCKLET_CODE_CACHE=${process.env.ROCKLET_CODE_CACHE}`]),
      ...Object.entries(options.env ?? {}).map(([key, value]) => `--setenv=${key}=${value}`),
      ...argv,
    ]);
  }

  async stopDaemon(): Promise<void> {
    await this.fx.exec(['systemctl', 'stop', 'rocklet.service']);
    await this.fx.exec(['systemctl', 'reset-failed', 'rocklet.service']);
  }

  async daemonLog(): Promise<string> {
    return this.fx.sd.journal('rocklet.service');
  }

  /** Writes a pod file the way provisioning tools do: a temp name, then a rename into place. */
  async writePod(file: string, text: string, mode = 0o644): Promise<void> {
    const temp = path.join(this.fx.tmp.path, `.${file}.tmp`);
    await writeFile(temp, text);
    await chmod(temp, mode);
    await rename(temp, path.join(this.podDir, file));
  }

  async pods(): Promise<PodsOutput> {
    const listed = await this.rocklet(['--format=json', 'pods']);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout) as PodsOutput;
  }

  async row(file: string): Promise<PodsRow | undefined> {
    return (await this.pods()).pods.find((row) => row.file === file);
  }

  /** Waits until `file`'s row satisfies `accept`; fails with the last rows and the daemon's log. */
  async waitForRow(file: string, accept: (row: PodsRow) => boolean, timeoutMs = 30_000): Promise<PodsRow> {
    let last: PodsRow | undefined;
    const found = await waitFor(async () => {
      last = await this.row(file);
      return last !== undefined && accept(last) ? last : undefined;
    }, { timeoutMs, intervalMs: 100 });
    if (found === undefined) assert.fail(`${file}: last row ${JSON.stringify(last)}\n--- daemon log ---\n${await this.daemonLog()}`);
    return found;
  }

  /** `systemctl show` values of a unit. */
  async unitProps(unit: string, props: readonly string[]): Promise<Record<string, string>> {
    const shown = await this.fx.exec(['systemctl', 'show', unit, ...props.map((p) => `--property=${p}`)]);
    return Object.fromEntries(shown.stdout.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  }

  /** Every loaded rocklet-* unit with its active state. */
  async podUnits(): Promise<Map<string, string>> {
    const listed = await this.fx.exec(['systemctl', 'list-units', '--all', '--plain', '--no-legend', 'rocklet-*']);
    return new Map(listed.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => {
      const [unit = '', , active = ''] = line.trim().split(/\s+/);
      return [unit, active];
    }));
  }

  async dispose(): Promise<void> {
    try {
      await this.fx.exec(['systemctl', 'stop', 'rocklet.service']);
      await this.fx.exec(['sh', '-c', 'systemctl stop "rocklet-*.service"; true']);
    } finally {
      await this.fx.dispose();
    }
  }
}
