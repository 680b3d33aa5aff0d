/**
 * @module podfile — pod files (Kubernetes Pod subset, appc PodManifest) → one typed PodSpec
 * with a desired-state hash, or a list of diagnostics with file:line:column and field path.
 * Pure apart from readPodFile (reads one file): no systemd, no network. See DESIGN.md §6 and
 * docs/pod-files.md.
 */
export { parsePodFile, readPodFile, parseConfigObjectFile } from './pod-file.js';
export type { PodFileResult, PodFileSuccess, PodFileFailure, ConfigObjectFileResult } from './pod-file.js';
export { bindPodConfig, podConfigRefs, configValue, configObject, EMPTY_POD_CONFIG, NO_SHARED_OBJECTS } from './config-refs.js';
export type { BoundPod, ConfigLookup, ConfigRef, PodConfig } from './config-refs.js';
export { bindPodFileResult } from './bind-result.js';
export { readSharedConfigObjects, sharedConfigObjects, unsafeConfigPath, CONFIG_OBJECT_DIRS } from './config-dir.js';
export type { SharedConfigObjects, ConfigFileProblem } from './config-dir.js';
export type { PodIdentity } from './kube-pod.js';
export type { PodFileOptions, ProtectedHostPath } from './scope.js';
export { DEFAULT_PROTECTED_HOST_PATHS, protectedPathHit } from './host-path-guard.js';
export { podPrivileges } from './privileges.js';
export { formatDiagnostic, SEVERITIES } from './diagnostics.js';
export type { Diagnostic, Severity } from './diagnostics.js';
export { specHash, canonicalJson, SPEC_HASH_SCHEMA } from './spec-hash.js';
export { expandVariables, expandContainer, volumeFiles, fieldValue } from './expand.js';
export type { RuntimeFieldValues, ExpandedContainer, ExpandedEnvVar, VolumeFile } from './expand.js';
export { matchesNodeSelector, nodeSelectorMismatches } from './node-selector.js';
export type { SelectorMismatch } from './node-selector.js';
export { parseQuantity, formatBytes, formatMillicores, QUANTITY_UNITS } from './quantity.js';
export type { QuantityUnit } from './quantity.js';
export { DEFAULT_CAPABILITIES } from './capabilities.js';
export { PARSE_LIMITS } from './node.js';
export { POD_LIMITS } from './limits.js';
export { ROCKLET_ANNOTATIONS, ROCKLET_ANNOTATION_PREFIX } from './annotations.js';
export { appcPodName } from './appc-manifest.js';
export {
  POD_FILE_FORMATS, RESTART_POLICIES, PULL_POLICIES, PROTOCOLS, DNS_POLICIES, HOST_PATH_TYPES, EMPTY_DIR_MEDIA, FIELD_PATHS,
  POD_INSECURE_OPTIONS, PRIORITY_CLASSES, RESOURCE_FIELDS, CONFIG_OBJECT_KINDS,
} from './types.js';
export type {
  PodSpec, ContainerSpec, VolumeSpec, VolumeSource, ImageSource, EnvVar, ContainerPort, VolumeMount, ResourceRequirements,
  ContainerSecurity, IdentityRef, SeccompPolicy, EventHandlers, DnsSpec, HostAlias, Sysctl, PodName, PodNamespace,
  ContainerName, VolumeName, PortName, Hostname, AbsolutePath, EnvVarName, SpecHash, CapabilityName, PodFileFormat,
  RestartPolicy, PullPolicy, Protocol, DnsPolicy, HostPathType, EmptyDirMedium, FieldPath, PodInsecureOption,
  PriorityClassName,
  ConfigObject, ConfigObjectKind, EnvFromSource, FieldRef, ResourceFieldRef, ResourceField, KeyToPath, DownwardApiFile,
} from './types.js';
export { PROBE_KINDS } from './probe-types.js';
export type {
  ProbeSpec, ProbeKind, ProbeAction, ProbeTiming, HookAction, HookName, LifecycleHooks, ContainerProbes, ExecAction, HttpGetAction, TcpSocketAction, GrpcAction, SleepAction, HttpHeader,
} from './probe-types.js';
