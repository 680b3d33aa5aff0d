/**
 * @module pod/runtime/prepare-pod-file — `prepare` of a pod file (`--pod-file`, `--pod-manifest`,
 * `pod up POD-FILE`): read and validate it, fetch its images by each container's pull policy,
 * plan it twice (the second time with the pod's UUID). Split from prepare.ts and loaded on
 * demand, so `rocklet run IMAGE` does not evaluate the podfile layer and its YAML parser.
 */
import { hostname } from 'node:os';
import type { ImageFetcher, ImageRecord, PullPolicy } from '../../image/index.js';
import { ImageStore, isACIdentifier } from '../../image/index.js';
import type { ContainerSpec, PodSpec, ProtectedHostPath, PullPolicy as PodPullPolicy, SpecHash } from '../../podfile/index.js';
import { formatDiagnostic, readPodFile } from '../../podfile/index.js';
import type { InsecureFeature, InsecureOptions } from '../../util/index.js';
import { invalidArgument, isErrorCategory } from '../../util/index.js';
import type { ResolvedImage } from './plan-common.js';
import { checkRunnablePlatform } from './plan-common.js';
import { loadSeccompProfiles } from './seccomp-profiles.js';
import { rockletStatePaths } from './protected-paths.js';
import { checkPodSpecSupported, dockerStoreName, planFromPodSpec, podSpecContainers, podSpecImageReference } from './plan-podspec.js';
import type { PlanningContext, PreparedPod, PrepareOptions } from './prepared-pod.js';
import { createPreparedPod, fetcherFor, resolveImage } from './prepared-pod.js';
import type { DnsRequest, HostsRequest, NetRequest } from './request.js';

/** Options of {@link preparePodFile} besides {@link PrepareOptions}. */
export interface PodFilePrepareOptions extends PrepareOptions {
  /** Only appc PodManifests are accepted (`--pod-manifest`). */
  readonly appcOnly?: boolean;
  readonly stage1?: 'crun' | 'fly';
  /** Overrides the pod file's hostNetwork (`--net` with `--pod-manifest`). */
  readonly net?: NetRequest;
  /** Override the pod file's hostname, DNS and hosts settings. */
  readonly hostname?: string;
  readonly dns?: DnsRequest;
  readonly hosts?: HostsRequest;
  readonly uuidFileSave?: string;
}

/** Placeholder `metadata.uid` for the validation pass (the real UUID exists only after createPod). */
const UUID_PLACEHOLDER = '00000000-0000-4000-8000-000000000000';

const KUBE_PULL: Readonly<Record<PodPullPolicy, PullPolicy>> = { Always: 'update', IfNotPresent: 'new', Never: 'never' };

/** Read and validate a pod file; throws `ERR_POD_FILE_INVALID` with every diagnostic. */
export async function loadPodSpec(file: string, appcOnly: boolean, protectedHostPaths?: readonly ProtectedHostPath[]): Promise<{ spec: PodSpec; hash: SpecHash }> {
  const result = await readPodFile(file, { nodeName: hostname(), ...(protectedHostPaths === undefined ? {} : { protectedHostPaths }) });
  if (!result.ok) {
    const lines = result.errors.map((diagnostic) => formatDiagnostic(diagnostic));
    throw invalidArgument('ERR_POD_FILE_INVALID', `${file} is not a valid pod file:\n${lines.join('\n')}`, {
      hint: `"rocklet validate ${file}" shows the same report`,
    });
  }
  if (appcOnly && result.spec.format !== 'appc') {
    throw invalidArgument('ERR_POD_MANIFEST_FORMAT', `--pod-manifest expects an appc PodManifest (JSON), but ${file} is a ${result.spec.format} pod file`, {
      hint: `use --pod-file=${file}`,
    });
  }
  return { spec: result.spec, hash: result.hash };
}

function podInsecure(ctx: PlanningContext, spec: PodSpec): InsecureOptions {
  return new Set<InsecureFeature>([...ctx.insecure, ...spec.insecureOptions]);
}

async function fetchContainers(ctx: PlanningContext, store: ImageStore, spec: PodSpec, options: PrepareOptions): Promise<ResolvedImage[]> {
  const containers = podSpecContainers(spec).map((entry) => entry.container);
  const insecure = podInsecure(ctx, spec);
  const fetchers = new Map<PullPolicy, ImageFetcher>();
  const fetcher = (container: ContainerSpec): ImageFetcher => {
    const policy = options.pullPolicy ?? KUBE_PULL[container.imagePullPolicy];
    const existing = fetchers.get(policy);
    if (existing !== undefined) return existing;
    const created = fetcherFor(ctx, store, policy, options, insecure);
    fetchers.set(policy, created);
    return created;
  };
  const images: ResolvedImage[] = [];
  for (const container of containers) {
    const { image } = container;
    // An appc image imported under the Docker reference's store name stands in for it, unless
    // the container's pull policy asks the registry every time.
    if (image.kind === 'docker' && (options.pullPolicy ?? KUBE_PULL[container.imagePullPolicy]) !== 'update') {
      const { name, labels } = dockerStoreName(image.reference);
      const record = await store.findByReference(image.reference.canonical) ?? await store.findByName(name, labels);
      if (record !== undefined) {
        checkRunnablePlatform(record);
        images.push({ record, trees: await store.imageTrees(record.id, ctx.signal) });
        continue;
      }
    }
    images.push(await resolveImage(store, fetcher(container), podSpecImageReference(container), undefined, ctx.signal));
  }
  return images;
}

/**
 * Prepare a pod from a pod file (`rocklet pod up POD-FILE`, `--pod-file`, `--pod-manifest`).
 * Kubernetes imagePullPolicy maps to rkt's pull policies (Always → update, IfNotPresent →
 * new, Never → never) unless `pullPolicy` overrides it.
 */
export async function preparePodFile(ctx: PlanningContext, file: string, options: PodFilePrepareOptions): Promise<PreparedPod> {
  const { spec, hash } = await loadPodSpec(file, options.appcOnly === true, rockletStatePaths(ctx));
  return preparePodSpec(ctx, spec, hash, options);
}

/**
 * Prepare a pod from an already validated spec (the daemon parses its files itself): fetch
 * its images by each container's pull policy, plan it and create the pod in `prepared/`.
 * Nothing is created when any of it fails.
 */
export async function preparePodSpec(ctx: PlanningContext, spec: PodSpec, hash: SpecHash, options: PodFilePrepareOptions): Promise<PreparedPod> {
  // Refused before any image is fetched.
  checkPodSpecSupported(spec);
  const seccompProfiles = await loadSeccompProfiles(ctx.configDir, spec);
  const store = await ImageStore.open(ctx.dataDir);
  const images = await fetchContainers(ctx, store, spec, options);
  const planOptions = {
    ...(options.stage1 === undefined ? {} : { stage1: options.stage1 }),
    ...(options.net === undefined ? {} : { net: options.net }),
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    ...(options.dns === undefined ? {} : { dns: options.dns }),
    ...(options.hosts === undefined ? {} : { hosts: options.hosts }),
    seccompProfiles,
  };
  // The second pass (with the real UUID) stays quiet: the first one already warned.
  const plan = await planFromPodSpec(spec, hash, images, {
    ...planOptions, podUuid: UUID_PLACEHOLDER, ...(ctx.onEvent === undefined ? {} : { onEvent: ctx.onEvent }),
  });
  return createPreparedPod(ctx, store, plan, {
    ...(options.keepLocked === undefined ? {} : { keepLocked: options.keepLocked }),
    uuidFileSave: options.uuidFileSave,
    replan: (uuid) => planFromPodSpec(spec, hash, images, { ...planOptions, podUuid: uuid }),
  });
}

/**
 * The stored images a pod spec's containers name, as prepare would find them (Docker
 * references by their store name, appc images by ID or name and labels); names not in the
 * store are left out. Image gc keeps these: an image a pod file names is never collected.
 */
export async function storedImagesOf(store: ImageStore, spec: PodSpec): Promise<ImageRecord[]> {
  const found: ImageRecord[] = [];
  for (const { container } of podSpecContainers(spec)) {
    const { image } = container;
    let record: ImageRecord | undefined;
    if (image.kind === 'docker') {
      const { name, labels } = dockerStoreName(image.reference);
      record = await store.findByReference(image.reference.canonical) ?? await store.findByName(name, labels);
    } else if (image.id !== undefined) {
      try {
        record = await store.resolve(image.id);
      } catch (error) {
        if (!isErrorCategory(error, 'not-found')) throw error;
      }
    } else if (image.name !== undefined) {
      const labels = Object.entries(image.labels).flatMap(([name, value]) => (isACIdentifier(name) ? [{ name, value }] : []));
      record = await store.findByName(image.name, labels);
    }
    if (record !== undefined) found.push(record);
  }
  return found;
}
