/**
 * @module format/oci/image-app — an OCI/Docker image config as the appc ImageManifest the rest
 * of rocklet plans pods from (the shape docker2aci gave converted images, without squashing the
 * layers): name `domain/path` (a port's `:` becomes `-`), labels `version` (the tag), `os`,
 * `arch`; the app's exec is Entrypoint + Cmd, with both kept apart in `appc.io/docker/entrypoint`
 * and `appc.io/docker/cmd` annotations for Kubernetes' `command`/`args` rules
 * ({@link mergeCommand}); Env, WorkingDir, User (kept raw in `appc.io/docker/user`: names are
 * resolved in the image's own /etc/passwd and /etc/group when the app is prepared),
 * ExposedPorts → ports, Volumes → mount points (implicit volumes, pre-filled from the image as
 * for docker2aci images). Pure: no I/O.
 */

import type { RunConfig } from '../../registry/image-config.js';

/** Go architecture names (OCI) → appc `arch` label values. */
const APPC_ARCH: Readonly<Record<string, string>> = {
  amd64: 'amd64', '386': 'i386', arm64: 'aarch64', ppc64le: 'ppc64le', ppc64: 'ppc64', s390x: 's390x',
};

/** What an OCI image's config says about running it: its platform and its run config. */
export interface OciRunFacts extends Omit<RunConfig, 'labels'> {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** Where the image came from. */
export interface OciOrigin {
  /** `docker.io`, `127.0.0.1:5000`, or a local transport's own name (`oci-layout`). */
  readonly domain: string;
  /** `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  readonly manifestDigest: string;
}

/** The annotation prefix docker2aci used, which marks Docker-style images (volume pre-fill). */
export const DOCKER_ANNOTATION = {
  entrypoint: 'appc.io/docker/entrypoint',
  cmd: 'appc.io/docker/cmd',
  user: 'appc.io/docker/user',
  repository: 'appc.io/docker/repository',
  registry: 'appc.io/docker/registryurl',
  tag: 'appc.io/docker/tag',
  manifest: 'appc.io/docker/manifesthash',
} as const;

/** The appc name of an OCI image: lowercase AC identifier from `domain/path`. */
export function ociStoreName(domain: string, repository: string): string {
  return `${domain}/${repository}`.toLowerCase().split('/').map((part) => {
    const cleaned = part.replace(/[^a-z0-9._~-]+/g, '-').replace(/[-._~]{2,}/g, '-').replace(/^[-._~]+|[-._~]+$/g, '');
    return cleaned === '' ? 'x' : cleaned;
  }).join('/');
}

/** The appc arch label of an OCI platform, or the Go name when appc has none. */
export function appcArch(architecture: string, variant: string | undefined): string {
  if (architecture === 'arm') return variant === 'v6' ? 'armv6l' : 'armv7l';
  return APPC_ARCH[architecture] ?? architecture;
}

function portsOf(exposed: readonly string[]): { name: string; protocol: string; port: number }[] {
  const ports: { name: string; protocol: string; port: number }[] = [];
  for (const key of exposed) {
    const [number, protocol = 'tcp'] = key.split('/');
    const port = Number(number);
    if (!Number.isInteger(port) || port < 1 || port > 65535 || !['tcp', 'udp', 'sctp'].includes(protocol)) continue;
    ports.push({ name: `${port}-${protocol}`, protocol, port });
  }
  return ports;
}

/** `/var/lib/data` → `volume-var-lib-data` (an AC name). */
export function volumeName(volumePath: string): string {
  const cleaned = volumePath.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'volume-root' : `volume-${cleaned}`;
}

function environment(env: readonly string[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const entry of env) {
    const eq = entry.indexOf('=');
    const name = eq === -1 ? entry : entry.slice(0, eq);
    if (name === '' || out.some((existing) => existing.name === name)) continue;
    out.push({ name, value: eq === -1 ? '' : entry.slice(eq + 1) });
  }
  return out;
}

/** Docker's `User` → appc user and group (a missing group means the user's primary group). */
export function splitDockerUser(user: string | undefined): { user: string; group: string } {
  const text = user ?? '';
  if (text === '') return { user: '0', group: '0' };
  const colon = text.indexOf(':');
  if (colon === -1) return { user: text, group: '' };
  return { user: text.slice(0, colon) || '0', group: text.slice(colon + 1) };
}

/** The raw appc ImageManifest object for an OCI image (validated by the caller). */
export function appcManifestFor(origin: OciOrigin, facts: OciRunFacts): Record<string, unknown> {
  const entrypoint = [...(facts.entrypoint ?? [])];
  const cmd = [...(facts.cmd ?? [])];
  const { user, group } = splitDockerUser(facts.user);
  const volumes = [...new Set(facts.volumes ?? [])].filter((volume) => volume.startsWith('/'));
  const annotations: { name: string; value: string }[] = [
    { name: DOCKER_ANNOTATION.registry, value: origin.domain },
    { name: DOCKER_ANNOTATION.repository, value: origin.path },
    { name: DOCKER_ANNOTATION.manifest, value: origin.manifestDigest },
    { name: DOCKER_ANNOTATION.entrypoint, value: JSON.stringify(entrypoint) },
    { name: DOCKER_ANNOTATION.cmd, value: JSON.stringify(cmd) },
    { name: DOCKER_ANNOTATION.user, value: facts.user ?? '' },
    ...(origin.tag === undefined ? [] : [{ name: DOCKER_ANNOTATION.tag, value: origin.tag }]),
  ];
  return {
    acKind: 'ImageManifest',
    acVersion: '0.8.11',
    name: ociStoreName(origin.domain, origin.path),
    labels: [
      ...(origin.tag === undefined ? [] : [{ name: 'version', value: origin.tag }]),
      { name: 'os', value: facts.os },
      { name: 'arch', value: appcArch(facts.architecture, facts.variant) },
    ],
    app: {
      exec: [...entrypoint, ...cmd],
      // appc wants a group; the plan reads the raw Docker user (annotation) for the real rule.
      user,
      group: group === '' ? '0' : group,
      workingDirectory: facts.workingDir !== undefined && facts.workingDir.startsWith('/') ? facts.workingDir : '/',
      environment: environment(facts.env ?? []),
      ports: portsOf(facts.exposedPorts ?? []),
      mountPoints: volumes.map((volume) => ({ name: volumeName(volume), path: volume, readOnly: false })),
    },
    annotations,
  };
}

/** Entrypoint and Cmd as the image set them (from the annotations), when it is an OCI/Docker image. */
export function dockerCommand(annotations: readonly { readonly name: string; readonly value: string }[]): { entrypoint: string[]; cmd: string[] } | undefined {
  const read = (name: string): string[] | undefined => {
    const value = annotations.find((annotation) => annotation.name === name)?.value;
    if (value === undefined) return undefined;
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  };
  const entrypoint = read(DOCKER_ANNOTATION.entrypoint);
  const cmd = read(DOCKER_ANNOTATION.cmd);
  if (entrypoint === undefined || cmd === undefined) return undefined;
  return { entrypoint, cmd };
}

/**
 * Kubernetes' rules for a container's argv from the image's Entrypoint/Cmd and the container's
 * `command`/`args` (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/):
 * neither → Entrypoint + Cmd; `command` only → command (the image's Cmd is dropped); `args` only
 * → Entrypoint + args; both → command + args.
 */
export function mergeCommand(
  image: { readonly entrypoint: readonly string[]; readonly cmd: readonly string[] },
  container: { readonly command?: readonly string[] | undefined; readonly args?: readonly string[] | undefined },
): string[] {
  if (container.command !== undefined) return [...container.command, ...(container.args ?? [])];
  return [...image.entrypoint, ...(container.args ?? image.cmd)];
}
