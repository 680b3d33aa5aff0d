/**
 * @module test/pod/runtime/fixture — a private test systemd (own network namespace: the "host"
 * of the pods) and a rocklet data dir with a busybox image tree, for the execution tests.
 *
 * Pods are prepared directly in the store (createPod + plan.json + manifest + markPrepared), so
 * these tests do not depend on image fetching. rocklet runs *inside* the test systemd, as it
 * would on a real host: through `sd.exec` (nsenter) or as transient units, with `--dir` in the
 * shared /tmp. Its network (bridge rocklet0, nft table, netns files under the instance's own
 * /run) stays inside the instance's network namespace. `dispose()` stops every unit and pod it
 * knows, stops the systemd (which takes every mount, netns and nft rule of the instance with it)
 * and removes the temp dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CapabilityName } from '../../../src/podfile/index.js';
import { DEFAULT_CAPABILITIES } from '../../../src/podfile/index.js';
import type { PlannedApp, PodPlan, PodUuid } from '../../../src/pod/index.js';
import { POD_PLAN_VERSION, createPod, markPrepared, podStore, writePodManifest, writePodPlan } from '../../../src/pod/index.js';
import type { ACName } from '../../../src/image/index.js';
import type { ExecResult, TempDir, BootOptions, TestSystemd } from '../../harness/index.js';
import { bootTestSystemd, buildBusyboxRootfs, makeTempDir } from '../../harness/index.js';
import { CLI_PATH } from '../../cli/run-cli.js';

export const DEFAULT_CAPS: readonly CapabilityName[] = DEFAULT_CAPABILITIES as readonly string[] as CapabilityName[];

/** A busybox app; override anything. */
export function busyboxApp(treeId: string, name: string, args: readonly string[], overrides: Partial<PlannedApp> = {}): PlannedApp {
  return {
    name,
    init: false,
    image: { id: `sha512-${'0'.repeat(128)}`, name: 'test/busybox', trees: [treeId] },
    args,
    env: [{ name: 'PATH', value: '/usr/sbin:/usr/bin:/sbin:/bin' }],
    workingDir: '/',
    supplementalGroups: [],
    runAsNonRoot: false,
    readOnlyRootfs: false,
    noNewPrivileges: true,
    capabilities: DEFAULT_CAPS,
    seccomp: { kind: 'RuntimeDefault' },
    resources: {},
    mounts: [],
    ports: [],
    restart: 'Never',
    stopTimeoutSeconds: 2,
    ...overrides,
  };
}

/** A plan with `apps`; override anything. */
export function podPlan(apps: readonly PlannedApp[], overrides: Partial<PodPlan> = {}): PodPlan {
  return {
    version: POD_PLAN_VERSION,
    stage1: 'crun',
    apps,
    volumes: [],
    net: 'default',
    dns: { host: false, servers: [], searches: [], options: [] },
    hosts: { host: false, entries: [] },
    hostAliases: [],
    annotations: {},
    ...overrides,
  };
}

export class RuntimeFixture {
  private constructor(
    readonly sd: TestSystemd,
    readonly tmp: TempDir,
    readonly treeId: string,
  ) {}

  static async create(label: string, boot: Omit<BootOptions, 'privateNetwork'> = {}): Promise<RuntimeFixture> {
    const tmp = await makeTempDir(label);
    let sd: TestSystemd | undefined;
    try {
      sd = await bootTestSystemd({ ...boot, privateNetwork: true });
      const treeId = `deps-${randomBytes(32).toString('hex')}`;
      const fixture = new RuntimeFixture(sd, tmp, treeId);
      await mkdir(fixture.dataDir, { recursive: true });
      await buildBusyboxRootfs(path.join(fixture.dataDir, 'images/trees', treeId, 'rootfs'));
      return fixture;
    } catch (error) {
      await sd?.stop();
      await tmp.remove();
      throw error;
    }
  }

  get dataDir(): string {
    return path.join(this.tmp.path, 'data');
  }

  app(name: string, args: readonly string[], overrides: Partial<PlannedApp> = {}): PlannedApp {
    return busyboxApp(this.treeId, name, args, overrides);
  }

  /** A prepared pod with `plan`. */
  async prepare(plan: PodPlan): Promise<{ uuid: PodUuid; dir: string }> {
    const pod = await createPod(podStore(this.dataDir));
    await writePodPlan(pod.path, plan);
    await writePodManifest(pod.path, { acKind: 'PodManifest' }, {
      apps: plan.apps.map((app) => ({ name: app.name as ACName, imageName: app.image.name })),
    });
    await markPrepared(pod);
    return { uuid: pod.uuid, dir: path.join(this.dataDir, 'pods/prepared', pod.uuid) };
  }

  /** The argv that runs the built rocklet with this fixture's --dir. */
  rockletArgv(...args: string[]): [string, ...string[]] {
    return [process.execPath, CLI_PATH, '--dir', this.dataDir, ...args];
  }

  /**
   * Environment= for units that run rocklet: the test run's code cache (scripts/run-tests.mjs),
   * which a unit would not inherit, rather than the machine's /var/cache.
   */
  unitEnvironment(): Record<string, string> {
    const cache = process.env.ROCKLET_CODE_CACHE;
    return cache === undefined ? {} : { ROCKLET_CODE_CACHE: cache };
  }

  /** Runs rocklet inside the test systemd (mount, PID and network namespaces). */
  rocklet(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.sd.exec(this.rockletArgv(...args), opts);
  }

  /** Runs a command inside the test systemd. */
  exec(argv: readonly string[]): Promise<ExecResult> {
    return this.sd.exec(argv);
  }

  /**
   * What pod `uuid` still holds inside the instance: mounts mentioning it, crun containers,
   * netns/ns files, leases naming it, nft chains. Empty when everything was released.
   */
  async leftovers(uuid: string): Promise<string[]> {
    const found: string[] = [];
    const mounts = await readFile(`/proc/${this.sd.pid}/mountinfo`, 'utf8');
    for (const line of mounts.split('\n')) if (line.includes(uuid)) found.push(`mount ${line.split(' ')[4] ?? line}`);
    const crun = await this.exec(['crun', '--root=/run/rocklet/crun', 'list', '--quiet']);
    for (const id of crun.stdout.split('\n')) if (id.startsWith(uuid)) found.push(`crun container ${id}`);
    const files = await this.exec(['sh', '-c', 'ls /run/rocklet/netns /run/rocklet/ns 2>/dev/null; true']);
    for (const name of files.stdout.split(/\s+/)) if (name.startsWith(uuid)) found.push(`namespace file ${name}`);
    const leaseDir = path.join(this.dataDir, 'net/rocklet0');
    let leases: string[] = [];
    try {
      leases = await readdir(leaseDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const lease of leases) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(lease)) continue;
      if ((await readFile(path.join(leaseDir, lease), 'utf8')).includes(uuid)) found.push(`lease ${lease}`);
    }
    const nft = await this.exec(['nft', 'list', 'ruleset']);
    if (nft.stdout.includes(`pod-${uuid}`)) found.push('nft chains');
    return found;
  }

  async dispose(): Promise<void> {
    try {
      await this.sd.stop();
    } finally {
      await this.tmp.remove();
    }
  }
}
