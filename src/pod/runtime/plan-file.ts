/**
 * @module pod/runtime/plan-file — the pod's plan on disk (`<pod>/plan.json`, 0600, written
 * atomically) and the appc PodManifest derived from it (the `pod` file that `cat-manifest`
 * prints, formats.md §1.4). The manifest carries a fully merged `app` section per app, as rkt's
 * generated manifests did, so it documents exactly what runs.
 */
import path from 'node:path';
import { AC_VERSION_SUPPORTED, isACName } from '../../image/index.js';
import type { IdentityRef } from '../../podfile/index.js';
import { failedPrecondition, writeJsonAtomic } from '../../util/index.js';
import { corrupt, parseJsonFile, readOptional } from '../store/pod-files.js';
import type { PlannedApp, PodPlan } from './plan.js';
import { POD_PLAN_FILE, POD_PLAN_VERSION } from './plan.js';
import { sysctlRefusal } from './plan-common.js';

const PLAN_MODE = 0o600;

/** Write `plan` to `<podDir>/plan.json` atomically, mode 0600. */
export async function writePodPlan(podDir: string, plan: PodPlan): Promise<void> {
  // Written while the pod is in prepare/; leaving it fsyncs the pod dir (store transitions).
  await writeJsonAtomic(path.join(podDir, POD_PLAN_FILE), plan, { mode: PLAN_MODE, syncDirectory: false });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkApp(file: string, value: unknown, index: number): void {
  const where = `apps[${index}]`;
  if (!isRecord(value)) corrupt(file, `${where} must be an object`);
  if (typeof value.name !== 'string') corrupt(file, `${where}.name must be a string`);
  if (!isRecord(value.image) || typeof value.image.id !== 'string' || !Array.isArray(value.image.trees)) corrupt(file, `${where}.image must name an image and its trees`);
  for (const field of ['args', 'env', 'mounts', 'ports', 'capabilities', 'supplementalGroups']) {
    if (!Array.isArray(value[field])) corrupt(file, `${where}.${field} must be an array`);
  }
  if (typeof value.workingDir !== 'string') corrupt(file, `${where}.workingDir must be a string`);
  if (!isRecord(value.resources) || !isRecord(value.seccomp)) corrupt(file, `${where} lacks resources or seccomp`);
}

/** `prefillFrom` is optional (plans of older rocklets have none); present, it names an app and a path of a Disk volume. */
function checkVolume(file: string, value: unknown, index: number, apps: readonly unknown[]): void {
  const where = `volumes[${index}]`;
  if (!isRecord(value)) corrupt(file, `${where} must be an object`);
  const from = value.prefillFrom;
  if (from === undefined) return;
  if (value.kind !== 'empty' || value.medium !== 'Disk') corrupt(file, `${where}.prefillFrom is only for Disk empty volumes`);
  if (!isRecord(from) || typeof from.app !== 'string' || typeof from.path !== 'string' || !from.path.startsWith('/')) {
    corrupt(file, `${where}.prefillFrom must name an app and an absolute path`);
  }
  if (!apps.some((app) => isRecord(app) && app.name === from.app)) corrupt(file, `${where}.prefillFrom names app "${from.app}", which the pod does not have`);
}

/** `sysctls` is optional (plans of older rocklets have none); present, it must be safe to apply. */
function checkSysctls(file: string, value: unknown, stage1: 'crun' | 'fly', net: string): void {
  if (value === undefined) return;
  if (!isRecord(value)) corrupt(file, '"sysctls" must be an object of names and string values');
  for (const [name, setting] of Object.entries(value)) {
    if (typeof setting !== 'string') corrupt(file, `sysctls["${name}"] must be a string`);
    const refusal = sysctlRefusal(name, stage1, net);
    if (refusal !== undefined) corrupt(file, `sysctls: ${refusal}`);
  }
}

/**
 * Read `<podDir>/plan.json`. Throws `ERR_POD_PLAN_MISSING` when there is none (preparation
 * did not finish), `ERR_POD_PLAN_VERSION` for a plan of another rocklet version and
 * `ERR_POD_FILE_CORRUPT` for one that is not a plan.
 */
export async function readPodPlan(podDir: string): Promise<PodPlan> {
  const file = path.join(podDir, POD_PLAN_FILE);
  const text = await readOptional(file);
  if (text === undefined) {
    throw failedPrecondition('ERR_POD_PLAN_MISSING', `pod directory ${podDir} has no ${POD_PLAN_FILE}: its preparation did not finish`, {
      hint: 'prepare the pod again; "rocklet gc" removes the unfinished one',
    });
  }
  const value = parseJsonFile(file, text);
  if (!isRecord(value)) return corrupt(file, 'not a JSON object');
  if (value.version !== POD_PLAN_VERSION) {
    throw failedPrecondition('ERR_POD_PLAN_VERSION', `pod plan ${file} has version ${JSON.stringify(value.version)}; this rocklet runs version ${POD_PLAN_VERSION}`, {
      hint: 'the pod was prepared by another rocklet version; prepare it again',
    });
  }
  if (!Array.isArray(value.apps) || value.apps.length === 0) corrupt(file, '"apps" must be a non-empty array');
  value.apps.forEach((app, index) => checkApp(file, app, index));
  if (!Array.isArray(value.volumes)) corrupt(file, '"volumes" must be an array');
  const apps: readonly unknown[] = value.apps;
  value.volumes.forEach((volume, index) => checkVolume(file, volume, index, apps));
  if (value.stage1 !== 'crun' && value.stage1 !== 'fly') corrupt(file, '"stage1" must be crun or fly');
  if (value.net !== 'host' && value.net !== 'none' && value.net !== 'default') corrupt(file, '"net" must be host, none or default');
  if (!isRecord(value.dns) || !isRecord(value.hosts) || !Array.isArray(value.hostAliases) || !isRecord(value.annotations)) {
    corrupt(file, 'dns, hosts, hostAliases or annotations missing');
  }
  checkSysctls(file, value.sysctls, value.stage1, value.net);
  return value as unknown as PodPlan;
}

function identityText(ref: IdentityRef | undefined): string {
  if (ref === undefined) return '0';
  switch (ref.kind) {
    case 'id':
      return String(ref.id);
    case 'name':
      return ref.name;
    case 'path':
      return ref.path;
  }
}

function isolatorsOf(app: PlannedApp): { name: string; value: unknown }[] {
  const isolators: { name: string; value: unknown }[] = [];
  const { memoryBytes, cpuMillicores, cpuShares } = app.resources;
  if (memoryBytes !== undefined) isolators.push({ name: 'resource/memory', value: { limit: String(memoryBytes) } });
  if (cpuMillicores !== undefined) isolators.push({ name: 'resource/cpu', value: { limit: `${cpuMillicores}m` } });
  if (cpuShares !== undefined) isolators.push({ name: 'os/linux/cpu-shares', value: cpuShares });
  if (app.capabilities.length > 0) isolators.push({ name: 'os/linux/capabilities-retain-set', value: { set: [...app.capabilities] } });
  if (app.noNewPrivileges) isolators.push({ name: 'os/linux/no-new-privileges', value: true });
  if (app.oomScoreAdj !== undefined) isolators.push({ name: 'os/linux/oom-score-adj', value: app.oomScoreAdj });
  if (app.seccomp.kind === 'syscalls') {
    const { mode, syscalls, errno } = app.seccomp;
    isolators.push({ name: `os/linux/seccomp-${mode}-set`, value: { set: [...syscalls], ...(errno === undefined ? {} : { errno }) } });
  }
  return isolators;
}

function appEntry(app: PlannedApp): Record<string, unknown> {
  const pointNames = new Map<string, number>();
  const mounts = app.mounts.map((mount) => {
    const seen = pointNames.get(mount.volume) ?? 0;
    pointNames.set(mount.volume, seen + 1);
    return { ...mount, point: seen === 0 ? mount.volume : `${mount.volume}-${seen + 1}` };
  });
  return {
    name: app.name,
    image: {
      name: app.image.name,
      id: app.image.id,
      ...(app.image.version === undefined ? {} : { labels: [{ name: 'version', value: app.image.version }] }),
    },
    app: {
      exec: [...app.args],
      user: identityText(app.user),
      group: identityText(app.group),
      ...(app.supplementalGroups.length === 0 ? {} : { supplementaryGIDs: [...app.supplementalGroups] }),
      workingDirectory: app.workingDir,
      environment: app.env.map(({ name, value }) => ({ name, value })),
      mountPoints: mounts.map((mount) => ({ name: mount.point, path: mount.mountPath, readOnly: mount.readOnly })),
      ports: app.ports.map((port) => ({ name: port.name, protocol: port.protocol.toLowerCase(), port: port.containerPort, count: 1, socketActivated: false })),
      isolators: isolatorsOf(app),
    },
    readOnlyRootFS: app.readOnlyRootfs,
    mounts: mounts.map((mount) => ({ volume: mount.volume, path: mount.mountPath })),
    annotations: [
      ...(app.init ? [{ name: 'rocklet-init', value: 'true' }] : []),
      { name: 'rocklet-restart', value: app.restart },
    ],
  };
}

/** The appc PodManifest of `plan` as a JSON object (what `writePodManifest` stores). */
export function appcPodManifestObject(plan: PodPlan, uuid?: string): Record<string, unknown> {
  const annotations: { name: string; value: string }[] = [
    { name: 'rocklet-stage1', value: plan.stage1 },
    { name: 'rocklet-net', value: plan.net },
    ...(uuid === undefined ? [] : [{ name: 'rocklet-uuid', value: uuid }]),
    ...(plan.podName === undefined ? [] : [{ name: 'rocklet-pod-name', value: plan.podName }]),
    ...(plan.specHash === undefined ? [] : [{ name: 'rocklet-spec-hash', value: plan.specHash }]),
    // appc annotation names are AC Names; Kubernetes keys such as example.com/x stay in the plan only.
    ...Object.entries(plan.annotations).filter(([name]) => isACName(name)).map(([name, value]) => ({ name, value })),
  ];
  const manifest = {
    acVersion: AC_VERSION_SUPPORTED,
    acKind: 'PodManifest',
    apps: plan.apps.map(appEntry),
    volumes: plan.volumes.map((volume) => volume.kind === 'host'
      ? { name: volume.name, kind: 'host', source: volume.source, readOnly: volume.readOnly, recursive: volume.recursive }
      : volume.kind === 'files'
        // appc has no such kind: the nearest is a read-only empty volume (its files are rocklet's).
        ? { name: volume.name, kind: 'empty', readOnly: true, mode: '0755', uid: 0, gid: 0 }
        : { name: volume.name, kind: 'empty', readOnly: false, mode: `0${volume.mode.toString(8)}`, uid: volume.uid, gid: volume.gid }),
    isolators: plan.sysctls === undefined || Object.keys(plan.sysctls).length === 0 ? [] : [{ name: 'os/unix/sysctl', value: { ...plan.sysctls } }],
    annotations,
    ports: plan.apps.flatMap((app) => app.ports.filter((port) => port.hostPort !== undefined).map((port) => ({
      name: port.name, hostPort: port.hostPort, ...(port.hostIp === undefined ? {} : { hostIP: port.hostIp }),
    }))),
  };
  return manifest;
}

/** The appc PodManifest of `plan` (JSON text, one line, with a trailing newline). */
export function appcPodManifest(plan: PodPlan, uuid?: string): string {
  return `${JSON.stringify(appcPodManifestObject(plan, uuid))}\n`;
}
