import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candidate, FileVerdict, MachineLabels, PodFileKey, PodOwner } from '../../src/daemon/index.js';
import { admit, hostPortsOf, sameVerdict, statusWriteDelay } from '../../src/daemon/index.js';
import type { PodSpec } from '../../src/podfile/index.js';
import { valid } from '../podfile/helpers.js';

const key = (name: string): PodFileKey => name as PodFileKey;

interface Port {
  readonly hostPort: number;
  readonly protocol?: 'TCP' | 'UDP';
  readonly hostIP?: string;
}

/** A one-container pod file's YAML. */
function podYaml(name: string, options: { ports?: readonly Port[]; nodeSelector?: Readonly<Record<string, string>>; image?: string } = {}): string {
  const lines = ['apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${name}`, 'spec:'];
  if (options.nodeSelector !== undefined) {
    lines.push('  nodeSelector:', ...Object.entries(options.nodeSelector).map(([k, v]) => `    ${k}: "${v}"`));
  }
  lines.push('  containers:', '    - name: app', `      image: ${options.image ?? 'nginx:1.27'}`);
  if (options.ports !== undefined) {
    lines.push('      ports:');
    options.ports.forEach((port, index) => {
      lines.push(`        - containerPort: ${80 + index}`, `          hostPort: ${port.hostPort}`);
      if (port.protocol !== undefined) lines.push(`          protocol: ${port.protocol}`);
      if (port.hostIP !== undefined) lines.push(`          hostIP: "${port.hostIP}"`);
    });
  }
  return `${lines.join('\n')}\n`;
}

function specOf(name: string, options: Parameters<typeof podYaml>[1] = {}): PodSpec {
  return valid(podYaml(name, options), `${name}.yaml`).spec;
}

/** A valid candidate for `<file>` defining pod `name`. */
function good(file: string, firstSeen: number, name: string, options: Parameters<typeof podYaml>[1] = {}): Candidate {
  const result = valid(podYaml(name, options), file);
  return { key: key(file), firstSeen, outcome: { ok: true, spec: result.spec, hash: result.hash } };
}

function bad(file: string, firstSeen: number, podName?: string): Candidate {
  return { key: key(file), firstSeen, outcome: { ok: false, reason: `${file}:1:1: broken`, ...(podName === undefined ? {} : { podName }) } };
}

const LABELS: MachineLabels = { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', role: 'edge' };
const NO_OWNERS: ReadonlyMap<string, PodOwner> = new Map();

function verdict(verdicts: ReadonlyMap<PodFileKey, FileVerdict>, file: string): FileVerdict {
  const found = verdicts.get(key(file));
  if (found === undefined) assert.fail(`no verdict for ${file}`);
  return found;
}

function reasonOf(verdicts: ReadonlyMap<PodFileKey, FileVerdict>, file: string): string {
  const found = verdict(verdicts, file);
  if (found.kind === 'admitted') assert.fail(`${file} was admitted`);
  return found.reason;
}

function kinds(verdicts: ReadonlyMap<PodFileKey, FileVerdict>): Record<string, string> {
  return Object.fromEntries([...verdicts].map(([file, v]) => [file, v.kind]));
}

describe('daemon/admission admit', () => {
  it('admits a lone valid file with its spec and hash', () => {
    const c = good('web.yaml', 1, 'web');
    const v = verdict(admit([c], LABELS, NO_OWNERS), 'web.yaml');
    assert.equal(v.kind, 'admitted');
    if (v.kind !== 'admitted' || !c.outcome.ok) return;
    assert.equal(v.pod, 'web');
    assert.equal(v.hash, c.outcome.hash);
  });

  it('gives a pod name to the file seen first and rejects the other, naming the first', () => {
    const verdicts = admit([good('a.yaml', 200, 'web'), good('b.yaml', 100, 'web')], LABELS, NO_OWNERS);
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'rejected', 'b.yaml': 'admitted' });
    const a = verdict(verdicts, 'a.yaml');
    assert.ok(a.kind === 'rejected');
    assert.equal(a.other, 'b.yaml');
    assert.equal(a.reason, 'pod name "web" is already used by b.yaml');
  });

  it('breaks a firstSeen tie by file name', () => {
    const verdicts = admit([good('b.yaml', 5, 'web'), good('a.yaml', 5, 'web')], LABELS, NO_OWNERS);
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'admitted', 'b.yaml': 'rejected' });
  });

  it('keeps the pod with the file that runs it, even when that file was seen later', () => {
    const owners = new Map<string, PodOwner>([['web', { file: key('a.yaml') }]]);
    const verdicts = admit([good('a.yaml', 200, 'web'), good('b.yaml', 100, 'web')], LABELS, owners);
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'admitted', 'b.yaml': 'rejected' });
    const b = verdict(verdicts, 'b.yaml');
    assert.ok(b.kind === 'rejected');
    assert.equal(b.other, 'a.yaml');
    assert.match(b.reason, /already used by a\.yaml/);
  });

  it('rejects a hostPort clash with an any-address claim, naming the port and the other file', () => {
    const verdicts = admit(
      [good('a.yaml', 1, 'alpha', { ports: [{ hostPort: 8080 }] }), good('b.yaml', 2, 'beta', { ports: [{ hostPort: 8080, hostIP: '127.0.0.1' }] })],
      LABELS, NO_OWNERS,
    );
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'admitted', 'b.yaml': 'rejected' });
    const b = verdict(verdicts, 'b.yaml');
    assert.ok(b.kind === 'rejected');
    assert.equal(b.other, 'a.yaml');
    assert.equal(b.reason, 'hostPort 127.0.0.1:8080/TCP is already claimed by pod "alpha" (a.yaml)');
  });

  it('treats hostIP 0.0.0.0 as every address', () => {
    const verdicts = admit(
      [good('a.yaml', 1, 'alpha', { ports: [{ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }] }), good('b.yaml', 2, 'beta', { ports: [{ hostPort: 53, protocol: 'UDP', hostIP: '0.0.0.0' }] })],
      LABELS, NO_OWNERS,
    );
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'admitted', 'b.yaml': 'rejected' });
    assert.match(reasonOf(verdicts, 'b.yaml'), /hostPort 53\/UDP is already claimed by pod "alpha"/);
  });

  it('admits the same port number for TCP and UDP', () => {
    const verdicts = admit(
      [good('a.yaml', 1, 'alpha', { ports: [{ hostPort: 8080, protocol: 'TCP' }] }), good('b.yaml', 2, 'beta', { ports: [{ hostPort: 8080, protocol: 'UDP' }] })],
      LABELS, NO_OWNERS,
    );
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'admitted', 'b.yaml': 'admitted' });
  });

  it('admits the same port on two distinct host addresses, but not twice on one', () => {
    const verdicts = admit(
      [
        good('a.yaml', 1, 'alpha', { ports: [{ hostPort: 8080, hostIP: '127.0.0.1' }] }),
        good('b.yaml', 2, 'beta', { ports: [{ hostPort: 8080, hostIP: '127.0.0.2' }] }),
        good('c.yaml', 3, 'gamma', { ports: [{ hostPort: 8080, hostIP: '127.0.0.2' }] }),
      ],
      LABELS, NO_OWNERS,
    );
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'admitted', 'b.yaml': 'admitted', 'c.yaml': 'rejected' });
    assert.match(reasonOf(verdicts, 'c.yaml'), /127\.0\.0\.2:8080\/TCP is already claimed by pod "beta" \(b\.yaml\)/);
  });

  it('skips a file whose nodeSelector does not match, naming what it wants and what the machine has', () => {
    const verdicts = admit([good('a.yaml', 1, 'web', { nodeSelector: { role: 'db', zone: 'rack-3' } })], LABELS, NO_OWNERS);
    const a = verdict(verdicts, 'a.yaml');
    assert.equal(a.kind, 'skipped');
    assert.equal(a.reason, 'nodeSelector does not match this machine: role=db (machine has edge), zone=rack-3 (label not set)');
  });

  it('admits a file whose nodeSelector matches; a skipped file reserves neither name nor ports', () => {
    const verdicts = admit(
      [good('a.yaml', 1, 'web', { nodeSelector: { role: 'db' }, ports: [{ hostPort: 80 }] }), good('b.yaml', 2, 'web', { nodeSelector: { role: 'edge' }, ports: [{ hostPort: 80 }] })],
      LABELS, NO_OWNERS,
    );
    assert.deepEqual(kinds(verdicts), { 'a.yaml': 'skipped', 'b.yaml': 'admitted' });
  });

  it('keeps the name and ports of a running pod whose file turned invalid reserved', () => {
    const owners = new Map<string, PodOwner>([['web', { file: key('web.yaml'), spec: specOf('web', { ports: [{ hostPort: 8080 }] }) }]]);
    const verdicts = admit(
      [bad('web.yaml', 1, 'web'), good('copy.yaml', 2, 'web'), good('other.yaml', 3, 'other', { ports: [{ hostPort: 8080 }] }), good('free.yaml', 4, 'free', { ports: [{ hostPort: 9090 }] })],
      LABELS, owners,
    );
    assert.deepEqual(kinds(verdicts), { 'web.yaml': 'invalid', 'copy.yaml': 'rejected', 'other.yaml': 'rejected', 'free.yaml': 'admitted' });
    const invalid = verdict(verdicts, 'web.yaml');
    assert.ok(invalid.kind === 'invalid');
    assert.equal(invalid.pod, 'web');
    assert.equal(invalid.reason, 'web.yaml:1:1: broken');
    const copy = verdict(verdicts, 'copy.yaml');
    assert.ok(copy.kind === 'rejected');
    assert.equal(copy.other, 'web.yaml');
    const other = verdict(verdicts, 'other.yaml');
    assert.ok(other.kind === 'rejected');
    assert.equal(other.other, 'web.yaml');
    assert.match(other.reason, /hostPort 8080\/TCP is already claimed by pod "web" \(web\.yaml\)/);
  });

  it('reserves nothing for an invalid file that runs no pod', () => {
    const verdicts = admit([bad('web.yaml', 1, 'web'), good('copy.yaml', 2, 'web')], LABELS, NO_OWNERS);
    assert.deepEqual(kinds(verdicts), { 'web.yaml': 'invalid', 'copy.yaml': 'admitted' });
    const invalid = verdict(verdicts, 'web.yaml');
    assert.ok(invalid.kind === 'invalid');
    assert.equal(invalid.pod, 'web');
    assert.equal(verdict(admit([bad('x.yaml', 1)], LABELS, NO_OWNERS), 'x.yaml').pod, undefined);
  });

  it('gives the same verdicts whatever the order of the candidates', () => {
    const candidates = [
      good('a.yaml', 30, 'web', { ports: [{ hostPort: 80 }] }),
      good('b.yaml', 10, 'web'),
      good('c.yaml', 20, 'api', { ports: [{ hostPort: 80 }] }),
      good('d.yaml', 20, 'db', { ports: [{ hostPort: 5432 }] }),
      good('e.yaml', 20, 'db2', { ports: [{ hostPort: 5432 }] }),
      good('f.yaml', 5, 'edge', { nodeSelector: { role: 'core' } }),
      bad('g.yaml', 1, 'api'),
    ];
    const owners = new Map<string, PodOwner>([['web', { file: key('a.yaml') }]]);
    const canonical = (verdicts: Map<PodFileKey, FileVerdict>): [string, FileVerdict][] => [...verdicts].sort(([x], [y]) => (x < y ? -1 : 1));
    const expected = canonical(admit(candidates, LABELS, owners));
    assert.deepEqual(Object.fromEntries(expected.map(([file, v]) => [file, v.kind])), {
      'a.yaml': 'admitted', 'b.yaml': 'rejected', 'c.yaml': 'rejected', 'd.yaml': 'admitted', 'e.yaml': 'rejected', 'f.yaml': 'skipped', 'g.yaml': 'invalid',
    });
    // A deterministic shuffle (a small LCG), many times over.
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let round = 0; round < 50; round++) {
      const shuffled = [...candidates];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = next() % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j] as Candidate, shuffled[i] as Candidate];
      }
      assert.deepEqual(canonical(admit(shuffled, LABELS, owners)), expected, `order ${shuffled.map((c) => c.key).join(',')}`);
    }
  });
});

describe('daemon/admission hostPortsOf', () => {
  it('lists published ports only, with 0.0.0.0 and :: as every address', () => {
    const spec = specOf('web', { ports: [{ hostPort: 80 }, { hostPort: 53, protocol: 'UDP', hostIP: '::' }, { hostPort: 443, hostIP: '10.1.2.3' }] });
    assert.deepEqual(hostPortsOf(spec, key('web.yaml')), [
      { protocol: 'TCP', port: 80, ip: undefined, pod: 'web', file: 'web.yaml' },
      { protocol: 'UDP', port: 53, ip: undefined, pod: 'web', file: 'web.yaml' },
      { protocol: 'TCP', port: 443, ip: '10.1.2.3', pod: 'web', file: 'web.yaml' },
    ]);
    assert.deepEqual(hostPortsOf(specOf('plain'), key('plain.yaml')), []);
  });
});

describe('daemon/admission sameVerdict', () => {
  it('compares kind, file, pod, hash and reason; an admitted spec by its hash', () => {
    const a = admit([good('a.yaml', 1, 'web')], LABELS, NO_OWNERS);
    const again = admit([good('a.yaml', 2, 'web')], LABELS, NO_OWNERS);
    const edited = admit([good('a.yaml', 1, 'web', { image: 'busybox:1.37' })], LABELS, NO_OWNERS);
    const broken = admit([bad('a.yaml', 1, 'web')], LABELS, NO_OWNERS);
    assert.equal(sameVerdict(verdict(a, 'a.yaml'), verdict(again, 'a.yaml')), true, 'read again, same content');
    assert.equal(sameVerdict(verdict(a, 'a.yaml'), verdict(edited, 'a.yaml')), false, 'another spec hash');
    assert.equal(sameVerdict(verdict(a, 'a.yaml'), verdict(broken, 'a.yaml')), false, 'another kind');
    assert.equal(sameVerdict(verdict(broken, 'a.yaml'), verdict(broken, 'a.yaml')), true);
    assert.equal(sameVerdict(undefined, verdict(a, 'a.yaml')), false);
    assert.equal(sameVerdict(undefined, undefined), true);
  });
});

describe('daemon statusWriteDelay', () => {
  it('keeps status writes to a tenth of the time, between 20 ms and 1 s apart', () => {
    assert.equal(statusWriteDelay(0), 20);
    assert.equal(statusWriteDelay(1.5), 20);
    assert.equal(statusWriteDelay(7.2), 72);
    assert.equal(statusWriteDelay(500), 1000);
  });
});
