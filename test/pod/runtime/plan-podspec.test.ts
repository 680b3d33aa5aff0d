import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PodPlan, ResolvedImage } from '../../../src/pod/index.js';
import { dockerStoreName, planFromPodSpec, podSpecContainers, podSpecImageReference } from '../../../src/pod/runtime/plan-podspec.js';
import type { PodSpec, SpecHash } from '../../../src/podfile/index.js';
import { parsePodFile } from '../../../src/podfile/index.js';
import { hasErrorCode, isErrorCategory } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';
import { image } from './plan-fixtures.js';

function podFile(text: string, name = 'pod.yaml'): { spec: PodSpec; hash: SpecHash } {
  const result = parsePodFile(text, name);
  if (!result.ok) assert.fail(result.errors.map((e) => e.message).join('\n'));
  return { spec: result.spec, hash: result.hash };
}

const WEB = image('docker.io/library/web', {
  exec: ['/bin/httpd', '-f', '-p', '80'], environment: [{ name: 'FROM_IMAGE', value: 'img' }, { name: 'GREETING', value: 'img' }], user: 'www', group: 'www',
  workingDirectory: '/www', mountPoints: [{ name: 'logs', path: '/var/log/web' }],
});

async function planOf(text: string, images: (count: number) => ResolvedImage[], extra: Partial<Parameters<typeof planFromPodSpec>[3]> = {}): Promise<PodPlan> {
  const { spec, hash } = podFile(text);
  return planFromPodSpec(spec, hash, images(podSpecContainers(spec).length), { podUuid: '11111111-2222-4333-8444-555555555555', nodeName: 'node1', ...extra });
}

const all = (count: number): ResolvedImage[] => Array.from({ length: count }, () => WEB);

describe('planFromPodSpec', () => {
  let tmp: TempDir;
  let hostDir: string;
  before(async () => {
    tmp = await makeTempDir('plan-podspec');
    hostDir = path.join(tmp.path, 'shared');
    await mkdir(hostDir);
  });
  after(() => tmp.remove());

  const pod = (body: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: demo\n  annotations:\n    example.com/owner: me\nspec:\n${body}`;

  it('applies Kubernetes command/args over the image exec', async () => {
    const planned = await planOf(pod(`  containers:
  - name: plain
    image: web:1
  - name: args
    image: web:1
    args: ["-p", "8080"]
  - name: command
    image: web:1
    command: ["/bin/sh", "-c"]
    args: ["echo hi"]
  - name: commandonly
    image: web:1
    command: ["/bin/true"]
`), all);
    assert.deepEqual(planned.apps.map((a) => a.args), [['/bin/httpd', '-f', '-p', '80'], ['/bin/httpd', '-p', '8080'], ['/bin/sh', '-c', 'echo hi'], ['/bin/true']]);
    assert.deepEqual(planned.apps.map((a) => [a.workingDir, a.user, a.group]).at(0), ['/www', { kind: 'name', name: 'www' }, { kind: 'name', name: 'www' }]);
  });

  it('puts the container env over the image env, expands $(VAR) and downward-API fields', async () => {
    const planned = await planOf(pod(`  containers:
  - name: web
    image: web:1
    env:
    - {name: GREETING, value: hello}
    - {name: MSG, value: "$(GREETING) from $(POD) $$(LITERAL) $(UNDEFINED)"}
    - name: POD
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: UID
      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
    - name: IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    command: ["/bin/echo", "$(GREETING)", "$(FROM_IMAGE)"]
`), all);
    const [web] = planned.apps;
    assert.deepEqual(web?.env, [
      { name: 'FROM_IMAGE', value: 'img' }, { name: 'GREETING', value: 'hello' }, { name: 'MSG', value: 'hello from $(POD) $(LITERAL) $(UNDEFINED)' },
      { name: 'POD', value: 'demo' }, { name: 'UID', value: '11111111-2222-4333-8444-555555555555' }, { name: 'IP', value: '' }, { name: 'AC_APP_NAME', value: 'web' },
    ]);
    assert.deepEqual(web?.fieldEnv, [{ name: 'IP', fieldPath: 'status.podIP' }]);
    assert.deepEqual(web?.args, ['/bin/echo', 'hello', '$(FROM_IMAGE)']);
    const known = await planOf(pod(`  containers:
  - name: web
    image: web:1
    env:
    - name: IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
`), all, { podIP: '172.16.28.9' });
    assert.deepEqual([known.apps[0]?.env.find((e) => e.name === 'IP')?.value, known.apps[0]?.fieldEnv], ['172.16.28.9', undefined]);
  });

  it('plans volumes (hostPath, emptyDir 0777, Memory), mounts, implicit volumes and ports', async () => {
    const planned = await planOf(pod(`  volumes:
  - name: shared
    hostPath: {path: ${hostDir}}
  - name: made
    hostPath: {path: ${path.join(tmp.path, 'created-later')}, type: DirectoryOrCreate}
  - name: scratch
    emptyDir: {}
  - name: ram
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  containers:
  - name: web
    image: web:1
    ports:
    - {name: http, containerPort: 80, hostPort: 8080}
    - {containerPort: 53, protocol: UDP}
    volumeMounts:
    - {name: shared, mountPath: /shared, readOnly: true}
    - {name: ram, mountPath: /ram}
`), all);
    assert.deepEqual(planned.volumes, [
      { name: 'shared', kind: 'host', source: hostDir, readOnly: false, recursive: true },
      { name: 'made', kind: 'host', source: path.join(tmp.path, 'created-later'), readOnly: false, recursive: true, create: 'Directory' },
      { name: 'scratch', kind: 'empty', medium: 'Disk', mode: 0o777, uid: 0, gid: 0 },
      { name: 'ram', kind: 'empty', medium: 'Memory', mode: 0o777, uid: 0, gid: 0, sizeLimitBytes: 64 * 2 ** 20 },
      { name: 'web-logs', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 },
    ]);
    assert.deepEqual(planned.apps[0]?.mounts, [
      { volume: 'shared', mountPath: '/shared', readOnly: true }, { volume: 'ram', mountPath: '/ram', readOnly: false },
      { volume: 'web-logs', mountPath: '/var/log/web', readOnly: false },
    ]);
    assert.deepEqual(planned.apps[0]?.ports, [
      { name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 8080 }, { name: '53-udp', containerPort: 53, protocol: 'UDP' },
    ]);
  });

  it('refuses a hostPath that must exist and does not', async () => {
    const missing = path.join(tmp.path, 'missing');
    await assert.rejects(planOf(pod(`  volumes:
  - name: gone
    hostPath: {path: ${missing}}
  containers:
  - name: web
    image: web:1
`), all), (error: unknown) => hasErrorCode(error, 'ERR_VOLUME_SOURCE_MISSING') && error.message === `volume "gone": host path "${missing}" does not exist`);
  });

  it('forwards host ports only on the pod network: with hostNetwork the app binds them itself', async () => {
    const ports = `  containers:
  - name: web
    image: web:1
    ports:
    - {containerPort: 9100}
    - {containerPort: 8080, hostPort: 8080}
`;
    const own = podFile(pod(ports));
    const onPodNetwork = await planFromPodSpec(own.spec, own.hash, all(1), { podUuid: 'x' });
    assert.deepEqual(onPodNetwork.apps[0]?.ports.map((p) => [p.containerPort, p.hostPort]), [[9100, undefined], [8080, 8080]]);
    const host = podFile(pod(`  hostNetwork: true\n${ports}`));
    const onHost = await planFromPodSpec(host.spec, host.hash, all(1), { podUuid: 'x' });
    assert.equal(onHost.net, 'host');
    // Kubernetes defaults hostPort to containerPort with hostNetwork: nothing to forward.
    assert.deepEqual(onHost.apps[0]?.ports.map((p) => [p.containerPort, p.hostPort]), [[9100, undefined], [8080, undefined]]);
  });

  it('carries restart policy, grace period, init containers, name, hash, DNS and host aliases', async () => {
    const { spec, hash } = podFile(pod(`  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 7
  hostNetwork: true
  hostAliases:
  - {ip: 10.0.0.1, hostnames: [db]}
  initContainers:
  - name: setup
    image: web:1
  containers:
  - name: web
    image: web:1
`));
    const planned = await planFromPodSpec(spec, hash, all(2), { podUuid: 'x' });
    assert.deepEqual(planned.apps.map((a) => [a.name, a.init, a.restart, a.stopTimeoutSeconds]), [['setup', true, 'OnFailure', 7], ['web', false, 'OnFailure', 7]]);
    assert.deepEqual([planned.podName, planned.specHash, planned.net, planned.hostname, planned.dns.host], ['demo', hash, 'host', 'demo', true]);
    assert.deepEqual(planned.hostAliases, [{ ip: '10.0.0.1', hostnames: ['db'] }]);
    assert.deepEqual(planned.annotations, { 'example.com/owner': 'me' });
    assert.deepEqual(planned.apps[0]?.capabilities.length, 14);
    const overridden = await planFromPodSpec(spec, hash, all(2), { podUuid: 'x', net: 'none', stage1: 'crun' });
    assert.equal(overridden.net, 'none');
    await assert.rejects(planFromPodSpec(spec, hash, all(2), { podUuid: 'x', stage1: 'fly' }), (error: unknown) => hasErrorCode(error, 'ERR_FLY_ONE_APP')
      && error.message === 'stage1 fly runs exactly one app, but the pod has 2 containers');
  });

  it('carries the pod\'s sysctls in file order (Kubernetes securityContext and appc os/unix/sysctl); none: no field', async () => {
    const kube = await planOf(pod(`  securityContext:
    sysctls:
    - {name: net.ipv4.ip_unprivileged_port_start, value: "0"}
    - {name: kernel.shm_rmid_forced, value: "1"}
    - {name: fs.mqueue.msg_max, value: "20"}
  containers:
  - name: web
    image: web:1
  - name: side
    image: web:1
`), all);
    assert.deepEqual(Object.entries(kube.sysctls ?? {}), [['net.ipv4.ip_unprivileged_port_start', '0'], ['kernel.shm_rmid_forced', '1'], ['fs.mqueue.msg_max', '20']]);
    const appc = podFile(JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{ name: 'web', image: { id: WEB.record.id } }],
      isolators: [{ name: 'os/unix/sysctl', value: { 'kernel.msgmax': '16384', 'net.core.somaxconn': '512' } }],
    }), 'appcpod.json');
    const fromAppc = await planFromPodSpec(appc.spec, appc.hash, all(1), { podUuid: 'x' });
    assert.deepEqual(fromAppc.sysctls, { 'kernel.msgmax': '16384', 'net.core.somaxconn': '512' });
    const none = await planOf(pod('  containers:\n  - name: web\n    image: web:1\n'), all);
    assert.equal('sysctls' in none, false, 'a pod without sysctls plans none');
  });

  it('refuses sysctls that would land in the host\'s namespaces: any with stage1 fly, net.* with --net=host', async () => {
    const { spec, hash } = podFile(pod(`  securityContext:
    sysctls:
    - {name: kernel.shm_rmid_forced, value: "1"}
    - {name: net.core.somaxconn, value: "512"}
  containers:
  - name: web
    image: web:1
`));
    await assert.rejects(planFromPodSpec(spec, hash, all(1), { podUuid: 'x', stage1: 'fly' }), (error: unknown) => hasErrorCode(error, 'ERR_SYSCTL_REFUSED')
      && error.message === 'sysctl "kernel.shm_rmid_forced" cannot be set with stage1 fly: its app runs in the host\'s namespaces, so it would change the host'
      && /--stage1=crun/.test(error.hint ?? ''));
    await assert.rejects(planFromPodSpec(spec, hash, all(1), { podUuid: 'x', net: 'host' }), (error: unknown) => hasErrorCode(error, 'ERR_SYSCTL_REFUSED')
      && error.message === 'sysctl "net.core.somaxconn" would change the host\'s network settings (the pod uses the host network)');
    const ipcOnly = podFile(pod(`  hostNetwork: true
  securityContext:
    sysctls:
    - {name: kernel.shm_rmid_forced, value: "1"}
  containers:
  - name: web
    image: web:1
`));
    const hostNet = await planFromPodSpec(ipcOnly.spec, ipcOnly.hash, all(1), { podUuid: 'x' });
    assert.deepEqual([hostNet.net, hostNet.sysctls], ['host', { 'kernel.shm_rmid_forced': '1' }], 'IPC sysctls stay in the pod\'s own IPC namespace');
  });

  it('prefills the implicit volumes of a Docker-style image only; declared volumes stay empty', async () => {
    const docker = image('docker.io/library/web', { exec: ['/bin/httpd'], mountPoints: [{ name: 'logs', path: '/var/log/web' }, { name: 'data', path: '/data' }] },
      '1', [{ name: 'appc.io/docker/entrypoint', value: '["/bin/httpd"]' }]);
    const planned = await planOf(pod(`  volumes:
  - name: data
    emptyDir: {}
  containers:
  - name: docker
    image: web:1
  - name: aci
    image: web:1
`), () => [docker, WEB]);
    assert.deepEqual(planned.volumes, [
      { name: 'data', kind: 'empty', medium: 'Disk', mode: 0o777, uid: 0, gid: 0 },
      { name: 'docker-logs', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0, prefillFrom: { app: 'docker', path: '/var/log/web' } },
      { name: 'aci-logs', kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0 },
    ]);
    assert.deepEqual(planned.apps[0]?.mounts, [{ volume: 'docker-logs', mountPath: '/var/log/web', readOnly: false }, { volume: 'data', mountPath: '/data', readOnly: false }]);
  });

  it('refuses shareProcessNamespace: true (each app has its own PID namespace), naming the field and rocklet enter', async () => {
    const { spec, hash } = podFile(pod(`  shareProcessNamespace: true
  containers:
  - name: web
    image: web:1
`));
    await assert.rejects(planFromPodSpec(spec, hash, all(1), { podUuid: 'x' }), (error: unknown) => hasErrorCode(error, 'ERR_POD_UNSUPPORTED')
      && isErrorCategory(error, 'invalid-argument')
      && error.message === 'pod "demo": spec.shareProcessNamespace: true is not supported: rocklet runs each app in its own PID namespace'
      && /rocklet enter --app=APP/.test(error.hint ?? ''));
    const off = podFile(pod('  shareProcessNamespace: false\n  containers:\n  - name: web\n    image: web:1\n'));
    assert.equal((await planFromPodSpec(off.spec, off.hash, all(1), { podUuid: 'x' })).apps.length, 1);
  });

  it('passes Docker images as docker:// references, names the store lookup, and passes appc references', () => {
    const { spec } = podFile(pod(`  containers:
  - name: web
    image: nginx:1.27
`));
    const [container] = spec.containers;
    assert.ok(container !== undefined);
    assert.equal(podSpecImageReference(container), 'docker://docker.io/library/nginx:1.27');
    if (container.image.kind === 'docker') assert.deepEqual(dockerStoreName(container.image.reference), { name: 'docker.io/library/nginx', labels: [{ name: 'version', value: '1.27' }] });
    const appc = podFile(JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{ name: 'web', image: { name: 'example.com/web', labels: [{ name: 'version', value: '2.0' }] } }, { name: 'db', image: { id: WEB.record.id } }],
    }), 'appcpod.json');
    assert.deepEqual(appc.spec.containers.map(podSpecImageReference), ['example.com/web,version=2.0', WEB.record.id]);
  });
});
