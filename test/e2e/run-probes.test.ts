/**
 * e2e: probes and lifecycle hooks of a standalone pod (`rocklet run --pod-file`), run by its
 * supervisor: the postStart hook's output, readiness becoming true (an exec probe) and an
 * httpGet liveness probe into the pod's network namespace that starts failing stop that app,
 * which ends the pod (standalone pods are not restarted); preStop runs before the SIGTERM.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAppAci } from '../pod/runtime/aci.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

// httpd serves /www/healthz for about 3 s, then the file goes: the liveness probe fails.
const POD = `apiVersion: v1
kind: Pod
metadata: {name: standalone-probes}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 3
  containers:
  - name: web
    image: busybox:1.36
    command: [/bin/sh, -c, 'mkdir -p /www && echo ok > /www/healthz && httpd -p 8080 -h /www && sleep 3 && rm /www/healthz && trap "cat /tmp/prestop; echo got-term; exit 0" TERM; while true; do sleep 0.2; done']
    ports: [{name: http, containerPort: 8080}]
    livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1, failureThreshold: 2}
    readinessProbe: {exec: {command: [/bin/true]}, periodSeconds: 1, timeoutSeconds: 5}
    lifecycle:
      postStart: {exec: {command: [/bin/sh, -c, 'echo hello-from-poststart']}}
      preStop: {exec: {command: [/bin/sh, -c, 'echo prestop-ran > /tmp/prestop']}}
`;

describe('e2e: standalone pod probes and hooks', { timeout: 180_000 }, () => {
  let fx: RuntimeFixture;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-run-probes');
    const aci = path.join(fx.tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
    const fetched = await fx.rocklet(['--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
  });
  after(() => fx?.dispose());

  it('runs postStart, readiness, and stops the app whose liveness probe fails (preStop before SIGTERM)', async () => {
    const file = path.join(fx.tmp.path, 'pod.yaml');
    await writeFile(file, POD);
    const result = await fx.rocklet(['run', `--pod-file=${file}`]);
    assert.match(result.stderr, /app "web" postStart: hello-from-poststart/);
    assert.match(result.stderr, /app "web" is ready/);
    assert.match(result.stderr, /app "web": liveness probe failed 2 times \(HTTP probe failed with statuscode: 404/);
    // The TERM trap found the file preStop wrote: the hook ran before SIGTERM.
    assert.match(result.stdout, /prestop-ran\ngot-term/, result.stderr);
    assert.equal(result.code, 0, `the app exited 0 from its TERM trap\n${result.stderr}`);
  });
});
