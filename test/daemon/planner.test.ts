import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActualPod, FileVerdict, PodAction, PodFileKey } from '../../src/daemon/index.js';
import { changesSomething, decidePod, specChanges } from '../../src/daemon/index.js';
import type { PodSpec, SpecHash } from '../../src/podfile/index.js';
import type { UnitStatus } from '../../src/systemd/index.js';
import { parseUnitName } from '../../src/systemd/index.js';
import { valid } from '../podfile/helpers.js';

const key = (name: string): PodFileKey => name as PodFileKey;

function podYaml(name: string, options: { image?: string; restartPolicy?: string; sidecar?: boolean } = {}): string {
  return [
    'apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${name}`, 'spec:',
    ...(options.restartPolicy === undefined ? [] : [`  restartPolicy: ${options.restartPolicy}`]),
    '  containers:', '    - name: web', `      image: ${options.image ?? 'nginx:1.27'}`,
    ...(options.sidecar === true ? ['    - name: log', '      image: busybox:1.36'] : []),
    '',
  ].join('\n');
}

function parsed(name: string, file: string, options: Parameters<typeof podYaml>[1] = {}): { spec: PodSpec; hash: SpecHash } {
  const result = valid(podYaml(name, options), file);
  return { spec: result.spec, hash: result.hash };
}

function unit(name: string, activeState: UnitStatus['activeState'], subState: UnitStatus['subState'], extra: Partial<UnitStatus> = {}): UnitStatus {
  return {
    name: parseUnitName(name), description: '', loadState: 'loaded', activeState, subState, invocationId: undefined, result: 'success',
    mainPid: 0, execMainStatus: undefined, execMainCode: undefined, nRestarts: 0, environment: [], execStart: undefined,
    memoryMaxBytes: undefined, tasksMax: undefined, cpuQuotaPerSecUSec: undefined, controlGroup: undefined, ...extra,
  };
}

function running(pod: string, file: string | undefined, hash: string | undefined, sandbox: UnitStatus | undefined = unit(`rocklet-${pod}.service`, 'active', 'running')): ActualPod {
  return { pod, uuid: 'a1b2c3d4-0000-4000-8000-000000000001', hash, file: file === undefined ? undefined : key(file), sandbox, apps: new Map() };
}

function admitted(file: string, pod: string, options: Parameters<typeof podYaml>[1] = {}): FileVerdict {
  const { spec, hash } = parsed(pod, file, options);
  return { kind: 'admitted', key: key(file), pod, spec, hash };
}

function verdictMap(...verdicts: FileVerdict[]): Map<PodFileKey, FileVerdict> {
  return new Map(verdicts.map((v) => [v.key, v]));
}

function expectKind<K extends PodAction['kind']>(action: PodAction | undefined, kind: K): Extract<PodAction, { kind: K }> {
  if (action?.kind !== kind) assert.fail(`expected ${kind}, got ${JSON.stringify(action)}`);
  return action as Extract<PodAction, { kind: K }>;
}

describe('daemon/planner decidePod', () => {
  const web = admitted('web.yaml', 'web');
  const webHash = web.kind === 'admitted' ? web.hash : assert.fail('admitted');

  it('starts an admitted pod that has no units', () => {
    const action = expectKind(decidePod('web', verdictMap(web), undefined, undefined), 'start');
    assert.deepEqual(action, { kind: 'start', pod: 'web', file: 'web.yaml', hash: webHash, reason: 'not running' });
    assert.equal(changesSomething(action), true);
  });

  it('adopts a running pod whose units carry the admitted hash', () => {
    const action = decidePod('web', verdictMap(web), running('web', 'web.yaml', webHash), undefined);
    assert.deepEqual(action, { kind: 'adopt', pod: 'web', file: 'web.yaml', hash: webHash });
    assert.equal(changesSomething(expectKind(action, 'adopt')), false);
  });

  it('adopts a pod whose sandbox is still activating', () => {
    const actual = running('web', 'web.yaml', webHash, unit('rocklet-web.service', 'activating', 'start'));
    expectKind(decidePod('web', verdictMap(web), actual, undefined), 'adopt');
  });

  it('updates a running pod with another hash, listing the changed fields', () => {
    const old = parsed('web', 'web.yaml', { image: 'nginx:1.26', restartPolicy: 'OnFailure' });
    const action = expectKind(decidePod('web', verdictMap(web), running('web', 'web.yaml', old.hash), old.spec), 'update');
    assert.equal(action.fromHash, old.hash);
    assert.equal(action.hash, webHash);
    assert.equal(action.file, 'web.yaml');
    assert.deepEqual([...action.changes].sort(), ['containers[web].image', 'restartPolicy']);
  });

  it('updates with no change list when the applied spec is unknown, and says "none" for a unit without a hash', () => {
    const action = expectKind(decidePod('web', verdictMap(web), running('web', 'web.yaml', undefined), undefined), 'update');
    assert.equal(action.fromHash, 'none');
    assert.deepEqual(action.changes, []);
  });

  it('starts again when the sandbox unit failed, naming its state', () => {
    const actual = running('web', 'web.yaml', webHash, unit('rocklet-web.service', 'failed', 'failed', { result: 'exit-code' }));
    const action = expectKind(decidePod('web', verdictMap(web), actual, undefined), 'start');
    assert.equal(action.reason, 'its sandbox unit is failed');
  });

  it('keeps a running pod whose file turned invalid', () => {
    const invalid: FileVerdict = { kind: 'invalid', key: key('web.yaml'), reason: 'web.yaml:3:1: broken', pod: 'web' };
    const action = expectKind(decidePod('web', verdictMap(invalid), running('web', 'web.yaml', webHash), undefined), 'keep');
    assert.equal(action.file, 'web.yaml');
    assert.match(action.reason, /web\.yaml is invalid; the last good version keeps running/);
    assert.equal(changesSomething(action), false);
  });

  it('stops, rather than keeps, an invalid file\'s pod whose sandbox is down', () => {
    const invalid: FileVerdict = { kind: 'invalid', key: key('web.yaml'), reason: 'broken', pod: 'web' };
    const actual = running('web', 'web.yaml', webHash, unit('rocklet-web.service', 'inactive', 'dead'));
    expectKind(decidePod('web', verdictMap(invalid), actual, undefined), 'stop');
  });

  it('gives a true stop reason for an invalid file\'s pod whose sandbox is down (not "now defines" the same pod)', () => {
    const invalid: FileVerdict = { kind: 'invalid', key: key('web.yaml'), reason: 'web.yaml:3:1: broken', pod: 'web' };
    const actual = running('web', 'web.yaml', webHash, unit('rocklet-web.service', 'failed', 'failed', { result: 'exit-code' }));
    const action = expectKind(decidePod('web', verdictMap(invalid), actual, undefined), 'stop');
    // The file still names pod "web": it does not "now define" it; the reason should say the file is invalid.
    assert.doesNotMatch(action.reason, /now defines pod "web"/);
    assert.match(action.reason, /invalid/);
    const nameless: FileVerdict = { kind: 'invalid', key: key('web.yaml'), reason: 'web.yaml:1:1: not YAML' };
    assert.doesNotMatch(expectKind(decidePod('web', verdictMap(nameless), actual, undefined), 'stop').reason, /now defines pod "\?"/);
  });

  it('stops a pod whose file was removed', () => {
    const action = expectKind(decidePod('web', verdictMap(), running('web', 'web.yaml', webHash), undefined), 'stop');
    assert.deepEqual(action, { kind: 'stop', pod: 'web', file: 'web.yaml', reason: 'web.yaml was removed' });
    assert.equal(changesSomething(action), true);
  });

  it('stops a pod whose file no longer matches the nodeSelector, with that reason', () => {
    const skipped: FileVerdict = { kind: 'skipped', key: key('web.yaml'), pod: 'web', hash: webHash, reason: 'nodeSelector does not match this machine: role=db (label not set)' };
    const action = expectKind(decidePod('web', verdictMap(skipped), running('web', 'web.yaml', webHash), undefined), 'stop');
    assert.equal(action.reason, 'web.yaml: nodeSelector does not match this machine: role=db (label not set)');
  });

  it('stops a pod whose file lost a conflict, or now defines another pod', () => {
    const rejected: FileVerdict = { kind: 'rejected', key: key('web.yaml'), pod: 'web', hash: webHash, other: key('a.yaml'), reason: 'pod name "web" is already used by a.yaml' };
    assert.equal(expectKind(decidePod('web', verdictMap(rejected), running('web', 'web.yaml', webHash), undefined), 'stop').reason,
      'web.yaml was rejected: pod name "web" is already used by a.yaml');
    const renamed = admitted('web.yaml', 'api');
    assert.equal(expectKind(decidePod('web', verdictMap(renamed), running('web', 'web.yaml', webHash), undefined), 'stop').reason, 'web.yaml now defines pod "api"');
  });

  it('stops a pod whose units name no file, and does nothing for a pod nobody wants that does not run', () => {
    assert.equal(expectKind(decidePod('web', verdictMap(), running('web', undefined, webHash), undefined), 'stop').reason, 'its units name no pod file');
    assert.equal(decidePod('web', verdictMap(), undefined, undefined), undefined);
  });

  it('decides for the admitted file even when another file ran the pod', () => {
    const moved = admitted('new.yaml', 'web');
    const action = expectKind(decidePod('web', verdictMap(moved), running('web', 'old.yaml', webHash), undefined), 'adopt');
    assert.equal(action.file, 'new.yaml');
  });
});

describe('daemon/planner specChanges', () => {
  it('is empty for equal specs', () => {
    const a = parsed('web', 'web.yaml');
    assert.deepEqual(specChanges(a.spec, parsed('web', 'web.yaml').spec), []);
  });

  it('names containers by name, and reports added and removed ones', () => {
    const one = parsed('web', 'web.yaml').spec;
    const two = parsed('web', 'web.yaml', { sidecar: true }).spec;
    assert.deepEqual(specChanges(one, two), ['containers[log] added']);
    assert.deepEqual(specChanges(two, one), ['containers[log] removed']);
  });

  it('names the changed field of a container and top-level fields', () => {
    const before = parsed('web', 'web.yaml').spec;
    const after = parsed('web', 'web.yaml', { image: 'nginx:1.28', restartPolicy: 'Never' }).spec;
    assert.deepEqual(specChanges(before, after), ['containers[web].image', 'restartPolicy']);
  });
});
