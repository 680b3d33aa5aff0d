// podman inside a test systemd instance, for side-by-side runs on these VMs.
//
// Debian 12's podman 4.3.1 cannot start a container here with its defaults, for two reasons
// outside rocklet: it raises RLIMIT_NOFILE/RLIMIT_NPROC above the hard limits and the VM's
// bounding set has no CAP_SYS_RESOURCE (setrlimit: EPERM), and its crun 1.8 refuses the
// hybrid cgroup tree ("cgroups in hybrid mode not supported"). So every podman command here
// runs with a containers.conf that asks for limits below the current ones and runc as the OCI
// runtime (Debian's `runc` and `catatonit` for kube play's pause image). Storage, run state,
// CNI configs and leases all live in the fixture's temp dir or the instance's own /run.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why podman cannot be compared on this machine, or undefined when it can. */
export async function podmanMissing() {
  for (const [command, pkg] of [['podman', 'podman'], ['runc', 'runc'], ['catatonit', 'catatonit']]) {
    const found = await run(command, ['--version']).then(() => true, () => false);
    if (!found) return `${command} is not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

/**
 * The argv prefix of podman for `fx` (a RuntimeFixture): run it with `fx.exec([...prefix, …])`
 * inside the instance. `runroot` must be short (podman's socket paths).
 */
export async function podmanInInstance(fx, runroot) {
  const dir = path.join(fx.tmp.path, 'podman');
  const cniDir = path.join(dir, 'cni');
  await mkdir(cniDir, { recursive: true });
  const bridge = JSON.parse(await readFile('/etc/cni/net.d/87-podman-bridge.conflist', 'utf8'));
  // `podman run` uses the network "podman", `kube play` "podman-default-kube-network".
  for (const [index, name] of ['podman', 'podman-default-kube-network'].entries()) {
    const conf = structuredClone(bridge);
    conf.name = name;
    conf.plugins[0].bridge = `cni-podman${index}`;
    conf.plugins[0].ipam.ranges = [[{ subnet: `10.${89 + index}.0.0/16`, gateway: `10.${89 + index}.0.1` }]];
    conf.plugins[0].ipam.dataDir = path.join(dir, 'cni-leases');
    await writeFile(path.join(cniDir, `${name}.conflist`), JSON.stringify(conf));
  }
  const conf = path.join(dir, 'containers.conf');
  await writeFile(conf, [
    '[containers]', 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]',
    '[engine]', 'runtime = "runc"', 'events_logger = "none"', '',
  ].join('\n'));
  return ['env', `CONTAINERS_CONF=${conf}`, 'podman', '--root', path.join(dir, 'root'), '--runroot', runroot,
    '--tmpdir', `${runroot}/libpod`, '--network-config-dir', cniDir];
}

/** Import a root filesystem directory as image `name` into the podman of `prefix`. */
export async function podmanImportRootfs(fx, prefix, rootfs, name) {
  const quoted = prefix.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  const imported = await fx.exec(['sh', '-c', `tar -C '${rootfs}' -c . | ${quoted} import --quiet - ${name}`]);
  if (imported.code !== 0) throw new Error(`podman import: ${imported.stderr}`);
}
