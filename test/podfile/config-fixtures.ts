/** Shared fixtures of the ConfigMap/Secret and projected-volume tests. */

/** A Secret document `creds` with `password: secret` (base64 in `data`). */
export const CREDS_SECRET = `---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {password: c2VjcmV0}
`;

/** What the downward API reads about a pod and its node, fixed for the tests. */
export const DOWNWARD_VALUES = { uid: 'u-1', nodeName: 'node-1', podIP: '', hostIP: '', cpuMillicores: 2000, memoryBytes: 1 << 30 };
