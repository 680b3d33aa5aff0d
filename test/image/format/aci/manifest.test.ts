import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasErrorCode } from '../../../../src/util/index.js';
import { formatProblems, parseImageManifest, validateImageManifest } from '../../../../src/image/index.js';

type Json = Record<string, unknown>;

function base(overrides: Json = {}): Json {
  return {
    acKind: 'ImageManifest',
    acVersion: '0.8.11',
    name: 'example.com/app',
    labels: [{ name: 'version', value: '1.0.0' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    ...overrides,
  };
}

function withApp(app: Json): Json {
  return base({ app: { exec: ['/bin/app'], user: '0', group: '0', ...app } });
}

function withIsolators(...isolators: Json[]): Json {
  return withApp({ isolators });
}

/** The problem lines of an invalid manifest (fails the test when it is valid). */
function problems(json: unknown): string[] {
  const result = validateImageManifest(json);
  assert.equal(result.ok, false, 'expected the manifest to be invalid');
  return result.ok ? [] : formatProblems(result.problems).split('\n');
}

function valid(json: unknown): void {
  const result = validateImageManifest(json);
  assert.deepEqual(result.ok ? [] : result.problems, []);
}

// [formats.md §1.8 row, input, the exact problem line expected]
const INVALID: [string, unknown, string][] = [
  ['#3 uppercase identifier', base({ name: 'EXAMPLE.com' }), 'name: "EXAMPLE.com" is not an AC Identifier: uppercase letters are not allowed'],
  ['#3 uppercase path', base({ name: 'foo.com/BAR' }), 'name: "foo.com/BAR" is not an AC Identifier: uppercase letters are not allowed'],
  ['#4 leading slash', base({ name: '/app' }), 'name: "/app" is not an AC Identifier: must start and end with a letter or digit, with single separators between'],
  ['#4 trailing underscore', base({ name: 'app_' }), 'name: "app_" is not an AC Identifier: must start and end with a letter or digit, with single separators between'],
  ['#5 bad character', base({ name: 'foo#' }), 'name: "foo#" is not an AC Identifier: only a-z, 0-9 and the separators - . _ ~ / are allowed'],
  ['#5 empty name', base({ name: '' }), 'name: must not be empty'],
  ['#6 doubled separator', base({ name: 'a--b' }), 'name: "a--b" is not an AC Identifier: must start and end with a letter or digit, with single separators between'],
  ['#7 AC Name with a dot (mount point)', withApp({ mountPoints: [{ name: 'example.com', path: '/data' }] }), 'app.mountPoints[0].name: "example.com" is not an AC Name: only a-z, 0-9 and single dashes between them are allowed'],
  ['#9 wrong acKind', base({ acKind: 'AppManifest' }), 'acKind: must be "ImageManifest", not "AppManifest"'],
  ['#9 acKind not a string', base({ acKind: 1 }), 'acKind: must be "ImageManifest", not a number'],
  ['#11 version "1"', base({ acVersion: '1' }), 'acVersion: "1" is not a SemVer 2.0.0 version (like "0.8.11")'],
  ['#11 version "v1.2.3"', base({ acVersion: 'v1.2.3' }), 'acVersion: "v1.2.3" is not a SemVer 2.0.0 version (like "0.8.11")'],
  ['#11 version not a string', base({ acVersion: 0.8 }), 'acVersion: must be a string, not a number'],
  ['newer spec version', base({ acVersion: '1.0.0' }), 'acVersion: version 1.0.0 is newer than the supported appc spec version 0.8.11'],
  ['#13 Go arch name', base({ labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'arm64' }] }), 'labels[1].value: arch "arm64" is not valid for os "linux" (valid: amd64, i386, aarch64, aarch64_be, armv6l, armv7l, armv7b, ppc64, ppc64le, s390x)'],
  ['#14 arch arm', base({ labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'arm' }] }), 'labels[1].value: arch "arm" is not valid for os "linux" (valid: amd64, i386, aarch64, aarch64_be, armv6l, armv7l, armv7b, ppc64, ppc64le, s390x)'],
  ['#15 arch case', base({ labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'S390x' }] }), 'labels[1].value: arch "S390x" is not valid for os "linux" (valid: amd64, i386, aarch64, aarch64_be, armv6l, armv7l, armv7b, ppc64, ppc64le, s390x)'],
  ['#16 freebsd (not linux)', base({ labels: [{ name: 'os', value: 'freebsd' }] }), 'labels[0].value: os "freebsd" is not supported: rocklet runs linux images only'],
  ['#17 unknown os', base({ labels: [{ name: 'os', value: 'OS/360' }] }), 'labels[0].value: unknown os "OS/360" (appc knows linux, freebsd, darwin)'],
  ['#18 label called name', base({ labels: [{ name: 'name', value: 'x' }] }), 'labels: a label may not be called "name" (it would shadow the image name)'],
  ['#19 duplicate label', base({ labels: [{ name: 'os', value: 'linux' }, { name: 'os', value: 'linux' }] }), 'labels[1].name: duplicate label "os" (first at labels[0].name)'],
  ['#21 created not RFC 3339', base({ annotations: [{ name: 'created', value: 'garbage' }] }), 'annotations[0].value: created must be an RFC 3339 timestamp (like 2024-05-01T12:00:00Z), not "garbage"'],
  ['#22 documentation ftp URL', base({ annotations: [{ name: 'documentation', value: 'ftp://example.com/doc' }] }), 'annotations[0].value: documentation must be an http or https URL, not "ftp://example.com/doc"'],
  ['#22 homepage not a URL', base({ annotations: [{ name: 'homepage', value: 'not-A$@#URL' }] }), 'annotations[0].value: homepage must be an http or https URL, not "not-A$@#URL"'],
  ['#23 duplicate annotation', base({ annotations: [{ name: 'foo', value: 'a' }, { name: 'foo', value: 'b' }] }), 'annotations[1].name: duplicate annotation "foo" (first at annotations[0].name)'],
  ['#24 env name starting with a digit', withApp({ environment: [{ name: '0DEBUG', value: '1' }] }), 'app.environment[0].name: "0DEBUG" is not a valid variable name (a letter or _ first, then letters, digits, _ . -)'],
  ['#24 env name with a pipe', withApp({ environment: [{ name: 'VERBOSE|DEBUG', value: '1' }] }), 'app.environment[0].name: "VERBOSE|DEBUG" is not a valid variable name (a letter or _ first, then letters, digits, _ . -)'],
  ['#24 duplicate env', withApp({ environment: [{ name: 'DEBUG', value: '1' }, { name: 'DEBUG', value: '2' }] }), 'app.environment[1].name: duplicate environment variable "DEBUG" (first at app.environment[0].name)'],
  ['#28 user without group', base({ app: { exec: ['/a'], user: '0' } }), 'app.group: required when app is present (a name, a numeric id, or an absolute path whose owner group is used)'],
  ['#29 relative working directory', withApp({ workingDirectory: 'stuff' }), 'app.workingDirectory: must be an absolute path, not "stuff"'],
  ['#29 parent working directory', withApp({ workingDirectory: '../home/fred' }), 'app.workingDirectory: must be an absolute path, not "../home/fred"'],
  ['#30 two pre-start handlers', withApp({ eventHandlers: [{ name: 'pre-start', exec: ['/a'] }, { name: 'pre-start', exec: ['/b'] }] }), 'app.eventHandlers[1].name: duplicate event handler "pre-start" (first at app.eventHandlers[0].name)'],
  ['#31 pre-stop handler', withApp({ eventHandlers: [{ name: 'pre-stop', exec: ['/a'] }] }), 'app.eventHandlers[0].name: unknown event handler "pre-stop" (expected pre-start or post-stop)'],
  ['#32 capitalised keys', base({ app: { Exec: ['/a'], User: '0', Group: '0' } }), 'app.Exec: unknown field (field names are case-sensitive: did you mean "exec"?)'],
  ['#33 exec not a list', withApp({ exec: 'not a list' }), 'app.exec: must be a list, not a string'],
  ['#33b both GID spellings', withApp({ supplementaryGIDs: [1], supplementaryGids: [2] }), 'app.supplementaryGids: give either supplementaryGIDs or its alias supplementaryGids, not both'],
  ['#35 cpu-shares too low', withIsolators({ name: 'os/linux/cpu-shares', value: 1 }), 'app.isolators[0].value: must be between 2 and 262144, not 1'],
  ['#35 cpu-shares as a string', withIsolators({ name: 'os/linux/cpu-shares', value: '262145' }), 'app.isolators[0].value: must be an integer, not a string'],
  ['#36 oom-score-adj out of range', withIsolators({ name: 'os/linux/oom-score-adj', value: -2500 }), 'app.isolators[0].value: must be between -1000 and 1000, not -2500'],
  ['#37 no-new-privileges not boolean', withIsolators({ name: 'os/linux/no-new-privileges', value: 123 }), 'app.isolators[0].value: must be true or false, not a number'],
  ['#38 unknown capability', withIsolators({ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_PONIES'] } }), 'app.isolators[0].value.set[0]: unknown capability "CAP_PONIES" (expected a name like CAP_NET_BIND_SERVICE)'],
  ['#39 empty capability set', withIsolators({ name: 'os/linux/capabilities-retain-set', value: { set: [] } }), 'app.isolators[0].value.set: must not be empty'],
  ['#39 capability set as a string', withIsolators({ name: 'os/linux/capabilities-remove-set', value: { set: 'CAP_X' } }), 'app.isolators[0].value.set: must be a list, not a string'],
  ['#40 retain and remove sets', withIsolators({ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_KILL'] } }, { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_CHOWN'] } }), 'app.isolators: os/linux/capabilities-retain-set and os/linux/capabilities-remove-set cannot be combined'],
  ['#41 block-bandwidth default false', withIsolators({ name: 'resource/block-bandwidth', value: { default: false, limit: '1M' } }), 'app.isolators[0].value.default: must be true'],
  ['#41 block-bandwidth with request', withIsolators({ name: 'resource/block-bandwidth', value: { default: true, request: '1M', limit: '1M' } }), 'app.isolators[0].value.request: not allowed for this isolator'],
  ['#42 memory default true', withIsolators({ name: 'resource/memory', value: { default: true, limit: '1G' } }), 'app.isolators[0].value.default: must be false (or absent) for cpu and memory'],
  ['#43 cpu request above limit', withIsolators({ name: 'resource/cpu', value: { request: '30m', limit: '1m' } }), 'app.isolators[0].value.request: must not exceed the limit (30m > 1m)'],
  ['negative memory', withIsolators({ name: 'resource/memory', value: { limit: '-1G' } }), 'app.isolators[0].value.limit: must not be negative, not "-1G"'],
  ['#66 quantity with uppercase K', withIsolators({ name: 'resource/memory', value: { limit: '1K' } }), 'app.isolators[0].value.limit: "1K" is not a quantity (like 500m, 1, 128Mi, 1G)'],
  ['#44 sysctl in an image', withIsolators({ name: 'os/unix/sysctl', value: { 'net.ipv4.tcp_rfc1337': '1' } }), 'app.isolators[0].value: os/unix/sysctl is a pod-level isolator and cannot be set in an image'],
  ['#45 selinux role with colon', withIsolators({ name: 'os/linux/selinux-context', value: { user: 'u', role: 'role_r:type_t', type: 't', level: 's0' } }), 'app.isolators[0].value.role: must not contain ":", not "role_r:type_t"'],
  ['#46 empty apparmor profile', withIsolators({ name: 'os/linux/apparmor-profile', value: { profile: '' } }), 'app.isolators[0].value.profile: must not be empty'],
  ['#47 bad errno', withIsolators({ name: 'os/linux/seccomp-remove-set', value: { set: ['reboot'], errno: 'EACCESS' } }), 'app.isolators[0].value.errno: unknown errno "EACCESS" (expected a name like EPERM)'],
  ['#48 unknown isolator', withIsolators({ name: 'resource/network-ponies', value: {} }), 'app.isolators[0].name: unknown isolator "resource/network-ponies" (known: resource/cpu, resource/memory, resource/block-bandwidth, resource/block-iops, resource/network-bandwidth, os/linux/capabilities-retain-set, os/linux/capabilities-remove-set, os/linux/no-new-privileges, os/linux/seccomp-remove-set, os/linux/seccomp-retain-set, os/linux/oom-score-adj, os/linux/cpu-shares, os/linux/selinux-context, os/linux/apparmor-profile, os/unix/sysctl)'],
  ['#54 port out of range', withApp({ ports: [{ name: 'http', protocol: 'tcp', port: 88888 }] }), 'app.ports[0].port: must be between 1 and 65535, not 88888'],
  ['#54 port range too long', withApp({ ports: [{ name: 'http', protocol: 'tcp', port: 32456, count: 45678 }] }), 'app.ports[0].count: port range 32456-78133 ends above 65535'],
  ['#55 mountPoint readOnly not boolean', withApp({ mountPoints: [{ name: 'data', path: '/data', readOnly: 'maybe' }] }), 'app.mountPoints[0].readOnly: must be true or false, not a string'],
  ['#55 mountPoint bad name', withApp({ mountPoints: [{ name: '#foobar', path: '/data' }] }), 'app.mountPoints[0].name: "#foobar" is not an AC Name: only a-z, 0-9 and single dashes between them are allowed'],
  ['#55 mountPoint without path', withApp({ mountPoints: [{ name: 'data' }] }), 'app.mountPoints[0].path: required'],
  ['#57 dependency ID not hex', base({ dependencies: [{ imageName: 'example.com/base', imageID: 'sha512-abcdefghi' }] }), 'dependencies[0].imageID: "sha512-abcdefghi" is not a full image ID (sha512- and 128 lowercase hex digits)'],
  ['relative pathWhitelist entry', base({ pathWhitelist: ['etc/passwd'] }), 'pathWhitelist[0]: must be an absolute path, not "etc/passwd"'],
  ['unknown top-level field', base({ nmae: 'x' }), 'nmae: unknown field'],
  ['missing name', { acKind: 'ImageManifest', acVersion: '0.8.11' }, 'name: required'],
  ['port with unknown protocol', withApp({ ports: [{ name: 'http', protocol: 'sctp', port: 80 }] }), 'app.ports[0].protocol: must be tcp or udp, not "sctp"'],
];

describe('ImageManifest validation: invalid cases (formats.md §1.8)', () => {
  for (const [name, json, expected] of INVALID) {
    it(`refuses ${name}`, () => {
      assert.ok(problems(json).includes(expected), `expected problem:\n  ${expected}\ngot:\n  ${problems(json).join('\n  ')}`);
    });
  }

  it('collects every problem, not just the first', () => {
    const lines = problems({
      acKind: 'AppManifest', acVersion: 'v1', name: 'Bad', app: { exec: 'x', user: '0' },
    });
    assert.deepEqual(lines, [
      'acKind: must be "ImageManifest", not "AppManifest"',
      'acVersion: "v1" is not a SemVer 2.0.0 version (like "0.8.11")',
      'name: "Bad" is not an AC Identifier: uppercase letters are not allowed',
      'app.exec: must be a list, not a string',
      'app.group: required when app is present (a name, a numeric id, or an absolute path whose owner group is used)',
    ]);
  });
});

describe('ImageManifest validation: valid cases', () => {
  it('#1 #2 accepts identifiers with ~ / _ separators', () => {
    valid(base({ name: 'example.com/~bob/database' }));
    valid(base({ name: 'zab_rab_oof' }));
  });
  it('#10 accepts pre-release and build metadata', () => valid(base({ acVersion: '0.8.1-alpha+git' })));
  it('#12 #20 accepts aarch64, no labels, and arch without os', () => {
    valid(base({ labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'aarch64' }] }));
    valid(base({ labels: [] }));
    valid(base({ labels: [{ name: 'arch', value: 'whatever' }] }));
  });
  it('#25 accepts env names with . and -', () => {
    valid(withApp({ environment: [{ name: '_0_DEBUG_0_', value: '' }, { name: 'DEBUG.0', value: '' }, { name: 'DEBUG-0', value: '' }] }));
  });
  it('#26 #27 accepts absent, empty and relative exec', () => {
    valid(base({ app: { user: '0', group: '0' } }));
    valid(withApp({ exec: [] }));
    valid(withApp({ exec: ['app'] }));
    valid(withApp({ exec: ['bin/app', 'arg1'] }));
  });
  it('#33b #34 accepts the supplementaryGids spelling and free user annotations', () => {
    valid(withApp({ supplementaryGids: [400], userAnnotations: { 'weird!': 'yes' } }));
  });
  it('#35–#37 accepts in-range isolators', () => {
    valid(withIsolators(
      { name: 'os/linux/cpu-shares', value: 2048 },
      { name: 'os/linux/oom-score-adj', value: -250 },
      { name: 'os/linux/no-new-privileges', value: true },
      { name: 'resource/memory', value: { limit: '128Mi' } },
      { name: 'resource/cpu', value: { request: '100m', limit: '1.' } },
      { name: 'os/linux/selinux-context', value: { user: 'u', role: 'r', type: 't', level: 's0-s0:c0' } },
      { name: 'os/linux/seccomp-retain-set', value: { set: ['@appc.io/all'], errno: 'EPERM' } },
    ));
  });
  it('#54 accepts a port range ending at or below 65535', () => {
    valid(withApp({ ports: [{ name: 'http', protocol: 'tcp', port: 32456, count: 100 }] }));
  });
  it('#61 accepts an image without app, with dependencies and a path whitelist', () => {
    const result = validateImageManifest(base({
      dependencies: [{ imageName: 'example.com/base', labels: [{ name: 'version', value: '1' }], size: 100 }],
      pathWhitelist: ['/bin/sh'],
      annotations: [{ name: 'created', value: '2024-05-01T12:00:00Z' }, { name: 'homepage', value: 'https://example.com' }],
    }));
    assert.ok(result.ok);
    assert.equal(result.manifest.app, undefined);
    assert.equal(result.manifest.dependencies[0]?.imageName, 'example.com/base');
    assert.deepEqual(result.manifest.pathWhitelist, ['/bin/sh']);
  });
  it('types the app: defaults and parsed isolators', () => {
    const result = validateImageManifest(withApp({
      ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
      isolators: [{ name: 'resource/memory', value: { limit: '1Ki' } }],
    }));
    assert.ok(result.ok);
    const app = result.manifest.app;
    assert.ok(app);
    assert.deepEqual(app.ports, [{ name: 'http', protocol: 'tcp', port: 80, count: 1, socketActivated: false }]);
    assert.deepEqual(app.isolators[0]?.value, { kind: 'resource', limit: 1024 });
  });
});

describe('parseImageManifest', () => {
  it('refuses text that is not JSON with its own error', () => {
    assert.throws(() => parseImageManifest('{"acKind":', 'image.aci'), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_MANIFEST_NOT_JSON'));
      assert.match(error.message, /^image\.aci is not valid JSON: /);
      return true;
    });
  });
  it('throws ERR_INVALID_MANIFEST listing the problems one per line', () => {
    assert.throws(() => parseImageManifest(JSON.stringify(base({ name: 'X', acVersion: '1' }))), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_INVALID_MANIFEST'));
      assert.equal(error.category, 'invalid-argument');
      assert.equal(error.message, [
        'invalid image manifest in manifest (2 problems):',
        '  acVersion: "1" is not a SemVer 2.0.0 version (like "0.8.11")',
        '  name: "X" is not an AC Identifier: uppercase letters are not allowed',
      ].join('\n'));
      return true;
    });
  });
  it('refuses a manifest that is not an object', () => {
    assert.deepEqual(problems([]), ['(manifest): must be an object, not an array']);
  });
});
