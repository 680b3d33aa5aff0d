import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_CAPABILITIES } from '../../src/podfile/index.js';
import { FIXTURES, hasError, invalid, valid } from './helpers.js';

type Json = Record<string, unknown>;

/** A PodManifest with one app `a`; `app` replaces the app object, `extra` adds top-level keys. */
function manifest(options: { app?: Json; entry?: Json; extra?: Json } = {}): string {
  const entry = { name: 'a', image: { name: 'example.com/a' }, ...(options.app === undefined ? {} : { app: options.app }), ...options.entry };
  return JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', apps: [entry], ...options.extra }, null, 2);
}

const APP: Json = { exec: ['/bin/a'], user: '0', group: '0' };

function app(overrides: Json): Json {
  return { ...APP, ...overrides };
}

function rejectsAppc(text: string, path: string, message: RegExp): void {
  hasError(invalid(text, 'pod.json'), path, message);
}

describe('appc PodManifest → PodSpec', () => {
  it('maps the redis example: name from the file, image by name and labels, app, isolators, volume, pod port', () => {
    const result = valid(readFileSync(`${FIXTURES}appc/redis.json`, 'utf8'), '/etc/pods/redis.json');
    const spec = result.spec;
    assert.equal(spec.format, 'appc');
    assert.equal(spec.name, 'redis');
    assert.equal(spec.namespace, 'default');
    assert.equal(spec.hostname, 'redis');
    const [redis] = spec.containers;
    assert.deepEqual(redis?.image, { kind: 'appc', name: 'example.com/redis', labels: { version: '7.2', os: 'linux', arch: 'amd64' } });
    assert.deepEqual(redis?.command, ['/usr/bin/redis-server', '--port', '6379']);
    assert.equal(redis?.args, undefined);
    assert.equal(redis?.workingDir, '/data');
    assert.deepEqual(redis?.env, [{ kind: 'value', name: 'REDIS_ARGS', value: '--save 60 1' }]);
    assert.deepEqual(redis?.ports, [{ name: 'redis', containerPort: 6379, protocol: 'TCP', hostPort: 6379, hostIP: '127.0.0.1' }]);
    assert.deepEqual(redis?.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: false }]);
    assert.deepEqual(redis?.resources, {
      memory: { requestBytes: 256 * 2 ** 20, limitBytes: 256 * 2 ** 20 },
      cpu: { requestMillicores: 250, limitMillicores: 1000 },
    });
    assert.deepEqual(redis?.security.user, { kind: 'id', id: 999 });
    assert.equal(redis?.security.noNewPrivileges, true);
    assert.deepEqual(spec.volumes, [{ name: 'data', source: { kind: 'emptyDir', medium: 'Disk', mode: 0o750, uid: 999, gid: 999 } }]);
  });

  it('an app without `app` uses the image app: no command, user or working directory', () => {
    const spec = valid(readFileSync(`${FIXTURES}appc/minimal.json`, 'utf8'), 'minimal.json').spec;
    const [only] = spec.containers;
    assert.deepEqual(only?.image, { kind: 'appc', id: 'sha512-0123456789abcdef', labels: {} });
    assert.equal(only?.command, undefined);
    assert.equal(only?.workingDir, undefined);
    assert.equal(only?.security.user, undefined);
    assert.deepEqual(only?.security.capabilities, [...DEFAULT_CAPABILITIES].sort());
    assert.equal(spec.restartPolicy, 'Always');
  });

  it('accepts YAML syntax too, and the supplementaryGids spelling of the spec example (§1.8 #33b)', () => {
    const spec = valid(manifest({ app: app({ supplementaryGids: [400] }) }), 'p.yaml').spec;
    assert.deepEqual(spec.containers[0]?.security.supplementalGroups, [400]);
    rejectsAppc(manifest({ app: app({ supplementaryGids: [1], supplementaryGIDs: [2] }) }), 'apps[0].app.supplementaryGids', /not both/);
  });

  it('maps users and groups: ids, names, absolute paths', () => {
    const security = valid(manifest({ app: app({ user: 'redis', group: '/etc/group-owner' }) }), 'p.json').spec.containers[0]?.security;
    assert.deepEqual(security?.user, { kind: 'name', name: 'redis' });
    assert.deepEqual(security?.group, { kind: 'path', path: '/etc/group-owner' });
  });

  it('maps event handlers, capabilities, seccomp, oom-score-adj and cpu-shares', () => {
    const spec = valid(
      manifest({
        app: app({
          eventHandlers: [{ name: 'pre-start', exec: ['/bin/prep'] }, { name: 'post-stop', exec: ['/bin/clean', 'x'] }],
          isolators: [
            { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN'] } },
            { name: 'os/linux/seccomp-remove-set', value: { set: ['reboot', '@docker/default-blacklist'], errno: 'EPERM' } },
            { name: 'os/linux/oom-score-adj', value: -250 },
            { name: 'os/linux/cpu-shares', value: 2048 },
          ],
        }),
      }),
      'p.json',
    ).spec;
    const [a] = spec.containers;
    assert.deepEqual(a?.eventHandlers, { preStart: ['/bin/prep'], postStop: ['/bin/clean', 'x'] });
    assert.deepEqual(a?.security.capabilities, ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE']);
    assert.deepEqual(a?.security.seccomp, { kind: 'syscalls', mode: 'remove', syscalls: ['reboot', '@docker/default-blacklist'], errno: 'EPERM' });
    assert.equal(a?.security.oomScoreAdj, -250);
    assert.equal(a?.resources.cpuShares, 2048);
    const removed = valid(manifest({ app: app({ isolators: [{ name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_NET_RAW'] } }] }) }), 'p.json');
    assert.equal(removed.spec.containers[0]?.security.capabilities.length, 13);
  });

  it('maps host volumes (recursive by default, read-only volumes make read-only mounts) and pod sysctls', () => {
    const spec = valid(
      manifest({
        entry: { mounts: [{ volume: 'logs', path: '/var/log/a' }] },
        extra: {
          volumes: [{ name: 'logs', kind: 'host', source: '/var/log', readOnly: true }],
          isolators: [{ name: 'os/unix/sysctl', value: { 'net.ipv4.ip_forward': '1' } }],
          annotations: [{ name: 'created', value: '2024-05-01T10:00:00Z' }],
          userAnnotations: { owner: 'ops' },
          userLabels: { 'weird!': 'ok' },
        },
      }),
      'p.json',
    ).spec;
    assert.deepEqual(spec.volumes, [{ name: 'logs', source: { kind: 'hostPath', path: '/var/log', type: '', recursive: true } }]);
    assert.deepEqual(spec.containers[0]?.volumeMounts, [{ name: 'logs', mountPath: '/var/log/a', readOnly: true }]);
    assert.deepEqual(spec.sysctls, [{ name: 'net.ipv4.ip_forward', value: '1' }]);
    assert.deepEqual(spec.annotations, { created: '2024-05-01T10:00:00Z', owner: 'ops' });
    assert.deepEqual(spec.labels, { 'weird!': 'ok' });
  });
});

describe('appc PodManifest: rejections (formats.md §1.4, §1.8)', () => {
  const cases: [string, string, string, RegExp][] = [
    ['#9 acKind ImageManifest', manifest().replace('"PodManifest"', '"ImageManifest"'), 'acKind', /an ImageManifest describes an image, not a pod/],
    ['#9 acKind AppManifest', manifest().replace('"PodManifest"', '"AppManifest"'), 'acKind', /acKind "AppManifest" is not supported: expected PodManifest/],
    ['#11 acVersion not SemVer', manifest().replace('"0.8.11"', '"v1.2.3"'), 'acVersion', /"v1.2.3" is not a SemVer 2.0.0 version/],
    ['#11 acVersion 1', manifest().replace('"0.8.11"', '"1"'), 'acVersion', /not a SemVer/],
    ['acVersion newer than supported', manifest().replace('"0.8.11"', '"0.9.0"'), 'acVersion', /newer than the appc spec rocklet implements \(0.8.11\)/],
    ['acVersion not a string', manifest().replace('"0.8.11"', '1.2'), 'acVersion', /expected a string, got a number/],
    ['#58 acVersion missing', manifest().replace('"acVersion": "0.8.11",', ''), 'acVersion', /required field is missing/],
    ['#7 app name with a dot', manifest({ entry: { name: 'example.com' } }), 'apps[0].name', /"example.com" is not a valid AC Name/],
    ['#60 duplicate app names', JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', apps: [{ name: 'a', image: { name: 'x.io/a' } }, { name: 'a', image: { name: 'x.io/b' } }] }), 'apps[1].name', /duplicate app name "a": apps\[0\] and apps\[1\]/],
    ['image needs id or name', manifest({ entry: { image: { labels: [] } } }), 'apps[0].image', /an image needs an id or a name/],
    ['#56 image id sha1', manifest({ entry: { image: { id: 'sha1-abcdef' } } }), 'apps[0].image.id', /is not an image ID/],
    ['#57 image id not hex', manifest({ entry: { image: { id: 'sha512-abcdefghi' } } }), 'apps[0].image.id', /is not an image ID/],
    ['#3 image name uppercase', manifest({ entry: { image: { name: 'EXAMPLE.com/a' } } }), 'apps[0].image.name', /is not a valid AC Identifier/],
    ['#6 image name a--b', manifest({ entry: { image: { name: 'a--b' } } }), 'apps[0].image.name', /is not a valid AC Identifier/],
    ['#13 arch arm64 (Go name)', manifest({ entry: { image: { name: 'x.io/a', labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'arm64' }] } } }), 'apps[0].image.labels[1].value', /arch "arm64" is not valid for os linux/],
    ['#17 unknown os', manifest({ entry: { image: { name: 'x.io/a', labels: [{ name: 'os', value: 'OS/360' }] } } }), 'apps[0].image.labels[0].value', /unknown os "OS\/360"/],
    ['#18 label called name', manifest({ entry: { image: { name: 'x.io/a', labels: [{ name: 'name', value: 'x' }] } } }), 'apps[0].image.labels[0].value', /may not be called "name"/],
    ['#19 duplicate label', manifest({ entry: { image: { name: 'x.io/a', labels: [{ name: 'os', value: 'linux' }, { name: 'os', value: 'linux' }] } } }), 'apps[0].image.labels[1].name', /duplicate label "os"/],
    ['#21 created not RFC 3339', manifest({ extra: { annotations: [{ name: 'created', value: 'garbage' }] } }), 'annotations[0].value', /not an RFC 3339 timestamp/],
    ['#22 homepage not a URL', manifest({ extra: { annotations: [{ name: 'homepage', value: 'not-A$@#URL' }] } }), 'annotations[0].value', /not an http or https URL/],
    ['#23 duplicate annotation', manifest({ extra: { annotations: [{ name: 'foo', value: '1' }, { name: 'foo', value: '2' }] } }), 'annotations[1].name', /duplicate annotation "foo"/],
    ['#24 env name 0DEBUG', manifest({ app: app({ environment: [{ name: '0DEBUG', value: 'x' }] }) }), 'apps[0].app.environment[0].name', /not a valid environment variable name/],
    ['#24 duplicate env', manifest({ app: app({ environment: [{ name: 'D', value: 'x' }, { name: 'D', value: 'y' }] }) }), 'apps[0].app.environment[1].name', /duplicate environment variable "D"/],
    ['app exec empty (it replaces the image app)', manifest({ app: app({ exec: [] }) }), 'apps[0].app.exec', /must name a program/],
    ['#28 user without group', manifest({ app: { exec: ['/a'], user: '0' } }), 'apps[0].app.group', /required field is missing: when app is given it replaces the image's/],
    ['#29 relative workingDirectory', manifest({ app: app({ workingDirectory: '../home/fred' }) }), 'apps[0].app.workingDirectory', /not an absolute path/],
    ['#30 two pre-start handlers', manifest({ app: app({ eventHandlers: [{ name: 'pre-start', exec: ['/a'] }, { name: 'pre-start', exec: ['/b'] }] }) }), 'apps[0].app.eventHandlers[1].name', /duplicate event handler "pre-start"/],
    ['#31 handler pre-stop', manifest({ app: app({ eventHandlers: [{ name: 'pre-stop', exec: ['/a'] }] }) }), 'apps[0].app.eventHandlers[0].name', /unknown event handler "pre-stop" \(expected pre-start or post-stop\)/],
    ['#32 keys are case-sensitive', manifest({ app: { Exec: ['/a'], User: '0', Group: '0' } }), 'apps[0].app.Exec', /unknown field "Exec" \(did you mean "exec"\? keys are case-sensitive\)/],
    ['#33 exec not a list', manifest({ app: app({ exec: 'not a list' }) }), 'apps[0].app.exec', /expected a list, got a string/],
    ['#35 cpu-shares 1', manifest({ app: app({ isolators: [{ name: 'os/linux/cpu-shares', value: 1 }] }) }), 'apps[0].app.isolators[0].value', /must be between 2 and 262144, got 1/],
    ['#35 cpu-shares as a string', manifest({ app: app({ isolators: [{ name: 'os/linux/cpu-shares', value: '262145' }] }) }), 'apps[0].app.isolators[0].value', /expected an integer, got a string/],
    ['#36 oom-score-adj -2500', manifest({ app: app({ isolators: [{ name: 'os/linux/oom-score-adj', value: -2500 }] }) }), 'apps[0].app.isolators[0].value', /must be between -1000 and 1000/],
    ['#37 no-new-privileges 123', manifest({ app: app({ isolators: [{ name: 'os/linux/no-new-privileges', value: 123 }] }) }), 'apps[0].app.isolators[0].value', /expected true or false/],
    ['#38 CAP_PONIES', manifest({ app: app({ isolators: [{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_PONIES'] } }] }) }), 'apps[0].app.isolators[0].value.set[0]', /unknown capability "CAP_PONIES"/],
    ['#39 empty capability set', manifest({ app: app({ isolators: [{ name: 'os/linux/capabilities-retain-set', value: { set: [] } }] }) }), 'apps[0].app.isolators[0].value.set', /must not be empty/],
    ['#40 retain and remove set together', manifest({ app: app({ isolators: [{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN'] } }, { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_KILL'] } }] }) }), 'apps[0].app.isolators', /cannot be combined/],
    ['#41 block-bandwidth', manifest({ app: app({ isolators: [{ name: 'resource/block-bandwidth', value: { default: true, limit: '1M' } }] }) }), 'apps[0].app.isolators[0].name', /isolator resource\/block-bandwidth is not supported by rocklet v1/],
    ['#42 memory default true', manifest({ app: app({ isolators: [{ name: 'resource/memory', value: { default: true, limit: '1Gi' } }] }) }), 'apps[0].app.isolators[0].value.default', /must be false for cpu and memory/],
    ['#43 cpu request above limit', manifest({ app: app({ isolators: [{ name: 'resource/cpu', value: { request: '30m', limit: '1m' } }] }) }), 'apps[0].app.isolators[0].value.request', /must not exceed the limit/],
    ['negative memory', manifest({ app: app({ isolators: [{ name: 'resource/memory', value: { limit: '-1Gi' } }] }) }), 'apps[0].app.isolators[0].value.limit', /negative/],
    ['#44 sysctl value not a string', manifest({ extra: { isolators: [{ name: 'os/unix/sysctl', value: { 'net.ipv4.tcp_rfc1337': 1 } }] } }), 'isolators[0].value["net.ipv4.tcp_rfc1337"]', /expected a string, got a number/],
    ['sysctl in an app', manifest({ app: app({ isolators: [{ name: 'os/unix/sysctl', value: {} }] }) }), 'apps[0].app.isolators[0].value', /pod-level isolator/],
    ['#45 selinux context', manifest({ app: app({ isolators: [{ name: 'os/linux/selinux-context', value: { user: 'u', role: 'r', type: 't', level: 's0' } }] }) }), 'apps[0].app.isolators[0].name', /selinux-context is not supported by rocklet v1/],
    ['#47 unknown errno', manifest({ app: app({ isolators: [{ name: 'os/linux/seccomp-retain-set', value: { set: ['read'], errno: 'EACCESS' } }] }) }), 'apps[0].app.isolators[0].value.errno', /unknown errno "EACCESS"/],
    ['#48 unknown isolator', manifest({ app: app({ isolators: [{ name: 'resource/network-ponies', value: {} }] }) }), 'apps[0].app.isolators[0].name', /unknown isolator "resource\/network-ponies"/],
    ['#49 host source relative', manifest({ extra: { volumes: [{ name: 'v', kind: 'host', source: 'tmp' }] } }), 'volumes[0].source', /"tmp" is not an absolute path/],
    ['#50 host volume with mode', manifest({ extra: { volumes: [{ name: 'v', kind: 'host', source: '/tmp', mode: '0755' }] } }), 'volumes[0].mode', /mode is not allowed for a volume of kind host/],
    ['#51 empty volume with source', manifest({ extra: { volumes: [{ name: 'v', kind: 'empty', source: '/tmp' }] } }), 'volumes[0].source', /source is not allowed for a volume of kind empty/],
    ['#53 recursive MAYBE', manifest({ extra: { volumes: [{ name: 'v', kind: 'host', source: '/tmp', recursive: 'MAYBE' }] } }), 'volumes[0].recursive', /expected true or false/],
    ['#53 unknown volume key', manifest({ extra: { volumes: [{ name: 'v', kind: 'empty', asdf: 'asdf' }] } }), 'volumes[0].asdf', /unknown field "asdf"/],
    ['empty mode not octal', manifest({ extra: { volumes: [{ name: 'v', kind: 'empty', mode: '999' }] } }), 'volumes[0].mode', /not an octal mode/],
    ['#54 port 88888', manifest({ app: app({ ports: [{ name: 'p', protocol: 'tcp', port: 88888 }] }) }), 'apps[0].app.ports[0].port', /must be between 1 and 65535/],
    ['#54 port range past 65535', manifest({ app: app({ ports: [{ name: 'p', protocol: 'tcp', port: 32456, count: 45678 }] }) }), 'apps[0].app.ports[0].count', /ends above 65535/],
    ['port ranges are not supported', manifest({ app: app({ ports: [{ name: 'p', protocol: 'tcp', port: 32456, count: 100 }] }) }), 'apps[0].app.ports[0].count', /port ranges \(count > 1\) are not supported by rocklet v1/],
    ['socket activation', manifest({ app: app({ ports: [{ name: 'p', protocol: 'tcp', port: 80, socketActivated: true }] }) }), 'apps[0].app.ports[0].socketActivated', /socket activation is not supported/],
    ['#55 mountPoint readOnly maybe', manifest({ app: app({ mountPoints: [{ name: 'm', path: '/m', readOnly: 'maybe' }] }) }), 'apps[0].app.mountPoints[0].readOnly', /expected true or false/],
    ['#55 mountPoint name #foobar', manifest({ app: app({ mountPoints: [{ name: '#foobar', path: '/m' }] }) }), 'apps[0].app.mountPoints[0].name', /not a valid AC Name/],
    ['#55 mountPoint without path', manifest({ app: app({ mountPoints: [{ name: 'm' }] }) }), 'apps[0].app.mountPoints[0].path', /required field is missing/],
    ['unsatisfied mountPoint (not reified)', manifest({ app: app({ mountPoints: [{ name: 'm', path: '/m' }] }) }), 'apps[0].app.mountPoints', /mount point \/m has no mount/],
    ['#59 duplicate volume names', manifest({ extra: { volumes: [{ name: 'simplename', kind: 'empty' }, { name: 'simplename', kind: 'host', source: '/tmp' }] } }), 'volumes[1].name', /duplicate volume name "simplename"/],
    ['mount of an undeclared volume', manifest({ entry: { mounts: [{ volume: 'nope', path: '/x' }] } }), 'apps[0].mounts[0].volume', /volume "nope" is not declared in volumes/],
    ['appVolume', manifest({ entry: { mounts: [{ volume: 'v', path: '/x', appVolume: {} }] } }), 'apps[0].mounts[0].appVolume', /declare the volume in the top-level volumes/],
    ['pod port naming no app port', manifest({ extra: { ports: [{ name: 'web', hostPort: 80 }] } }), 'ports[0].name', /no app of this manifest declares a port "web"/],
    ['pod port hostIP not IPv4', manifest({ app: app({ ports: [{ name: 'p', protocol: 'tcp', port: 80 }] }), extra: { ports: [{ name: 'p', hostPort: 80, hostIP: '::1' }] } }), 'ports[0].hostIP', /not an IPv4 address/],
    ['pod-level cpu isolator', manifest({ extra: { isolators: [{ name: 'resource/cpu', value: { limit: '1' } }] } }), 'isolators[0].value', /not supported at pod level by rocklet v1: set it per app/],
    ['no apps', JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', apps: [] }), 'apps', /at least one app/],
  ];
  for (const [what, text, path, message] of cases) it(what, () => rejectsAppc(text, path, message));

  it('#58 an empty object is not a pod file', () => {
    assert.match(invalid('{}', 'p.json').errors[0]?.message ?? '', /not a pod file: expected "apiVersion: v1" and "kind: Pod"/);
  });
});
