import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_CAPABILITIES } from '../../src/podfile/index.js';
import { FIXTURES, pod, podSpec, valid } from './helpers.js';

const full = valid(readFileSync(`${FIXTURES}valid/full.yaml`, 'utf8'), 'full.yaml').spec;
const [main, sidecar] = full.containers;
const [init] = full.initContainers;

describe('Kubernetes pod: defaults', () => {
  const spec = podSpec();
  const [app] = spec.containers;

  it('fills Kubernetes defaults', () => {
    assert.equal(spec.format, 'kubernetes');
    assert.equal(spec.namespace, 'default');
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.hostNetwork, false);
    assert.equal(spec.hostname, 'web');
    assert.deepEqual(spec.dns, { policy: 'Default', nameservers: [], searches: [], options: [] });
    assert.equal(spec.shareProcessNamespace, false);
    assert.deepEqual([spec.labels, spec.annotations, spec.nodeSelector, spec.volumes, spec.initContainers], [{}, {}, {}, [], []]);
    assert.deepEqual(spec.insecureOptions, []);
  });

  it('fills container defaults: pull policy from the tag, default capabilities, RuntimeDefault seccomp', () => {
    assert.equal(app?.imagePullPolicy, 'IfNotPresent');
    assert.equal(podSpec({ image: 'nginx' }).containers[0]?.imagePullPolicy, 'Always');
    assert.equal(podSpec({ image: 'nginx:latest' }).containers[0]?.imagePullPolicy, 'Always');
    assert.equal(podSpec({ image: `nginx@sha256:${'b'.repeat(64)}` }).containers[0]?.imagePullPolicy, 'IfNotPresent');
    assert.equal(podSpec({ image: `nginx:latest@sha256:${'b'.repeat(64)}` }).containers[0]?.imagePullPolicy, 'IfNotPresent', 'a digest pins the image even with :latest');
    assert.equal(podSpec({ image: 'nginx:latest', container: '      imagePullPolicy: Never' }).containers[0]?.imagePullPolicy, 'Never', 'an explicit policy wins');
    assert.equal(app?.command, undefined);
    assert.equal(app?.args, undefined);
    assert.equal(app?.workingDir, undefined);
    assert.deepEqual(app?.resources, {});
    assert.deepEqual(app?.security, {
      supplementalGroups: [],
      runAsNonRoot: false,
      readOnlyRootFilesystem: false,
      noNewPrivileges: false,
      capabilities: [...DEFAULT_CAPABILITIES].sort(),
      seccomp: { kind: 'RuntimeDefault' },
    });
  });
});

describe('Kubernetes pod: every accepted field (test/fixtures/podfile/valid/full.yaml)', () => {
  it('metadata: name, namespace, labels, annotations and rocklet.io settings', () => {
    assert.equal(full.name, 'full');
    assert.equal(full.namespace, 'tools');
    assert.deepEqual(full.labels, { 'app.kubernetes.io/name': 'full', tier: 'backend' });
    assert.equal(full.annotations['example.com/owner'], 'team-a');
    assert.deepEqual(full.insecureOptions, ['image']);
    assert.equal(main?.security.oomScoreAdj, 500);
  });

  it('pod fields: nodeSelector, restartPolicy, grace period, hostname, DNS, hostAliases, shareProcessNamespace, sysctls', () => {
    assert.deepEqual(full.nodeSelector, { disktype: 'ssd' });
    assert.equal(full.restartPolicy, 'Never');
    assert.equal(full.terminationGracePeriodSeconds, 5);
    assert.equal(full.hostname, 'full-host');
    assert.deepEqual(full.dns, {
      policy: 'None',
      nameservers: ['1.1.1.1', '2606:4700:4700::1111'],
      searches: ['example.com', 'corp.example.com'],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    });
    assert.deepEqual(full.hostAliases, [{ ip: '10.0.0.5', hostnames: ['db', 'db.internal'] }]);
    assert.equal(full.shareProcessNamespace, true);
    assert.deepEqual(full.sysctls, [
      { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' },
      { name: 'kernel.shmmax', value: '68719476736' },
    ]);
  });

  it('image: parsed Docker reference with registry port, tag and digest', () => {
    assert.deepEqual(main?.image, {
      kind: 'docker',
      reference: {
        domain: 'registry.example.com:5000',
        path: 'team/main',
        tag: '2.1.0',
        digest: `sha256:${'0123456789abcdef'.repeat(4)}`,
        canonical: `registry.example.com:5000/team/main:2.1.0@sha256:${'0123456789abcdef'.repeat(4)}`,
      },
    });
    assert.equal(main?.imagePullPolicy, 'Always');
    assert.equal(init?.imagePullPolicy, 'Never');
  });

  it('command, args (unexpanded), workingDir', () => {
    assert.deepEqual(main?.command, ['/bin/main']);
    assert.deepEqual(main?.args, ['--listen=:$(PORT)', '--name=$(POD_NAME)', '$$(literal)']);
    assert.equal(main?.workingDir, '/work');
    assert.deepEqual(init?.command, ['sh', '-c']);
  });

  it('env: values (absent value = ""), every supported fieldRef, in file order', () => {
    assert.deepEqual(main?.env, [
      { kind: 'value', name: 'PORT', value: '8080' },
      { kind: 'field', name: 'POD_NAME', fieldPath: 'metadata.name' },
      { kind: 'field', name: 'POD_NAMESPACE', fieldPath: 'metadata.namespace' },
      { kind: 'field', name: 'POD_UID', fieldPath: 'metadata.uid' },
      { kind: 'field', name: 'NODE_NAME', fieldPath: 'spec.nodeName' },
      { kind: 'field', name: 'HOST_IP', fieldPath: 'status.hostIP' },
      { kind: 'field', name: 'POD_IP', fieldPath: 'status.podIP' },
      { kind: 'value', name: 'EMPTY', value: '' },
      { kind: 'value', name: 'URL', value: 'http://$(POD_NAME):$(PORT)/' },
    ]);
  });

  it('ports: names, host ports, host IP, protocols (TCP default)', () => {
    assert.deepEqual(main?.ports, [
      { name: 'http', containerPort: 8080, protocol: 'TCP', hostPort: 18080, hostIP: '127.0.0.1' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      { name: 'dns', containerPort: 53, protocol: 'UDP', hostPort: 5353 },
    ]);
  });

  it('volumeMounts and volumes: hostPath (normalised path, type), emptyDir (0777, medium, sizeLimit)', () => {
    assert.deepEqual(main?.volumeMounts, [
      { name: 'work', mountPath: '/work', readOnly: false },
      { name: 'config', mountPath: '/etc/main/config.yaml', readOnly: true },
      { name: 'cache', mountPath: '/var/cache/main', readOnly: false },
    ]);
    assert.deepEqual(full.volumes, [
      { name: 'work', source: { kind: 'emptyDir', medium: 'Disk', mode: 0o777, uid: 0, gid: 0 } },
      { name: 'cache', source: { kind: 'emptyDir', medium: 'Memory', sizeLimitBytes: 128 * 2 ** 20, mode: 0o777, uid: 0, gid: 0 } },
      { name: 'seed', source: { kind: 'hostPath', path: '/srv/seed', type: '', recursive: true } },
      { name: 'config', source: { kind: 'hostPath', path: '/etc/full/config.yaml', type: 'FileOrCreate', recursive: true } },
    ]);
  });

  it('resources: millicores and bytes; requests default to limits per resource', () => {
    assert.deepEqual(main?.resources, {
      cpu: { requestMillicores: 250, limitMillicores: 1500 },
      memory: { requestBytes: 256_000_000, limitBytes: 2 ** 30 },
    });
    assert.deepEqual(sidecar?.resources, { memory: { requestBytes: 64 * 2 ** 20, limitBytes: 64 * 2 ** 20 } });
    assert.deepEqual(podSpec({ container: '      resources:\n        requests: {cpu: 100m}' }).containers[0]?.resources, {
      cpu: { requestMillicores: 100 },
    });
    assert.deepEqual(podSpec({ container: '      resources:\n        limits: {cpu: 2, memory: 1e8}' }).containers[0]?.resources, {
      cpu: { requestMillicores: 2000, limitMillicores: 2000 },
      memory: { requestBytes: 1e8, limitBytes: 1e8 },
    });
  });

  it('securityContext: container values win over pod values; capabilities become the effective set', () => {
    assert.deepEqual(main?.security, {
      user: { kind: 'id', id: 2001 },
      group: { kind: 'id', id: 3000 },
      supplementalGroups: [4000, 4001],
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      noNewPrivileges: true,
      capabilities: ['CAP_NET_BIND_SERVICE'],
      seccomp: { kind: 'RuntimeDefault' },
      oomScoreAdj: 500,
    });
    assert.deepEqual(init?.security.user, { kind: 'id', id: 2000 });
    assert.deepEqual(init?.security.seccomp, { kind: 'Unconfined' });
  });

  it('capabilities: add/drop over the default set, drop [ALL] then add', () => {
    const caps = (add: string, drop: string): readonly string[] =>
      podSpec({ container: `      securityContext:\n        capabilities: {add: [${add}], drop: [${drop}]}` }).containers[0]?.security.capabilities ?? [];
    assert.ok(caps('SYS_PTRACE', '').includes('CAP_SYS_PTRACE'));
    assert.equal(caps('SYS_PTRACE', '').length, 15);
    assert.ok(!caps('', 'NET_RAW').includes('CAP_NET_RAW'));
    assert.deepEqual(caps('CHOWN', 'ALL'), ['CAP_CHOWN']);
    assert.deepEqual(caps('', 'ALL'), []);
    assert.ok(!caps('SYS_ADMIN', 'SYS_ADMIN').includes('CAP_SYS_ADMIN'), 'individual drops apply after adds');
  });

  it('hostNetwork: a hostPort defaults to the containerPort', () => {
    const spec = podSpec({ spec: '  hostNetwork: true', container: '      ports:\n        - containerPort: 9100' });
    assert.equal(spec.hostNetwork, true);
    assert.deepEqual(spec.containers[0]?.ports, [{ containerPort: 9100, protocol: 'TCP', hostPort: 9100 }]);
  });

  it('accepts values that mean the default for fields rocklet does not otherwise support', () => {
    const spec = valid(
      pod({
        spec: '  hostPID: false\n  hostIPC: false\n  hostUsers: true\n  automountServiceAccountToken: false\n  setHostnameAsFQDN: false\n  os: {name: linux}',
        container: '      stdin: false\n      tty: false\n      securityContext:\n        privileged: false\n        procMount: Default\n        appArmorProfile: {type: Unconfined}\n      volumeMounts: []',
      }),
    );
    assert.equal(spec.warnings.length, 0);
  });

  it('warns about cluster-only fields and ignores them', () => {
    const result = valid(
      pod({
        spec: '  nodeName: node-1\n  schedulerName: default-scheduler\n  serviceAccountName: default\n  priority: 0\n  tolerations: []\n  enableServiceLinks: true',
        container: '      terminationMessagePath: /dev/termination-log\n      terminationMessagePolicy: File',
        metadata: '  uid: 1234\n  resourceVersion: "5"\n  generation: 2\n  creationTimestamp: "2024-01-01T00:00:00Z"\n  managedFields: []\n  selfLink: /x',
        top: 'status: {phase: Running}',
      }),
    );
    const paths = result.warnings.map((w) => w.path).sort();
    assert.deepEqual(paths, [
      'metadata.creationTimestamp', 'metadata.generation', 'metadata.managedFields', 'metadata.resourceVersion', 'metadata.selfLink',
      'metadata.uid', 'spec.containers[0].terminationMessagePath',
      'spec.containers[0].terminationMessagePolicy', 'spec.enableServiceLinks', 'spec.nodeName',
      'spec.schedulerName', 'spec.serviceAccountName', 'spec.tolerations', 'status',
    ]);
    assert.ok(result.warnings.every((w) => w.severity === 'warning' && w.line > 0));
  });

  it('YAML null means absent, as in Kubernetes', () => {
    const spec = podSpec({ spec: '  volumes:\n  initContainers: ~', container: '      args:\n      env: null' });
    assert.equal(spec.containers[0]?.args, undefined);
    assert.deepEqual(spec.initContainers, []);
  });
});
