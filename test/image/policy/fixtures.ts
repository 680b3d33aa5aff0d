/**
 * Helpers of the signature policy tests: config dirs with a policy.json and registries.d,
 * skopeo pushes signed with a harness gpg key (simple signing into a file lookaside), and
 * cosign-format signatures made here with node:crypto and pushed to the registry as
 * `sha256-<hex>.sig` (Debian's skopeo is built without sigstore signing:
 * `--sign-by-sigstore-private-key` fails with "Debian-local change: sigstore disabled").
 */
import type { KeyObject } from 'node:crypto';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GpgKey } from '../../harness/index.js';
import { execChecked } from '../../harness/index.js';

let configs = 0;

/** A fresh config dir under `root` with `policy` as policy.json and `registriesD` as registries.d files. */
export async function writeConfig(root: string, policy: unknown, registriesD: Record<string, string> = {}): Promise<string> {
  const dir = path.join(root, `config-${configs++}`);
  await mkdir(path.join(dir, 'registries.d'), { recursive: true });
  await writeFile(path.join(dir, 'policy.json'), JSON.stringify(policy, null, 2));
  for (const [name, text] of Object.entries(registriesD)) await writeFile(path.join(dir, 'registries.d', name), text);
  return dir;
}

/** A registries.d file: `scope` reads its signatures from `lookaside`. */
export function lookasideYaml(scope: string, lookaside: string, extra = ''): string {
  return `docker:\n  ${JSON.stringify(scope)}:\n    lookaside: ${lookaside}\n${extra}`;
}

/**
 * `skopeo copy oci:<layout>:<tag> docker://<dest>` signed by `key` (simple signing), the
 * signature written under `staging` (a file lookaside) by skopeo itself.
 */
export async function pushSigned(layout: string, tag: string, dest: string, key: GpgKey, staging: string, options: { identity?: string; all?: boolean } = {}): Promise<void> {
  const registriesD = `${staging}.registries.d`;
  await mkdir(registriesD, { recursive: true });
  await writeFile(path.join(registriesD, 'staging.yaml'), `default-docker:\n  lookaside-staging: file://${staging}\n`);
  await execChecked(['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', '--registries.d', registriesD, '--sign-by', key.fingerprint,
    ...(options.identity === undefined ? [] : ['--sign-identity', options.identity]), ...(options.all === true ? ['--all'] : []),
    `oci:${layout}:${tag}`, `docker://${dest}`], { env: { ...process.env, GNUPGHOME: key.gnupgHome } });
}

/** An ECDSA P-256 key pair as `cosign generate-key-pair` makes, the public key as PEM. */
export function cosignKeyPair(): { privateKey: KeyObject; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** cosign's payload for `digest` signed as `identity`. */
export function cosignPayload(identity: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': identity }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
    optional: null,
  }));
}

/** One attached signature: the payload stored and the signature over `signed` (default: the payload). */
export interface CosignLayer {
  readonly payload: Buffer;
  readonly key: KeyObject;
  readonly signed?: Buffer;
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function pushBlob(registryUrl: string, repository: string, bytes: Buffer): Promise<void> {
  const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = start.headers.get('location');
  if (start.status !== 202 || location === null) throw new Error(`blob upload start: HTTP ${start.status}`);
  const url = new URL(location, registryUrl);
  url.searchParams.set('digest', sha256(bytes));
  const put = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}: ${await put.text()}`);
}

/** Pushes a cosign signature manifest for `digest` to `<repository>:sha256-<hex>.sig`, as cosign lays it out. */
export async function pushCosignSignatures(registryUrl: string, repository: string, digest: string, layers: readonly CosignLayer[]): Promise<void> {
  const descriptors = [];
  for (const layer of layers) {
    await pushBlob(registryUrl, repository, layer.payload);
    const signature = sign('sha256', layer.signed ?? layer.payload, layer.key).toString('base64');
    descriptors.push({
      mediaType: 'application/vnd.dev.cosignproject.cosign/simplesigning.v1+json', size: layer.payload.length, digest: sha256(layer.payload),
      annotations: { 'dev.cosignproject.cosign/signature': signature },
    });
  }
  const config = Buffer.from(JSON.stringify({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', os: '', rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.digest) } }));
  await pushBlob(registryUrl, repository, config);
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: descriptors,
  });
  const tag = `${digest.replace(':', '-')}.sig`;
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  if (put.status !== 201) throw new Error(`manifest upload: HTTP ${put.status}: ${await put.text()}`);
}
