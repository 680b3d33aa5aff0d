/**
 * @module pod/runtime/pod-secrets — the Secret values a pod uses, kept out of its plan, its appc
 * manifest and everything else under the data dir: `<pod-ns-dir>/<uuid>.secrets.json` (mode
 * 0600; under `/run`, a tmpfs on a systemd host), written when the pod is prepared, read by
 * `pod up` (secret volumes, each its own tmpfs) and `app prepare` (env values, argv), removed with
 * the pod's other host resources (release.ts).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, writeFileAtomic } from '../../util/index.js';
import { nsPath } from '../stage1/mount-namespace.js';
import type { RuntimeContext } from './context.js';
import { DEFAULT_POD_NS_DIR } from './pod-ref.js';

/** Per app: variable → value; per volume: file path → base64 bytes. */
export interface PodSecrets {
  readonly env: Record<string, Record<string, string>>;
  readonly volumes: Record<string, Record<string, string>>;
  /** Per container: its argv when command/args expand a Secret-backed `$(NAME)`. */
  readonly argv: Record<string, string[]>;
}

export function emptyPodSecrets(): PodSecrets {
  return { env: {}, volumes: {}, argv: {} };
}

export function hasPodSecrets(secrets: PodSecrets): boolean {
  return Object.keys(secrets.env).length > 0 || Object.keys(secrets.volumes).length > 0 || Object.keys(secrets.argv).length > 0;
}

/** What locating the file needs; planning contexts may lack both (then: the defaults, this namespace). */
export type SecretsContext = Partial<Pick<RuntimeContext, 'podNsDir' | 'mountNamespace'>>;

/** Where pod `uuid`'s secrets live (a path of the context's mount namespace). */
export function podSecretsFile(ctx: SecretsContext, uuid: string): string {
  return `${path.join(ctx.podNsDir ?? DEFAULT_POD_NS_DIR, uuid)}.secrets.json`;
}

function hostPath(ctx: SecretsContext, file: string): string {
  return ctx.mountNamespace === undefined ? file : nsPath(ctx.mountNamespace, file);
}

export async function writePodSecrets(ctx: SecretsContext, uuid: string, secrets: PodSecrets): Promise<void> {
  const file = hostPath(ctx, podSecretsFile(ctx, uuid));
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify(secrets), { mode: 0o600 });
}

/** The pod's secrets; empty when it has none. A file that is not ours is ERR_POD_SECRETS_INVALID. */
export async function readPodSecrets(ctx: SecretsContext, uuid: string): Promise<PodSecrets> {
  const file = podSecretsFile(ctx, uuid);
  let text: string;
  try {
    text = await readFile(hostPath(ctx, file), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return emptyPodSecrets();
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('env' in parsed) || !('volumes' in parsed)) {
    throw failedPrecondition('ERR_POD_SECRETS_INVALID', `${file} is not a pod secrets file`);
  }
  const secrets = parsed as Omit<PodSecrets, 'argv'> & { argv?: PodSecrets['argv'] };
  return { ...secrets, argv: secrets.argv ?? {} }; // files of older versions have no argv
}

export async function removePodSecrets(ctx: SecretsContext, uuid: string): Promise<void> {
  await rm(hostPath(ctx, podSecretsFile(ctx, uuid)), { force: true });
}
