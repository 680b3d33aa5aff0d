/**
 * @module podfile/kube-shapes — which keys each Kubernetes object accepts, and what happens to
 * the ones it does not: an error naming the field and the alternative (formats.md §3.5), or,
 * for the short list of cluster-only fields, a warning that they are ignored (§3.4). Values
 * that mean the default (`hostPID: false`, `privileged: false`) are accepted silently.
 */
import type { PodNode } from './node.js';
import type { ObjectShape, SpecialRule } from './reader.js';
import { scalarIs, verdicts } from './reader.js';

const { error, warning, unless, warnUnless } = verdicts;
const V1 = 'not supported by rocklet v1';
const CLUSTER = 'cluster state, ignored by rocklet';

function isEmptyMap(node: PodNode): boolean {
  return (node.kind === 'map' && node.entries.length === 0) || (node.kind === 'scalar' && node.value === null);
}

function mapHas(key: string, value: string): (node: PodNode) => boolean {
  return (node) =>
    node.kind === 'map' &&
    node.entries.length === 1 &&
    node.entries[0]?.key === key &&
    node.entries[0].value.kind === 'scalar' &&
    node.entries[0].value.value === value;
}

export const TOP_SHAPE: ObjectShape = {
  fields: ['apiVersion', 'kind', 'metadata', 'spec'],
  special: { status: warning(CLUSTER) },
};

export const METADATA_SHAPE: ObjectShape = {
  fields: ['name', 'namespace', 'labels', 'annotations'],
  special: {
    generateName: error(`${V1}: set metadata.name`),
    ownerReferences: error(`${V1}: pods in files have no owner objects`),
    finalizers: error(`${V1}: pods in files have no finalizers`),
    ...Object.fromEntries(
      ['creationTimestamp', 'uid', 'resourceVersion', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'].map(
        (key): [string, SpecialRule] => [key, warning(CLUSTER)],
      ),
    ),
  },
};

/** The pod spec's shape; `nodeName` depends on this machine's name. */
export function podSpecShape(nodeNameRule: SpecialRule): ObjectShape {
  return {
    fields: [
      'containers', 'initContainers', 'volumes', 'restartPolicy', 'terminationGracePeriodSeconds', 'hostNetwork',
      'hostname', 'dnsPolicy', 'dnsConfig', 'hostAliases', 'shareProcessNamespace', 'securityContext', 'nodeSelector',
      'hostPID', 'hostIPC', 'priorityClassName', 'priority',
    ],
    special: {
      nodeName: nodeNameRule,
      affinity: error(`${V1}: there is one machine; use spec.nodeSelector with machine labels`),
      topologySpreadConstraints: error(`${V1}: there is one machine`),
      preemptionPolicy: warnUnless(scalarIs('PreemptLowerPriority'), CLUSTER, `${V1}: there is no scheduler`),
      runtimeClassName: error(`${V1}: rocklet has one runtime`),
      overhead: error(`${V1}`),
      readinessGates: error(`${V1}: there are no Services`),
      activeDeadlineSeconds: error(`${V1}`),
      resourceClaims: error(`${V1}: dynamic resources need a cluster`),
      schedulingGates: error(`${V1}: there is no scheduler`),
      ephemeralContainers: error(`${V1}: use "rocklet enter" to debug a pod`),
      imagePullSecrets: error(`${V1}: configure registry credentials in the rocklet daemon instead`),
      subdomain: error(`${V1}: there is no cluster DNS`),
      setHostnameAsFQDN: unless(scalarIs(false), `${V1}: there is no cluster DNS`),
      hostUsers: unless(scalarIs(true), `${V1}: user namespaces are not supported yet`),
      schedulerName: warnUnless(scalarIs('default-scheduler'), CLUSTER, `${V1}: there is no scheduler (only "default-scheduler" is accepted)`),
      serviceAccountName: warnUnless(scalarIs('default'), CLUSTER, `${V1}: service accounts need a cluster (only "default" is accepted)`),
      serviceAccount: warnUnless(scalarIs('default'), CLUSTER, `${V1}: service accounts need a cluster (only "default" is accepted)`),
      automountServiceAccountToken: unless(scalarIs(false), `${V1}: there is no API server token to mount`),
      enableServiceLinks: warning(CLUSTER),
      tolerations: warning(CLUSTER),
      os: unless((node) => isEmptyMap(node) || mapHas('name', 'linux')(node), `${V1}: only os.name "linux" is accepted`),
    },
  };
}

const CONTAINER_FIELDS = [
  'name', 'image', 'imagePullPolicy', 'command', 'args', 'workingDir', 'env', 'envFrom', 'ports', 'volumeMounts', 'resources', 'securityContext',
  'tty', 'stdin',
] as const;

const CONTAINER_SPECIAL: Readonly<Record<string, SpecialRule>> = {
  stdinOnce: unless(scalarIs(false), `${V1}: nothing attaches to a pod's stdin on one host`),
  volumeDevices: error(`${V1}: block devices are not supported`),
  resizePolicy: error(`${V1}: edit the file to change resources`),
  restartPolicy: error('container-level restartPolicy is only for init containers (restartPolicy: Always makes a sidecar); use spec.restartPolicy'),
  terminationMessagePath: warning(CLUSTER),
  terminationMessagePolicy: warning(CLUSTER),
};

/** Probes and hooks: app containers only (src/podfile/kube-probes.ts). */
const PROBE_AND_HOOK_FIELDS = ['startupProbe', 'livenessProbe', 'readinessProbe', 'lifecycle'] as const;

export const CONTAINER_SHAPE: ObjectShape = { fields: [...CONTAINER_FIELDS, ...PROBE_AND_HOOK_FIELDS], special: CONTAINER_SPECIAL };

const { restartPolicy: _appRestartPolicy, ...INIT_SPECIAL } = CONTAINER_SPECIAL;

export const INIT_CONTAINER_SHAPE: ObjectShape = {
  fields: [...CONTAINER_FIELDS, 'restartPolicy'],
  special: {
    ...INIT_SPECIAL,
    ...Object.fromEntries(PROBE_AND_HOOK_FIELDS.map((key): [string, SpecialRule] => [key, error(`init containers cannot have ${key === 'lifecycle' ? 'lifecycle hooks' : 'probes'}: they run to completion before the app containers start`)])),
  },
};

export const ENV_SHAPE: ObjectShape = { fields: ['name', 'value', 'valueFrom'] };

export const VALUE_FROM_SHAPE: ObjectShape = {
  fields: ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'],
  special: {
    fileKeyRef: error(`${V1}: put the file's variables in a ConfigMap (a document beside the pod or <config-dir>/configmaps/) and use envFrom`),
  },
};

export const FIELD_REF_SHAPE: ObjectShape = { fields: ['fieldPath', 'apiVersion'] };
export const RESOURCE_FIELD_REF_SHAPE: ObjectShape = { fields: ['containerName', 'resource', 'divisor'] };
export const OBJECT_KEY_REF_SHAPE: ObjectShape = { fields: ['name', 'key', 'optional'] };
export const OBJECT_REF_SHAPE: ObjectShape = { fields: ['name', 'optional'] };
export const ENV_FROM_SHAPE: ObjectShape = { fields: ['configMapRef', 'secretRef', 'prefix'] };

export const PORT_SHAPE: ObjectShape = { fields: ['containerPort', 'hostPort', 'hostIP', 'protocol', 'name'] };

export const VOLUME_MOUNT_SHAPE: ObjectShape = {
  fields: ['name', 'mountPath', 'readOnly', 'subPath', 'subPathExpr'],
  special: {
    mountPropagation: unless(scalarIs('None'), `${V1}: only mountPropagation None is accepted`),
    recursiveReadOnly: unless(scalarIs('Disabled'), `${V1}`),
  },
};

export const RESOURCES_SHAPE: ObjectShape = {
  fields: ['limits', 'requests'],
  special: { claims: error(`${V1}: dynamic resources need a cluster`) },
};

export const CONTAINER_SECURITY_SHAPE: ObjectShape = {
  fields: [
    'runAsUser', 'runAsGroup', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'capabilities', 'seccompProfile', 'privileged',
  ],
  special: {
    procMount: unless(scalarIs('Default'), `${V1}: only procMount Default is accepted`),
    seLinuxOptions: error(`${V1}: SELinux labels are not applied`),
    appArmorProfile: unless(mapHas('type', 'Unconfined'), `${V1}: AppArmor profiles are not applied (only type Unconfined is accepted)`),
    windowsOptions: error(`${V1}: Linux only`),
  },
};

export const POD_SECURITY_SHAPE: ObjectShape = {
  fields: ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'supplementalGroups', 'sysctls', 'seccompProfile', 'fsGroup'],
  special: {
    // rocklet's volumes are made fresh for each pod, so Kubernetes' two policies mean the same.
    fsGroupChangePolicy: unless((node) => scalarIs('Always')(node) || scalarIs('OnRootMismatch')(node), 'must be Always or OnRootMismatch'),
    seLinuxOptions: error(`${V1}: SELinux labels are not applied`),
    seLinuxChangePolicy: error(`${V1}`),
    appArmorProfile: unless(mapHas('type', 'Unconfined'), `${V1}: AppArmor profiles are not applied (only type Unconfined is accepted)`),
    windowsOptions: error(`${V1}: Linux only`),
    supplementalGroupsPolicy: unless(scalarIs('Merge'), `${V1}: only supplementalGroupsPolicy Merge is accepted`),
  },
};

export const CAPABILITIES_SHAPE: ObjectShape = { fields: ['add', 'drop'] };
export const SECCOMP_SHAPE: ObjectShape = { fields: ['type', 'localhostProfile'] };
export const SYSCTL_SHAPE: ObjectShape = { fields: ['name', 'value'] };

const CLUSTER_STORAGE = 'needs a cluster\'s storage; on one host use a hostPath volume of a directory you mount there';
const VOLUME_TYPES_REJECTED: Readonly<Record<string, string>> = {
  persistentVolumeClaim: `a PersistentVolumeClaim ${CLUSTER_STORAGE}`,
  ephemeral: `a generic ephemeral volume ${CLUSTER_STORAGE}, or an emptyDir`,
  csi: `a CSI volume ${CLUSTER_STORAGE}`,
  image: `${V1}: use an init container that copies the files into an emptyDir`,
  gitRepo: `${V1} (deprecated in Kubernetes too): clone in an init container into an emptyDir`,
  ...Object.fromEntries(
    ['nfs', 'iscsi', 'glusterfs', 'rbd', 'cephfs', 'cinder', 'fc', 'flocker', 'flexVolume', 'azureFile', 'azureDisk', 'vsphereVolume',
      'quobyte', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos', 'gcePersistentDisk', 'awsElasticBlockStore'].map(
      (type): [string, string] => [type, `volume type ${type} ${CLUSTER_STORAGE}`],
    ),
  ),
};

export const VOLUME_SHAPE: ObjectShape = {
  fields: ['name', 'hostPath', 'emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected'],
  special: Object.fromEntries(Object.entries(VOLUME_TYPES_REJECTED).map(([type, message]): [string, SpecialRule] => [type, error(message)])),
};

export const CONFIG_MAP_VOLUME_SHAPE: ObjectShape = { fields: ['name', 'items', 'defaultMode', 'optional'] };
export const SECRET_VOLUME_SHAPE: ObjectShape = { fields: ['secretName', 'items', 'defaultMode', 'optional'] };
export const KEY_TO_PATH_SHAPE: ObjectShape = { fields: ['key', 'path', 'mode'] };
export const DOWNWARD_API_VOLUME_SHAPE: ObjectShape = { fields: ['items', 'defaultMode'] };
export const DOWNWARD_API_FILE_SHAPE: ObjectShape = { fields: ['path', 'fieldRef', 'resourceFieldRef', 'mode'] };
export const PROJECTED_VOLUME_SHAPE: ObjectShape = { fields: ['sources', 'defaultMode'] };
export const VOLUME_PROJECTION_SHAPE: ObjectShape = {
  fields: ['configMap', 'secret', 'downwardAPI'],
  special: {
    serviceAccountToken: error(`${V1}: a service-account token is issued by a cluster's API server; put a token file in a Secret under <config-dir>/secrets/ and project that`),
    clusterTrustBundle: error(`${V1}: ClusterTrustBundles are cluster objects; put the CA bundle in a ConfigMap under <config-dir>/configmaps/ and project that`),
  },
};
export const CONFIG_MAP_PROJECTION_SHAPE: ObjectShape = { fields: ['name', 'items', 'optional'] };
export const SECRET_PROJECTION_SHAPE: ObjectShape = { fields: ['name', 'items', 'optional'] };
export const DOWNWARD_API_PROJECTION_SHAPE: ObjectShape = { fields: ['items'] };

export const HOST_PATH_SHAPE: ObjectShape = { fields: ['path', 'type'] };
export const EMPTY_DIR_SHAPE: ObjectShape = { fields: ['medium', 'sizeLimit'] };
export const DNS_CONFIG_SHAPE: ObjectShape = { fields: ['nameservers', 'searches', 'options'] };
export const DNS_OPTION_SHAPE: ObjectShape = { fields: ['name', 'value'] };
export const HOST_ALIAS_SHAPE: ObjectShape = { fields: ['ip', 'hostnames'] };
