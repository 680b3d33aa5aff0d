/**
 * Test helper: renders a PodSpec that came from a Kubernetes file back into a fully written-out
 * Kubernetes Pod object. Parsing that object again must give the same PodSpec, which proves
 * the normalised form keeps every field (the round trip of the "Done when").
 */
import type { ContainerSpec, EnvVar, PodSpec, VolumeSpec } from '../../src/podfile/index.js';
import { formatBytes, formatMillicores } from '../../src/podfile/index.js';

type Json = Record<string, unknown>;

function container(spec: ContainerSpec): Json {
  if (spec.image.kind !== 'docker') throw new Error('only Kubernetes specs can be rendered');
  const security = spec.security;
  const id = (ref: typeof security.user): number | undefined => (ref?.kind === 'id' ? ref.id : undefined);
  const resources: Json = {};
  const limits: Json = {};
  const requests: Json = {};
  if (spec.resources.cpu !== undefined) {
    requests['cpu'] = formatMillicores(spec.resources.cpu.requestMillicores);
    if (spec.resources.cpu.limitMillicores !== undefined) limits['cpu'] = formatMillicores(spec.resources.cpu.limitMillicores);
  }
  if (spec.resources.memory !== undefined) {
    requests['memory'] = formatBytes(spec.resources.memory.requestBytes);
    if (spec.resources.memory.limitBytes !== undefined) limits['memory'] = formatBytes(spec.resources.memory.limitBytes);
  }
  if (Object.keys(limits).length > 0) resources['limits'] = limits;
  if (Object.keys(requests).length > 0) resources['requests'] = requests;
  return {
    name: spec.name,
    image: spec.image.reference.canonical,
    imagePullPolicy: spec.imagePullPolicy,
    ...(spec.command === undefined ? {} : { command: spec.command }),
    ...(spec.args === undefined ? {} : { args: spec.args }),
    ...(spec.workingDir === undefined ? {} : { workingDir: spec.workingDir }),
    env: spec.env.map((v) => ({ name: v.name, ...envSource(v) })),
    ports: spec.ports,
    volumeMounts: spec.volumeMounts,
    resources,
    securityContext: {
      ...(id(security.user) === undefined ? {} : { runAsUser: id(security.user) }),
      ...(id(security.group) === undefined ? {} : { runAsGroup: id(security.group) }),
      runAsNonRoot: security.runAsNonRoot,
      readOnlyRootFilesystem: security.readOnlyRootFilesystem,
      allowPrivilegeEscalation: !security.noNewPrivileges,
      capabilities: { drop: ['ALL'], add: security.capabilities.map((c) => c.slice('CAP_'.length)) },
      seccompProfile: { type: security.seccomp.kind },
    },
  };
}

function envSource(v: EnvVar): Json {
  switch (v.kind) {
    case 'value':
      return { value: v.value };
    case 'field':
      return { valueFrom: { fieldRef: { fieldPath: v.key === undefined ? v.fieldPath : `${v.fieldPath}['${v.key}']` } } };
    case 'resource':
      return { valueFrom: { resourceFieldRef: { containerName: v.ref.container, resource: v.ref.resource, divisor: v.ref.resource.endsWith('cpu') ? `${v.ref.divisor}m` : `${v.ref.divisor}` } } };
    case 'objectKey':
      return { valueFrom: { [v.object === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef']: { name: v.objectName, key: v.key, optional: v.optional } } };
  }
}

function volume(spec: VolumeSpec): Json {
  const source = spec.source;
  if (source.kind === 'hostPath') return { name: spec.name, hostPath: { path: source.path, type: source.type } };
  if (source.kind === 'object') {
    const items = source.items === undefined ? {} : { items: source.items.map((item) => ({ ...item })) };
    return source.object === 'Secret'
      ? { name: spec.name, secret: { secretName: source.objectName, defaultMode: source.defaultMode, optional: source.optional, ...items } }
      : { name: spec.name, configMap: { name: source.objectName, defaultMode: source.defaultMode, optional: source.optional, ...items } };
  }
  if (source.kind === 'downwardAPI') return { name: spec.name, downwardAPI: { defaultMode: source.defaultMode, items: source.items.map((item) => ({ ...item })) } };
  if (source.kind === 'projected') {
    const sources = source.sources.map((s): Json => {
      if (s.kind === 'downwardAPI') return { downwardAPI: { items: s.items.map((item) => ({ ...item })) } };
      const body = { name: s.objectName, optional: s.optional, ...(s.items === undefined ? {} : { items: s.items.map((item) => ({ ...item })) }) };
      return s.object === 'Secret' ? { secret: body } : { configMap: body };
    });
    return { name: spec.name, projected: { defaultMode: source.defaultMode, sources } };
  }
  return {
    name: spec.name,
    emptyDir: { medium: source.medium === 'Memory' ? 'Memory' : '', ...(source.sizeLimitBytes === undefined ? {} : { sizeLimit: formatBytes(source.sizeLimitBytes) }) },
  };
}

/** The spec as a Kubernetes Pod object with every default written out. */
export function renderKubernetesPod(spec: PodSpec): Json {
  const groups = [...spec.initContainers, ...spec.containers][0]?.security.supplementalGroups ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels, annotations: spec.annotations },
    spec: {
      nodeSelector: spec.nodeSelector,
      initContainers: spec.initContainers.map(container),
      containers: spec.containers.map(container),
      volumes: spec.volumes.map(volume),
      restartPolicy: spec.restartPolicy,
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      hostNetwork: spec.hostNetwork,
      hostname: spec.hostname,
      dnsPolicy: spec.dns.policy,
      dnsConfig: { nameservers: spec.dns.nameservers, searches: spec.dns.searches, options: spec.dns.options },
      hostAliases: spec.hostAliases,
      shareProcessNamespace: spec.shareProcessNamespace,
      securityContext: { supplementalGroups: groups, sysctls: spec.sysctls },
    },
  };
}
