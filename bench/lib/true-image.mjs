// The benches' payload: an ACI of static busybox whose exec is /bin/true, imported into a fixture's store.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildBusyboxRootfs } from '../../dist/test/harness/index.js';
import { buildAci } from '../../dist/src/image/index.js';

/** The image's name and version, as `rocklet run` takes it. */
export const TRUE_IMAGE = 'bench.rocklet/true:1.0.0';

/**
 * Build the ACI in the fixture's temp dir and `rocklet fetch` it (unsigned: --insecure-options=image).
 * Returns the busybox rootfs it was built from (other runtimes can run the same tree).
 */
export async function fetchTrueImage(fx) {
  const aciDir = path.join(fx.tmp.path, 'true.d');
  await buildBusyboxRootfs(path.join(aciDir, 'rootfs'));
  await writeFile(path.join(aciDir, 'manifest'), JSON.stringify({
    acKind: 'ImageManifest', acVersion: '0.8.11', name: 'bench.rocklet/true',
    labels: [{ name: 'version', value: '1.0.0' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    app: { exec: ['/bin/true'], user: '0', group: '0' },
  }));
  const aci = path.join(fx.tmp.path, 'true.aci');
  await buildAci(aciDir, aci, { compression: 'none', overwrite: true });
  const fetched = await fx.rocklet(['--insecure-options=image', 'fetch', aci]);
  if (fetched.code !== 0) throw new Error(`rocklet fetch: ${fetched.stderr}`);
  return { rootfs: path.join(aciDir, 'rootfs') };
}
