/**
 * formats.md §4: the bad-input cases that concern one file's content, each asserting its
 * message. Directory-level cases (#19 host-port conflicts across files, #20 duplicate pods
 * across files, #22 hostPath deny-list, #27 editor artefacts, #29 ownership) belong to the
 * daemon; #24/#25/#30 are covered here through readPodFile on real files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { readPodFile } from '../../src/podfile/index.js';
import { hasError, invalid, pod, rejects, valid } from './helpers.js';

const C = 'spec.containers[0]';

describe('formats.md §4: bad input in one file', () => {
  it('#1 YAML syntax errors: bad indent, unclosed quote, key without colon → line:col and excerpt', () => {
    const indent = invalid('apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n    labels: {}\n');
    assert.match(indent.errors[0]?.message ?? '', /^yaml syntax error: nested mappings are not allowed in compact mappings \(near "name: web"\)$/);
    assert.equal(indent.errors[0]?.line, 4);
    const quote = invalid('apiVersion: v1\nkind: "Pod\n');
    assert.match(quote.errors[0]?.message ?? '', /yaml syntax error: missing closing "quote/i);
    const colon = invalid('apiVersion: v1\nkind Pod\n');
    assert.match(colon.errors[0]?.message ?? '', /yaml syntax error: .*\(near "kind Pod"\)/);
    assert.equal(colon.errors[0]?.line, 2);
  });

  it('#2 tabs used for indentation', () => {
    const result = invalid('apiVersion: v1\nkind: Pod\nmetadata:\n\tname: web\n');
    assert.ok(result.errors.some((e) => e.message === 'yaml: tabs are not allowed for indentation' && e.line === 4 && e.column === 1));
  });

  it('#3 duplicate mapping key (image: twice)', () => {
    rejects(pod({ container: '      image: busybox' }), `${C}.image`, /duplicate key "image" \(first at line 8\); every key may appear once/);
  });

  it('#4 empty file', () => {
    assert.equal(invalid('').errors[0]?.message, 'empty file: expected a Kubernetes Pod or an appc PodManifest');
  });

  it('#5 only comments, whitespace or a lone ---', () => {
    for (const text of ['# just a comment\n', '   \n\n', '---\n', '---\n# c\n...\n']) {
      assert.match(invalid(text).errors[0]?.message ?? '', /^no document: the file holds only comments, whitespace or "---"$/, JSON.stringify(text));
    }
  });

  it('#6 two non-empty documents', () => {
    const text = `${pod()}---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n`;
    const error = invalid(text).errors[0];
    assert.equal(error?.message, 'one pod per file: found 2 documents that are not ConfigMaps or Secrets (Pod, Service); ConfigMaps and Secrets may sit beside the pod, the rest need files of their own');
    assert.equal(error?.line, 10);
    assert.equal(valid(`---\n${pod()}---\n`).spec.name, 'web', 'empty documents around one pod are fine');
  });

  it('#7 kind Deployment / ConfigMap / Service', () => {
    for (const kind of ['Deployment', 'Service']) {
      const result = invalid(pod().replace('kind: Pod', `kind: ${kind}`));
      assert.equal(result.errors.length, 1, 'only the kind is reported, not the noise after it');
      hasError(result, 'kind', new RegExp(`^kind ${kind} is not supported: expected Pod \\(or an appc PodManifest\\)$`));
    }
  });

  it('#7b a file of ConfigMaps only is no pod file, and says where they go', () => {
    const result = invalid('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n');
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]?.message ?? '', /^not a pod file: it holds only ConfigMaps and Secrets; put them beside a Pod in its file, or in <config-dir>\/configmaps\/ and <config-dir>\/secrets\/ to share them$/);
  });

  it('#8 apiVersion apps/v1 or v2 with kind Pod', () => {
    rejects(pod().replace('apiVersion: v1', 'apiVersion: apps/v1'), 'apiVersion', /apiVersion must be exactly "v1" for kind Pod, got "apps\/v1"/);
    rejects(pod().replace('apiVersion: v1', 'apiVersion: v2'), 'apiVersion', /got "v2"/);
  });

  it('#9 both acKind and apiVersion', () => {
    const error = invalid(`acKind: PodManifest\n${pod()}`).errors[0];
    assert.equal(error?.message, 'ambiguous format: both apiVersion/kind (Kubernetes) and acKind (appc) are present; keep one');
  });

  it('#10 missing metadata.name, or an appc file whose base name is not a DNS label', () => {
    rejects(pod().replace('  name: web\n', '  labels: {}\n'), 'metadata.name', /required field is missing/);
    rejects('apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: b}]}\n', 'metadata', /required field is missing/);
    const appc = '{"acKind": "PodManifest", "acVersion": "0.8.11", "apps": [{"name": "a", "image": {"name": "example.com/a"}}]}';
    const result = invalid(appc, '/etc/pods/My_Pod.json');
    assert.match(result.errors[0]?.message ?? '', /^an appc pod is named after its file: "My_Pod" is not a valid DNS-1123 label/);
    assert.equal(result.identity, undefined, 'no pod under a guessed name');
  });

  it('#11 bad names: Web_1, -web, 64+ characters, web. (regex and length shown)', () => {
    for (const name of ['Web_1', '-web', 'web.']) {
      rejects(pod().replace('name: web', `name: "${name}"`), 'metadata.name', /is not a valid DNS-1123 label: .*\[a-z0-9\]\(\[-a-z0-9\]\*\[a-z0-9\]\)\? and has at most 63 characters/);
    }
    rejects(pod().replace('name: web', `name: ${'w'.repeat(64)}`), 'metadata.name', /is 64 characters long: .*at most 63 characters/);
    rejects(pod().replace('name: app', 'name: App'), `${C}.name`, /"App" is not a valid DNS-1123 label/);
  });

  it('#12 duplicate container names, including init vs app, with both indices', () => {
    rejects(pod({ spec: '  initContainers: [{name: app, image: busybox}]' }), `${C}.name`, /duplicate container name "app": spec.initContainers\[0\] and spec.containers\[0\]/);
  });

  it('#13 missing image, empty or whitespace-only image', () => {
    rejects(pod().replace('      image: nginx:1.27\n', ''), `${C}.image`, /required field is missing: name the image to run/);
    rejects(pod({ image: '""' }), `${C}.image`, /^must not be empty$/);
    rejects(pod({ image: '"   "' }), `${C}.image`, /^must not be blank \(only whitespace\)$/);
    rejects(pod({ image: '' }), `${C}.image`, /required field is missing/);
  });

  it('#14 image references: uppercase repository, bad digest, tag longer than 128', () => {
    rejects(pod({ image: 'Example/App' }), `${C}.image`, /invalid image reference "Example\/App": .*valid registry host|must be lowercase/);
    rejects(pod({ image: 'example/App' }), `${C}.image`, /the repository name must be lowercase/);
    rejects(pod({ image: 'nginx@sha256:1234' }), `${C}.image`, /the sha256 digest must be 64 lowercase hex characters/);
    rejects(pod({ image: `nginx:${'t'.repeat(129)}` }), `${C}.image`, /the tag is longer than 128 characters/);
  });

  it('#15 negative or zero limits, bad quantities, requests above limits (grammar explained)', () => {
    const limit = (value: string): string => pod({ container: `      resources:\n        limits: {memory: ${value}}` });
    rejects(limit('-1Gi'), `${C}.resources.limits.memory`, /"-1Gi" is negative/);
    rejects(limit('0'), `${C}.resources.limits.memory`, /must be greater than zero, got 0/);
    rejects(limit('1GB'), `${C}.resources.limits.memory`, /"1GB" is not a valid quantity \(did you mean 1G or 1Gi\?\): a quantity is a number with an optional suffix: binary Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E/);
    rejects(limit('1K'), `${C}.resources.limits.memory`, /did you mean 1k or 1Ki\?/);
    rejects(limit('" 1"'), `${C}.resources.limits.memory`, /" 1" is not a valid quantity/);
    rejects(pod({ container: '      resources:\n        limits: {cpu: 500m}\n        requests: {cpu: "1"}' }), `${C}.resources.requests.cpu`, /request 1 must not exceed the limit 500m/);
  });

  it('#16 unknown field, typo or wrong case → path and "did you mean"', () => {
    rejects(pod({ container: '      volumeMount: []' }), `${C}.volumeMount`, /unknown field "volumeMount" \(did you mean "volumeMounts"\?\)/);
    rejects(pod({ container: '      imagePullpolicy: Always' }), `${C}.imagePullpolicy`, /unknown field "imagePullpolicy" \(did you mean "imagePullPolicy"\? keys are case-sensitive\)/);
    rejects(pod().replace('      image:', '      Image:'), `${C}.Image`, /unknown field "Image" \(did you mean "image"\? keys are case-sensitive\)/);
    rejects(pod({ spec: '  restartPolcy: Never' }), 'spec.restartPolcy', /did you mean "restartPolicy"\?/);
    rejects(pod({ top: 'extra: 1' }), 'extra', /^unknown field "extra"$/);
  });

  it('#17 wrong types: no coercion, with hints', () => {
    rejects(pod({ container: '      ports: [{containerPort: "80"}]' }), `${C}.ports[0].containerPort`, /expected an integer, got a string \("80"\); remove the quotes/);
    rejects(pod({ container: '      args: "--x"' }), `${C}.args`, /expected a list, got a string \("--x"\)/);
    rejects(pod({ container: '      env: {A: b}' }), `${C}.env`, /expected a list of \{name, value\}, got a map/);
    rejects(pod({ container: '      env: [{name: A, value: yes}]' }), `${C}.env[0].value`, /expected a string, got a boolean \(yes\); quote it \("yes"\) if you mean the text/);
    rejects(pod({ spec: '  hostNetwork: "true"' }), 'spec.hostNetwork', /expected true or false, got a string \("true"\); remove the quotes/);
    const appc = 'acKind: PodManifest\nacVersion: 0.8.11\napps: [{name: a, image: {name: example.com/a}}]\nvolumes: [{name: v, kind: empty, mode: 0644}]\n';
    hasError(invalid(appc, 'p.yaml'), 'volumes[0].mode', /expected a string, got a number \(0644\)/);
  });

  it('#18 ports: out of range, duplicate names, duplicate host bindings, hostNetwork mismatch', () => {
    rejects(pod({ container: '      ports: [{containerPort: 0}]' }), `${C}.ports[0].containerPort`, /must be between 1 and 65535, got 0/);
    rejects(pod({ container: '      ports: [{containerPort: 70000}]' }), `${C}.ports[0].containerPort`, /must be between 1 and 65535, got 70000/);
    rejects(pod({ container: '      ports: [{containerPort: 80, hostPort: 70000}]' }), `${C}.ports[0].hostPort`, /must be between 0 and 65535/);
    rejects(pod({ container: '      ports: [{containerPort: 80, name: web}, {containerPort: 81, name: web}]' }), `${C}.ports[1].name`, /duplicate port name "web" \(also spec.containers\[0\].ports\[0\]\)/);
    rejects(pod({ container: '      ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81, hostPort: 8080}]' }), `${C}.ports[1].hostPort`, /host port 8080\/TCP is already used by spec.containers\[0\].ports\[0\]/);
    rejects(pod({ container: '      ports: [{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}, {containerPort: 81, hostPort: 8080}]' }), `${C}.ports[1].hostPort`, /already used/);
    valid(pod({ container: '      ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 80, hostPort: 8080, protocol: UDP}]' }));
    valid(pod({ container: '      ports: [{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}, {containerPort: 81, hostPort: 8080, hostIP: 127.0.0.2}]' }));
    rejects(pod({ spec: '  hostNetwork: true', container: '      ports: [{containerPort: 80, hostPort: 8080}]' }), `${C}.ports[0].hostPort`, /with hostNetwork, hostPort must equal containerPort \(80\), got 8080/);
  });

  it('#21 volumes and mounts: undefined volume, defined twice, relative or duplicate mountPath, relative hostPath', () => {
    rejects(pod({ container: '      volumeMounts: [{name: data, mountPath: /data}]' }), `${C}.volumeMounts[0].name`, /volume "data" is not declared in spec.volumes \(no volumes are declared\)/);
    rejects(pod({ spec: '  volumes: [{name: v, emptyDir: {}}, {name: v, emptyDir: {}}]' }), 'spec.volumes[1].name', /duplicate volume name "v" \(also spec.volumes\[0\]\)/);
    const mounts = (a: string, b: string): string => pod({ spec: '  volumes: [{name: v, emptyDir: {}}]', container: `      volumeMounts: [{name: v, mountPath: ${a}}, {name: v, mountPath: ${b}}]` });
    rejects(mounts('data', '/b'), `${C}.volumeMounts[0].mountPath`, /"data" is not an absolute path/);
    rejects(mounts('/data', '/data/'), `${C}.volumeMounts[1].mountPath`, /duplicate mountPath "\/data"/);
    rejects(pod({ spec: '  volumes: [{name: v, hostPath: {path: srv/data}}]' }), 'spec.volumes[0].hostPath.path', /"srv\/data" is not an absolute path/);
  });

  it('#23 huge files, alias bombs, extreme nesting', () => {
    const huge = invalid(`${pod()}# ${'x'.repeat(1024 * 1024)}\n`);
    assert.match(huge.errors[0]?.message ?? '', /^file is too large: \d+ bytes \(the limit is 1048576 bytes, 1 MiB\)$/);
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(i === 1 ? '*a' : `*a${i - 1}`).join(', ')}]`);
    assert.match(invalid(lines.join('\n')).errors[0]?.message ?? '', /too many (aliases \(the limit is 100\)|YAML nodes)/);
    assert.match(invalid(`${'- '.repeat(200)}x\n`).errors[0]?.message ?? '', /nesting is too deep \(the limit is 64 levels\)/);
    assert.match(invalid(`{"a": ${'['.repeat(1000)}${']'.repeat(1000)}}`, 'x.json').errors[0]?.message ?? '', /nesting is too deep/);
  });

  it('#26 non-UTF-8 bytes, NUL bytes, UTF-16 with BOM (byte offset named); a UTF-8 BOM is stripped', () => {
    const text = Buffer.from(pod());
    const latin1 = Buffer.concat([text.subarray(0, 30), Buffer.from([0xe9]), text.subarray(30)]);
    assert.match(invalid(latin1).errors[0]?.message ?? '', /^invalid UTF-8 at byte offset 30 \(byte 0xe9\): pod files must be UTF-8$/);
    const nul = Buffer.concat([text.subarray(0, 10), Buffer.from([0]), text.subarray(10)]);
    assert.match(invalid(nul).errors[0]?.message ?? '', /^NUL byte at byte offset 10: pod files are text$/);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pod(), 'utf16le')]);
    assert.match(invalid(utf16).errors[0]?.message ?? '', /UTF-16 or UTF-32 .*save it as UTF-8/);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]);
    assert.equal(valid(bom.toString('utf8')).spec.name, 'web');
    assert.equal(invalid(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: [\n')])).errors[0]?.line, 2);
  });

  it('#28 a partially written file is invalid, not a crash', () => {
    const full = pod({ container: '      ports: [{containerPort: 80}]' });
    for (let cut = 1; cut < full.length; cut += 7) {
      const result = parse(full.slice(0, cut));
      if (!result.ok) assert.ok(result.errors.every((e) => e.message.length > 0));
    }
  });

  it('#32 kubectl get -o yaml export: cluster metadata ignored with warnings; a foreign nodeName is invalid', () => {
    const exported = (nodeName: string): string =>
      [
        'apiVersion: v1', 'kind: Pod', 'metadata:', '  creationTimestamp: "2024-05-01T10:00:00Z"', '  name: web', '  namespace: default',
        '  resourceVersion: "123"', '  uid: 0c0c6c3a-6f1b-4a1e-9d1e-2f1c2c3d4e5f', '  managedFields:', '  - manager: kubectl', 'spec:',
        '  containers:', '  - image: nginx:1.27', '    imagePullPolicy: IfNotPresent', '    name: web',
        '    terminationMessagePath: /dev/termination-log', '    terminationMessagePolicy: File', '  dnsPolicy: ClusterFirst',
        '  enableServiceLinks: true', `  nodeName: ${nodeName}`, '  preemptionPolicy: PreemptLowerPriority', '  priority: 0',
        '  restartPolicy: Always', '  schedulerName: default-scheduler', '  securityContext: {}', '  serviceAccount: default',
        '  serviceAccountName: default', '  terminationGracePeriodSeconds: 30', '  tolerations:', '  - effect: NoExecute',
        '    key: node.kubernetes.io/not-ready', '    operator: Exists', 'status:', '  phase: Running', '  podIP: 10.1.2.3', '',
      ].join('\n');
    const here = valid(exported('node-1'));
    assert.ok(here.warnings.length >= 10);
    assert.ok(here.warnings.some((w) => w.path === 'spec.nodeName' && /names this machine/.test(w.message)));
    rejects(exported('worker-7'), 'spec.nodeName', /"worker-7" names another machine \(this machine is "node-1"\)/);
  });

  it('#33 JSON with comments, trailing commas or trailing garbage', () => {
    const json = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": [{"name": "a", "image": "b"}]}}';
    assert.match(invalid(json.replace('"kind"', '// c\n"kind"'), 'p.json').errors[0]?.message ?? '', /json: comments are not allowed/);
    assert.match(invalid(json.replace('"b"}]', '"b"},]'), 'p.json').errors[0]?.message ?? '', /json: trailing comma/);
    assert.match(invalid(`${json}\n{}`, 'p.json').errors[0]?.message ?? '', /json: unexpected text after the JSON document/);
  });

  it('#34 absurd sizes: > 32 containers, > 1024 env vars, arguments over the kernel limit, label values > 63', () => {
    const containers = Array.from({ length: 33 }, (_, i) => `{name: c${i}, image: busybox}`).join(', ');
    rejects(`apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [${containers}]\n`, 'spec.containers', /too many items: 33 \(the limit is 32\)/);
    const env = Array.from({ length: 1025 }, (_, i) => `{name: V${i}, value: x}`).join(', ');
    rejects(pod({ container: `      env: [${env}]` }), `${C}.env`, /too many items: 1025 \(the limit is 1024\)/);
    rejects(pod({ container: `      args: ["${'a'.repeat(131_073)}"]` }), `${C}.args[0]`, /argument is 131073 bytes long \(the kernel limit is 131072\)/);
    rejects(pod({ metadata: `  labels: {team: ${'x'.repeat(64)}}` }), 'metadata.labels.team', /label value is 64 characters long \(the limit is 63\)/);
  });
});

describe('formats.md §4 through readPodFile: real files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rocklet-podfile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a valid file and names it in diagnostics', async () => {
    writeFileSync(join(dir, 'web.yaml'), pod({ top: 'status: {}' }));
    const result = await readPodFile(join(dir, 'web.yaml'), { nodeName: 'x' });
    assert.equal(result.ok, true);
    assert.equal(result.warnings[0]?.file, join(dir, 'web.yaml'));
  });

  it('#24 follows a symlink to a regular file; a dangling link is invalid (ENOENT)', async () => {
    writeFileSync(join(dir, 'target.yaml'), pod());
    symlinkSync(join(dir, 'target.yaml'), join(dir, 'link.yaml'));
    assert.equal((await readPodFile(join(dir, 'link.yaml'))).ok, true);
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'dangling.yaml'));
    const dangling = await readPodFile(join(dir, 'dangling.yaml'));
    assert.equal(dangling.ok ? '' : dangling.errors[0]?.message, 'cannot read file: no such file (ENOENT)');
  });

  it('#25 a directory or a FIFO is refused without blocking', async () => {
    mkdirSync(join(dir, 'sub.yaml'));
    const sub = await readPodFile(join(dir, 'sub.yaml'));
    assert.equal(sub.ok ? '' : sub.errors[0]?.message, 'not a regular file (a directory)');
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    const fifo = await readPodFile(join(dir, 'fifo.yaml'));
    assert.equal(fifo.ok ? '' : fifo.errors[0]?.message, 'not a regular file (a device, FIFO or socket)');
  });

  it('#23 refuses a file over 1 MiB before reading it', async () => {
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(1024 * 1024 + 1, 0x20));
    const big = await readPodFile(join(dir, 'big.yaml'));
    assert.equal(big.ok ? '' : big.errors[0]?.message, 'file is too large: 1048577 bytes (the limit is 1048576 bytes, 1 MiB)');
    assert.equal(big.ok ? -1 : big.errors[0]?.line, 0, 'a file-level problem has no position');
  });

  it('#30 unreadable paths are invalid files with the errno named', async () => {
    const missing = await readPodFile(join(dir, 'nope.yaml'));
    assert.equal(missing.ok ? '' : missing.errors[0]?.message, 'cannot read file: no such file (ENOENT)');
    writeFileSync(join(dir, 'plain'), 'x');
    const notDir = await readPodFile(join(dir, 'plain', 'pod.yaml'));
    assert.equal(notDir.ok ? '' : notDir.errors[0]?.message, 'cannot read file: a path component is not a directory (ENOTDIR)');
  });
});

function parse(text: string): ReturnType<typeof invalid> | ReturnType<typeof valid> {
  try {
    return valid(text);
  } catch (error) {
    if (!(error instanceof assert.AssertionError)) throw error;
    return invalid(text);
  }
}
