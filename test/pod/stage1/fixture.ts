/**
 * @module test/pod/stage1/fixture — a private test systemd with a busybox "image" for the
 * stage1 e2e tests.
 *
 * crun cannot run on this host outside a test systemd (hybrid cgroups), and the test
 * systemd cannot see host mounts made after it booted, so stage1 works *inside* it: the
 * library gets `mountNamespaceOf(sd.pid)`, which runs mount/crun through nsenter and reaches
 * files through /proc/<pid>/root. Image trees: `base` is the busybox rootfs, `top` a second
 * layer with its own passwd/group (user web) — two lower dirs, as a rendered image with a
 * dependency has. `dispose()` deletes every container, unmounts what stage1 mounted under the
 * temp dir, stops the systemd and removes the temp dir, even after failures.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MountNamespace, PrepareAppOptions, PreparedApp } from '../../../src/pod/index.js';
import { CrunRuntime, listMountPoints, mountNamespaceOf, prepareApp, unmount } from '../../../src/pod/index.js';
import type { CapabilityName } from '../../../src/podfile/index.js';
import { DEFAULT_CAPABILITIES } from '../../../src/podfile/index.js';
import type { TempDir, TestSystemd } from '../../harness/index.js';
import { bootTestSystemd, buildBusyboxRootfs, makeTempDir } from '../../harness/index.js';

/** The default 14 as the branded type the pod layer takes. */
export const DEFAULT_CAPS: readonly CapabilityName[] = DEFAULT_CAPABILITIES as readonly string[] as CapabilityName[];

export const TOP_PASSWD = 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1001:web:/home/web:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
export const TOP_GROUP = 'root:x:0:\nwheel:x:10:web\nweb:x:1001:\nnogroup:x:65534:\n';

/** The e2e world of one test file. */
export class Stage1Fixture {
  readonly containers = new Set<string>();
  #counter = 0;

  private constructor(
    readonly sd: TestSystemd,
    readonly tmp: TempDir,
    readonly ns: MountNamespace,
    readonly crun: CrunRuntime,
  ) {}

  static async create(label: string): Promise<Stage1Fixture> {
    const tmp = await makeTempDir(label);
    let sd: TestSystemd | undefined;
    try {
      sd = await bootTestSystemd();
      const ns = mountNamespaceOf(sd.pid);
      const fixture = new Stage1Fixture(sd, tmp, ns, new CrunRuntime({ namespace: ns }));
      await buildBusyboxRootfs(fixture.baseTree);
      await mkdir(path.join(fixture.topTree, 'etc'), { recursive: true });
      await writeFile(path.join(fixture.topTree, 'etc/passwd'), TOP_PASSWD);
      await writeFile(path.join(fixture.topTree, 'etc/group'), TOP_GROUP);
      return fixture;
    } catch (error) {
      await sd?.stop();
      await tmp.remove();
      throw error;
    }
  }

  get baseTree(): string {
    return path.join(this.tmp.path, 'images/trees/base/rootfs');
  }

  get topTree(): string {
    return path.join(this.tmp.path, 'images/trees/top/rootfs');
  }

  /** A fresh pod directory. */
  async podDir(): Promise<string> {
    const dir = path.join(this.tmp.path, 'pods', `pod${++this.#counter}`);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    return dir;
  }

  /** A unique container id, deleted by dispose(). */
  containerId(app: string): string {
    const id = `rltest-${process.pid}-${++this.#counter}-${app}`;
    this.containers.add(id);
    return id;
  }

  /** prepareApp with the defaults of these tests (overridable). */
  prepare(podDir: string, options: Partial<PrepareAppOptions> & Pick<PrepareAppOptions, 'args'>): Promise<PreparedApp> {
    return prepareApp(this.ns, {
      podDir,
      app: 'app',
      image: 'test/busybox',
      lowerDirs: [this.topTree, this.baseTree],
      env: [],
      capabilities: DEFAULT_CAPS,
      noNewPrivileges: true,
      readOnlyRootfs: false,
      seccomp: { kind: 'RuntimeDefault' },
      namespaces: { network: { kind: 'new' }, ipc: { kind: 'new' }, uts: { kind: 'new' } },
      ...options,
    });
  }

  /** Mount points of the test systemd's namespace under this fixture's temp dir. */
  async mountsLeft(): Promise<string[]> {
    return (await listMountPoints(this.ns)).filter((p) => p.startsWith(`${this.tmp.path}/`));
  }

  async dispose(): Promise<void> {
    try {
      for (const id of this.containers) await this.crun.delete(id, { force: true });
      for (const point of (await this.mountsLeft()).reverse()) await unmount(this.ns, point);
    } finally {
      await this.sd.stop();
      await this.tmp.remove();
    }
  }
}
