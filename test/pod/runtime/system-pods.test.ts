/** Pure parts of system pods: sidecar/tty/OOM units, kubelet's OOM scores, seccomp profile files, the bounding set. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodUuid } from '../../../src/pod/index.js';
import { containerOomScoreAdj, parseSeccompProfile, podStore, podUnits, qosClass, rockletStatePaths } from '../../../src/pod/index.js';
import { boundingCapabilities } from '../../../src/pod/stage1/privileged.js';
import type { UnitName } from '../../../src/systemd/index.js';
import { buildUnitProperties, parseUnitName } from '../../../src/systemd/index.js';
import { podSpec } from '../../podfile/helpers.js';
import { busyboxApp, podPlan } from './fixture.js';

const UUID = '0b6f2f5c-3a41-4c55-9a0e-1f5b0d2d9e11' as PodUuid;

function units(apps: Parameters<typeof podPlan>[0]) {
  const plan = podPlan(apps, { podName: 'sys' });
  return podUnits<UnitName>({ uuid: UUID, plan, store: podStore('/var/lib/rocklet'), rocklet: ['/usr/bin/rocklet'], crun: '/usr/bin/crun', unitName: parseUnitName });
}

describe('units of system pods', () => {
  it('a sidecar is a restarting exec unit after the inits before it; later units follow it without requiring it', () => {
    const [migrate, proxy, seed, web] = units([
      busyboxApp('t', 'web', ['httpd']),
      busyboxApp('t', 'migrate', ['true'], { init: true }),
      busyboxApp('t', 'proxy', ['sleep', '1d'], { init: true, sidecar: true, restart: 'Always' }),
      busyboxApp('t', 'seed', ['true'], { init: true }),
    ]).apps;
    assert.deepEqual([migrate?.app, proxy?.app, seed?.app, web?.app], ['migrate', 'proxy', 'seed', 'web']);
    assert.equal(proxy?.properties.type, 'exec');
    assert.equal(proxy?.properties.restart, 'always');
    assert.deepEqual(proxy?.properties.after, ['rocklet-sys.service', 'rocklet-sys_migrate.service']);
    assert.deepEqual(proxy?.properties.requires, ['rocklet-sys_migrate.service']);
    assert.deepEqual(seed?.properties.after, ['rocklet-sys.service', 'rocklet-sys_migrate.service', 'rocklet-sys_proxy.service']);
    assert.deepEqual(seed?.properties.requires, ['rocklet-sys_migrate.service'], 'not the sidecar: its restarts must not stop others');
    assert.deepEqual(web?.properties.after, ['rocklet-sys.service', 'rocklet-sys_migrate.service', 'rocklet-sys_proxy.service', 'rocklet-sys_seed.service']);
    assert.deepEqual(web?.properties.requires, ['rocklet-sys_seed.service']);
  });

  it('OOMScoreAdjust= carries the app\'s score; a tty app runs crun under script', () => {
    const [app] = units([busyboxApp('t', 'main', ['sh'], { oomScoreAdj: -997, tty: true })]).apps;
    assert.equal(app?.properties.oomScoreAdjust, -997);
    const exec = app?.properties.execStart?.[0];
    assert.equal(exec?.path, '/usr/bin/script');
    assert.deepEqual(exec?.argv.slice(0, 6), ['/usr/bin/script', '--quiet', '--return', '--echo', 'never', '--command']);
    assert.match(exec?.argv[6] ?? '', /^'\/usr\/bin\/crun' '--root=\/run\/rocklet\/crun' '--cgroup-manager=disabled' 'run' /);
    assert.equal(exec?.argv[7], '/dev/null');
    assert.ok(buildUnitProperties(app?.properties ?? {}).some(([name, sig, value]) => name === 'OOMScoreAdjust' && sig === 'i' && value === -997));
  });
});

describe("kubelet's OOM scores for priority classes", () => {
  const GiB = 1024 ** 3;
  it('system-node-critical: -997 whatever the resources; the annotation wins', () => {
    const spec = podSpec({ spec: '  priorityClassName: system-node-critical' });
    assert.equal(containerOomScoreAdj(spec, spec.containers[0]!, 8 * GiB), -997);
    const annotated = podSpec({ spec: '  priorityClassName: system-node-critical', metadata: '  annotations: {rocklet.io/oom-score-adj: "-5"}' });
    assert.equal(containerOomScoreAdj(annotated, annotated.containers[0]!, 8 * GiB), -5);
    const plain = podSpec();
    assert.equal(containerOomScoreAdj(plain, plain.containers[0]!, 8 * GiB), undefined);
  });

  it('system-cluster-critical: by QoS class (Guaranteed, Burstable formula, BestEffort)', () => {
    const cls = '  priorityClassName: system-cluster-critical';
    const guaranteed = podSpec({ spec: cls, container: '      resources: {limits: {cpu: "1", memory: 1Gi}}' });
    assert.equal(qosClass(guaranteed), 'Guaranteed');
    assert.equal(containerOomScoreAdj(guaranteed, guaranteed.containers[0]!, 8 * GiB), -997);
    const burstable = podSpec({ spec: cls, container: '      resources: {requests: {memory: 2Gi}}' });
    assert.equal(qosClass(burstable), 'Burstable');
    assert.equal(containerOomScoreAdj(burstable, burstable.containers[0]!, 8 * GiB), 750);
    const huge = podSpec({ spec: cls, container: '      resources: {requests: {memory: 8Gi}}' });
    assert.equal(containerOomScoreAdj(huge, huge.containers[0]!, 8 * GiB), 3);
    const bestEffort = podSpec({ spec: cls });
    assert.equal(containerOomScoreAdj(bestEffort, bestEffort.containers[0]!, 8 * GiB), 1000);
  });
});

describe('seccomp Localhost profile files', () => {
  it('accepts the OCI format of the Kubernetes examples', () => {
    const profile = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]}', 'p.json');
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(profile.syscalls.length, 2);
    assert.deepEqual(profile.syscalls[1]?.args, [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }]);
    assert.equal(parseSeccompProfile('{"defaultAction":"SCMP_ACT_LOG"}', 'audit.json').syscalls.length, 0);
  });

  it('refuses what crun would misread, naming the file and the JSON path', () => {
    const refuses = (text: string, message: RegExp): void => {
      assert.throws(() => parseSeccompProfile(text, '/etc/rocklet/seccomp/p.json'), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_SECCOMP_PROFILE_INVALID');
        assert.match(error.message, message);
        return true;
      });
    };
    refuses('{"defaultAction":', /seccomp profile \/etc\/rocklet\/seccomp\/p.json: not valid JSON/);
    refuses('[]', /must be a JSON object/);
    refuses('{"defaultAction":"SCMP_ACT_MAYBE"}', /defaultAction: must be one of SCMP_ACT_ALLOW/);
    refuses('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO"}]}', /syscalls\[0\]\.name: unknown field/);
    refuses('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":-1}]}', /syscalls\[0\]\.errnoRet: must be a non-negative integer/);
    refuses('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"LIKE"}]}]}', /args\[0\]\.op: must be one of/);
  });
});

describe('privileged apps and the hostPath guard', () => {
  it('reads the bounding set by bit number', () => {
    const caps = boundingCapabilities('Name:\tx\nCapBnd:\t000001fffeffffff\n');
    assert.equal(caps.length, 40);
    assert.ok(!caps.includes('CAP_SYS_RESOURCE' as never));
    assert.ok(caps.includes('CAP_SYS_ADMIN' as never));
    assert.deepEqual(boundingCapabilities('CapBnd:\t0000000000000001\n'), ['CAP_CHOWN']);
  });

  it("protects the defaults and the directories in use", () => {
    const paths = rockletStatePaths({ dataDir: '/srv/rocklet', configDir: '/etc/rocklet', runDir: '/run/rocklet' }).map((p) => p.path);
    assert.deepEqual(paths, ['/var/lib/rocklet', '/run/rocklet', '/etc/rocklet', '/etc/pods', '/srv/rocklet']);
  });
});
