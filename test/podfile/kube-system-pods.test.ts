import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePodFile, specHash } from '../../src/podfile/index.js';
import { pod, podSpec, valid } from './helpers.js';

describe('Kubernetes pod: system pods, terminals and sidecars (issue 14 items 5 and 6)', () => {
  it('priorityClassName: the two system classes, with their priority values', () => {
    const node = podSpec({ spec: '  priorityClassName: system-node-critical' });
    assert.equal(node.priorityClassName, 'system-node-critical');
    assert.equal(node.priority, 2000001000);
    const cluster = podSpec({ spec: '  priorityClassName: system-cluster-critical\n  priority: 2000000000' });
    assert.equal(cluster.priorityClassName, 'system-cluster-critical');
    assert.equal(cluster.priority, 2000000000);
    const plain = podSpec({ spec: '  priority: 0' });
    assert.equal(plain.priorityClassName, undefined);
    assert.equal(plain.priority, undefined);
  });

  it('privileged: every capability, no seccomp filter unless one is named', () => {
    const spec = podSpec({ container: '      securityContext: {privileged: true}' });
    const security = spec.containers[0]?.security;
    assert.equal(security?.privileged, true);
    assert.ok(security?.capabilities.includes('CAP_SYS_ADMIN' as never));
    assert.ok((security?.capabilities.length ?? 0) >= 40);
    assert.deepEqual(security?.seccomp, { kind: 'Unconfined' });
    const filtered = podSpec({ container: '      securityContext: {privileged: true, seccompProfile: {type: RuntimeDefault}}' });
    assert.deepEqual(filtered.containers[0]?.security.seccomp, { kind: 'RuntimeDefault' });
  });

  it('hostPID, hostIPC, fsGroup and seccomp Localhost are fields of the spec', () => {
    const spec = podSpec({
      spec: '  hostPID: true\n  hostIPC: true\n  securityContext: {fsGroup: 2000, supplementalGroups: [5], seccompProfile: {type: Localhost, localhostProfile: profiles/deny-mkdir.json}}',
    });
    assert.equal(spec.hostPID, true);
    assert.equal(spec.hostIPC, true);
    assert.equal(spec.fsGroup, 2000);
    assert.deepEqual(spec.containers[0]?.security.supplementalGroups, [5, 2000]);
    assert.deepEqual(spec.containers[0]?.security.seccomp, { kind: 'Localhost', profile: 'profiles/deny-mkdir.json' });
  });

  it('subPath and subPathExpr on volume mounts; tty and stdin; an init container with restartPolicy Always is a sidecar', () => {
    const text = pod({
      spec: '  volumes: [{name: v, emptyDir: {}}]\n  initContainers:\n    - name: side\n      image: busybox:1.36\n      restartPolicy: Always',
      container: '      tty: true\n      stdin: true\n      volumeMounts:\n        - {name: v, mountPath: /a, subPath: one/two}\n        - {name: v, mountPath: /b, subPathExpr: $(POD)}',
    });
    const spec = valid(text).spec;
    const app = spec.containers[0];
    assert.deepEqual(app?.volumeMounts.map((m) => [m.subPath, m.subPathExpr]), [['one/two', undefined], [undefined, '$(POD)']]);
    assert.equal(app?.tty, true);
    assert.equal(app?.stdin, true);
    assert.equal(spec.initContainers[0]?.sidecar, true);
  });

  it('a readOnly hostPath of rocklet state is allowed; the guard follows the caller\'s directories', () => {
    valid(pod({ spec: '  volumes: [{name: v, hostPath: {path: /}}]', container: '      volumeMounts: [{name: v, mountPath: /host, readOnly: true}]' }));
    const text = pod({ spec: '  volumes: [{name: v, hostPath: {path: /srv/state}}]', container: '      volumeMounts: [{name: v, mountPath: /x}]' });
    assert.equal(parsePodFile(text, 'pod.yaml').ok, true);
    const guarded = parsePodFile(text, 'pod.yaml', { protectedHostPaths: [{ path: '/srv/state/rocklet', what: "rocklet's data directory" }] });
    assert.equal(guarded.ok, false);
    assert.match(guarded.ok ? '' : (guarded.errors[0]?.message ?? ''), /write access to rocklet's data directory \(\/srv\/state\/rocklet\)/);
  });

  it('new fields left at their defaults do not change the spec hash of existing files', () => {
    const plain = valid(pod());
    const explicit = valid(pod({ spec: '  hostPID: false\n  hostIPC: false', container: '      tty: false\n      stdin: false\n      securityContext: {privileged: false}' }));
    assert.equal(specHash(explicit.spec), specHash(plain.spec));
  });
});

describe('appc PodManifest: the same hostPath guard', () => {
  const manifest = (readOnly: boolean): string => JSON.stringify({
    acKind: 'PodManifest', acVersion: '0.8.11',
    apps: [{ name: 'a', image: { name: 'example.com/a' } }],
    volumes: [{ name: 'state', kind: 'host', source: '/var/lib/rocklet', readOnly }],
  });
  it('refuses a writable host volume of rocklet state and accepts a read-only one', () => {
    const writable = parsePodFile(manifest(false), 'web.json');
    assert.equal(writable.ok, false);
    assert.match(writable.ok ? '' : (writable.errors[0]?.message ?? ''), /host volume \/var\/lib\/rocklet would give the pod's apps write access to rocklet's data directory/);
    assert.equal(parsePodFile(manifest(true), 'web.json').ok, true);
  });
});
