import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appcManifestFor, dockerCommand, mergeCommand, ociStoreName, splitDockerUser, volumeName } from '../../../../src/image/format/oci/index.js';
import { validateImageManifest } from '../../../../src/image/index.js';

const ORIGIN = { domain: '127.0.0.1:5000', path: 'team/app', tag: 'v1', manifestDigest: `sha256:${'a'.repeat(64)}` };

describe('format/oci image config → app', () => {
  it('merges Entrypoint/Cmd with command/args by Kubernetes\' four rules', () => {
    const image = { entrypoint: ['/entry', '-x'], cmd: ['serve', '--port=80'] };
    assert.deepEqual(mergeCommand(image, {}), ['/entry', '-x', 'serve', '--port=80'], 'neither: Entrypoint + Cmd');
    assert.deepEqual(mergeCommand(image, { command: ['/bin/sh'] }), ['/bin/sh'], 'command only: the Cmd is dropped');
    assert.deepEqual(mergeCommand(image, { args: ['check'] }), ['/entry', '-x', 'check'], 'args only: Entrypoint + args');
    assert.deepEqual(mergeCommand(image, { command: ['/bin/sh'], args: ['-c', 'true'] }), ['/bin/sh', '-c', 'true'], 'both');
    assert.deepEqual(mergeCommand({ entrypoint: [], cmd: ['sh'] }, { args: ['-c', 'id'] }), ['-c', 'id'], 'no Entrypoint: args replace the Cmd whole');
    assert.deepEqual(mergeCommand(image, { args: [] }), ['/entry', '-x'], 'empty args still replace the Cmd');
  });

  it('turns a config into a valid appc manifest: name, labels, exec, env, user, ports, volumes', () => {
    const raw = appcManifestFor(ORIGIN, {
      os: 'linux', architecture: 'arm64', entrypoint: ['/entry'], cmd: ['serve'], env: ['PATH=/bin', 'A=1=2', 'PATH=/other', 'EMPTY'],
      workingDir: '/srv', user: 'www:web', exposedPorts: ['80/tcp', '53/udp', 'nonsense'], volumes: ['/data', '/var/lib/db', 'relative'],
    });
    const validation = validateImageManifest(raw);
    assert.ok(validation.ok, JSON.stringify(validation));
    const { manifest } = validation;
    assert.equal(manifest.name, '127.0.0.1-5000/team/app');
    assert.deepEqual(manifest.labels, [{ name: 'version', value: 'v1' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'aarch64' }]);
    assert.deepEqual(manifest.app?.exec, ['/entry', 'serve']);
    assert.deepEqual(manifest.app?.environment, [{ name: 'PATH', value: '/bin' }, { name: 'A', value: '1=2' }, { name: 'EMPTY', value: '' }], 'first wins, like Docker');
    assert.deepEqual([manifest.app?.user, manifest.app?.group, manifest.app?.workingDirectory], ['www', 'web', '/srv']);
    assert.deepEqual(manifest.app?.ports.map((port) => [port.name, port.protocol, port.port]), [['80-tcp', 'tcp', 80], ['53-udp', 'udp', 53]]);
    assert.deepEqual(manifest.app?.mountPoints.map((point) => [point.name, point.path]), [['volume-data', '/data'], ['volume-var-lib-db', '/var/lib/db']]);
    assert.deepEqual(dockerCommand(manifest.annotations), { entrypoint: ['/entry'], cmd: ['serve'] });
  });

  it('keeps an empty config runnable-by-override: no exec, root, working dir /', () => {
    const validation = validateImageManifest(appcManifestFor({ ...ORIGIN, tag: undefined } as never, { os: 'linux', architecture: 'amd64' }));
    assert.ok(validation.ok);
    assert.deepEqual(validation.manifest.app?.exec, []);
    assert.deepEqual([validation.manifest.app?.user, validation.manifest.app?.group, validation.manifest.app?.workingDirectory], ['0', '0', '/']);
    assert.deepEqual(dockerCommand(validation.manifest.annotations), { entrypoint: [], cmd: [] });
    assert.equal(dockerCommand([]), undefined, 'an appc image has no Docker command');
  });

  it('splits Docker users; a user without a group takes its primary group (left empty)', () => {
    assert.deepEqual(splitDockerUser(undefined), { user: '0', group: '0' });
    assert.deepEqual(splitDockerUser('nobody'), { user: 'nobody', group: '' });
    assert.deepEqual(splitDockerUser('1000:1000'), { user: '1000', group: '1000' });
    assert.deepEqual(splitDockerUser(':users'), { user: '0', group: 'users' });
  });

  it('names stores and volumes with AC identifiers', () => {
    assert.equal(ociStoreName('docker.io', 'library/busybox'), 'docker.io/library/busybox');
    assert.equal(ociStoreName('[::1]:5000', 'x'), '1-5000/x');
    assert.equal(ociStoreName('localhost:5000', 'a__b/c'), 'localhost-5000/a-b/c');
    assert.equal(volumeName('/'), 'volume-root');
    assert.equal(volumeName('/Var/Cache_Dir/'), 'volume-var-cache-dir');
  });
});
