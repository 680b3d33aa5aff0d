/**
 * @module test/pod/runtime/aci — real busybox ACIs with a chosen app section, built by the
 * image layer's buildAci from the harness's busybox rootfs, for the prepare tests.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildAci } from '../../../src/image/index.js';
import { buildBusyboxRootfs } from '../../harness/index.js';

export interface AppAciOptions {
  readonly name: string;
  readonly version?: string;
  /** The manifest's app section; default: `/bin/sh` as root. */
  readonly app?: Record<string, unknown>;
}

/** Builds `out` (gzip ACI); returns its image ID. */
export async function buildAppAci(out: string, options: AppAciOptions): Promise<string> {
  const dir = `${out}.d`;
  await rm(dir, { recursive: true, force: true });
  await buildBusyboxRootfs(path.join(dir, 'rootfs'));
  const manifest = {
    acKind: 'ImageManifest', acVersion: '0.8.11', name: options.name,
    labels: [{ name: 'version', value: options.version ?? '1.0.0' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    app: options.app ?? { exec: ['/bin/sh'], user: '0', group: '0' },
  };
  await writeFile(path.join(dir, 'manifest'), JSON.stringify(manifest));
  const built = await buildAci(dir, out, { overwrite: true });
  await rm(dir, { recursive: true, force: true });
  return built.id;
}

/** An app section with a port and a mount point (for --port and implicit volumes). */
export const SERVER_APP = {
  exec: ['/bin/httpd', '-f', '-p', '80'], user: '0', group: '0', workingDirectory: '/',
  environment: [{ name: 'FROM_IMAGE', value: 'yes' }],
  ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
  mountPoints: [{ name: 'www', path: '/var/www' }],
};
