// What binding ConfigMap/Secret references costs the daemon's admission: every readmit binds
// every parsed pod file (source.ts). 1,000 pod files, each with envFrom, a configMapKeyRef, a
// secretKeyRef and a secret volume, against 100 shared objects; and 1,000 files without any
// reference (the common case, which must stay free). Run after `npm run build`.
import { performance } from 'node:perf_hooks';
import { bindPodConfig, parsePodFile, sharedConfigObjects, parseConfigObjectFile } from '../dist/src/podfile/index.js';

const objects = [];
for (let i = 0; i < 50; i++) {
  const cm = parseConfigObjectFile(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}}\ndata: {mode: fast, level: "${i}", extra: "${'x'.repeat(200)}"}\n`, 'cm.yaml', 'ConfigMap');
  const s = parseConfigObjectFile(`apiVersion: v1\nkind: Secret\nmetadata: {name: s-${i}}\nstringData: {password: p${i}, token: "${'y'.repeat(200)}"}\n`, 's.yaml', 'Secret');
  objects.push(...cm.objects, ...s.objects);
}
const shared = sharedConfigObjects(objects);
const pod = (i, refs) => `apiVersion: v1
kind: Pod
metadata: {name: p-${i}}
spec:
  containers:
  - name: app
    image: busybox
${refs ? `    envFrom: [{configMapRef: {name: cm-${i % 50}}}]
    env:
    - {name: MODE, valueFrom: {configMapKeyRef: {name: cm-${i % 50}, key: mode}}}
    - {name: PW, valueFrom: {secretKeyRef: {name: s-${i % 50}, key: password}}}
    volumeMounts: [{name: creds, mountPath: /etc/creds}]
  volumes:
  - {name: creds, secret: {secretName: s-${i % 50}}}
` : ''}`;
for (const refs of [false, true]) {
  const parsed = Array.from({ length: 1000 }, (_, i) => parsePodFile(pod(i, refs), `p-${i}.yaml`));
  const times = [];
  for (let round = 0; round < 20; round++) {
    const start = performance.now();
    for (const result of parsed) bindPodConfig(result.spec, result.hash, result.objects, shared);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(`${refs ? 'with references   ' : 'without references'}: bind 1,000 pod files: median ${times[10].toFixed(2)} ms, min ${times[0].toFixed(2)} ms`);
}
