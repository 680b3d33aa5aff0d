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
import type { PodConfig } from '../../podfile/index.js';
import { EMPTY_POD_CONFIG, NO_SHARED_OBJECTS, bindPodConfig, formatDiagnostic, podConfigRefs, readPodFile, readSharedConfigObjects } from '../../podfile/index.js';
import type { SecretsContext } from './pod-secrets.js';
import { emptyPodSecrets, hasPodSecrets, writePodSecrets } from './pod-secrets.js';
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
  /** The ConfigMaps and Secrets the spec references, bound (the daemon binds them itself). */
  readonly config?: PodConfig;
}

/** Placeholder `metadata.uid` for the validation pass (the real UUID exists only after createPod). */
const UUID_PLACEHOLDER = '00000000-0000-4000-8000-000000000000';

const KUBE_PULL: Readonly<Record<PodPullPolicy, PullPolicy>> = { Always: 'update', IfNotPresent: 'new', Never: 'never' };

/**
 * Read and validate a pod file and bind its ConfigMap/Secret references (to the objects beside
 * it, then those of `<configDir>/configmaps|secrets/`); throws `ERR_POD_FILE_INVALID` with
 * every diagnostic or missing object.
 */
export async function loadPodSpec(
  file: string,
  appcOnly: boolean,
  configDir?: string,
  protectedHostPaths?: readonly ProtectedHostPath[],
): Promise<{ spec: PodSpec; hash: SpecHash; config: PodConfig }> {
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
  if (podConfigRefs(result.spec).length === 0) return { spec: result.spec, hash: result.hash, config: EMPTY_POD_CONFIG };
  const shared = configDir === undefined ? NO_SHARED_OBJECTS : await readSharedConfigObjects(configDir);
  const bound = bindPodConfig(result.spec, result.hash, result.objects, shared);
  if (!bound.ok) {
    throw invalidArgument('ERR_POD_FILE_INVALID', `${file} cannot run:\n${bound.problems.join('\n')}`, {
      hint: 'ConfigMaps and Secrets go beside the pod in its file (--- separated documents) or in <config-dir>/configmaps/ and <config-dir>/secrets/',
    });
  }
  return { spec: result.spec, hash: bound.hash, config: bound.config };
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
  const { spec, hash, config } = await loadPodSpec(file, options.appcOnly === true, ctx.configDir, rockletStatePaths(ctx));
  return preparePodSpec(ctx, spec, hash, { ...options, config });
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
    ...(options.config === undefined ? {} : { config: options.config }),
  };
  // The second pass (with the real UUID) stays quiet: the first one already warned.
  const plan = await planFromPodSpec(spec, hash, images, {
    ...planOptions, podUuid: UUID_PLACEHOLDER, ...(ctx.onEvent === undefined ? {} : { onEvent: ctx.onEvent }),
  });
  return createPreparedPod(ctx, store, plan, {
    ...(options.keepLocked === undefined ? {} : { keepLocked: options.keepLocked }),
    uuidFileSave: options.uuidFileSave,
    replan: async (uuid) => {
      const secrets = emptyPodSecrets();
      const final = await planFromPodSpec(spec, hash, images, { ...planOptions, podUuid: uuid, secrets });
      // The caller's context is a RuntimeContext where pods run (its ns dir and mount namespace apply).
      if (hasPodSecrets(secrets)) await writePodSecrets(ctx as PlanningContext & SecretsContext, uuid, secrets);
      return final;
    },
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
