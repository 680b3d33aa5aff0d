/**
 * @module test/pod/runtime/plan-fixtures — images and requests for the planning tests: image records
 * built from real manifests (validated by the image layer's parser), and RunRequests with
 * rkt's defaults.
 */
import type { ImageId, ImageRecord } from '../../../src/image/index.js';
import { parseImageManifest } from '../../../src/image/index.js';
import type { AppRequest, PodOptions, ResolvedImage, RunRequest, VolumeRequest } from '../../../src/pod/index.js';

let counter = 0;

/**
 * A fetched-and-rendered image with `app` as its manifest's app section (undefined: none) and
 * `annotations` (docker2aci's `appc.io/docker/…` make it Docker-style).
 */
export function image(
  name: string, app: Record<string, unknown> | undefined, version = '1.0.0', annotations: readonly { name: string; value: string }[] = [],
): ResolvedImage {
  const manifest = parseImageManifest(JSON.stringify({
    acKind: 'ImageManifest', acVersion: '0.8.11', name,
    labels: [{ name: 'version', value: version }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    ...(app === undefined ? {} : { app: { user: '0', group: '0', ...app } }),
    ...(annotations.length === 0 ? {} : { annotations }),
  }));
  const id = `sha512-${(++counter).toString(16).padStart(128, '0')}` as ImageId;
  const record: ImageRecord = {
    id, name: manifest.name, labels: manifest.labels, sizeBytes: 1, treeSizeBytes: 1, importTime: new Date(0), lastUsed: new Date(0), manifest,
  };
  return { record, trees: [id] };
}

export const POD_DEFAULTS: PodOptions = {
  stage1: 'crun', net: 'default', ports: [], dns: { host: false, servers: [], searches: [], options: [] }, hosts: { host: false, entries: [] },
  inheritEnv: false, setEnvFile: [], setEnv: [],
};

/** One app request with rkt's defaults, overridden by `extra`. */
export function app(imageArg: string, extra: Partial<AppRequest> = {}): AppRequest {
  return { image: imageArg, environment: [], readOnlyRootfs: false, mounts: [], ...extra };
}

export function request(apps: readonly AppRequest[], options: Partial<PodOptions> = {}, volumes: readonly VolumeRequest[] = []): RunRequest {
  return { source: { kind: 'images', apps, volumes }, options: { ...POD_DEFAULTS, ...options } };
}
