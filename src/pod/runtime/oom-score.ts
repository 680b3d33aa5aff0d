/**
 * @module pod/runtime/oom-score — which OOM score adjustment an app gets, and how it is applied.
 *
 * **Value.** `rocklet.io/oom-score-adj` (appc `os/linux/oom-score-adj`) when given. Otherwise a
 * pod with a system priority class gets what kubelet gives (pkg/kubelet/qos/policy.go,
 * `GetContainerOOMScoreAdjust`): every pod in a file is a static pod and so critical to kubelet,
 * and `system-node-critical` gets -997 whatever its resources; `system-cluster-critical` gets
 * kubelet's score for its QoS class: Guaranteed -997, Burstable `1000 - 1000 * request /
 * capacity` kept within 3…999, BestEffort 1000. Ordinary pods keep the score they inherit (the
 * host's default), as before.
 *
 * **Application.** Lowering a score below the one a process inherited needs CAP_SYS_RESOURCE
 * (the kernel's oom_score_adj_min rule). crun writes `process.oomScoreAdj` itself and fails the
 * start with EACCES when it cannot (issue 12: on a host, or a test systemd, without that
 * capability in its bounding set, `rocklet.io/oom-score-adj: "-100"` made every app unit exit
 * 1). So under systemd the app unit carries `OOMScoreAdjust=` and config.json none: systemd
 * sets it for every process of the unit before exec (crun inherits it) and, where the kernel
 * refuses, logs that and starts the app anyway ("assuming containerized execution"). The
 * standalone supervisor has no unit: it writes the value into config.json only when this process
 * may set it ({@link applicableOomScoreAdj}) and otherwise tells the user it is skipped.
 */
import { readFile } from 'node:fs/promises';
import type { ContainerSpec, PodSpec } from '../../podfile/index.js';

/** kubelet's guaranteedOOMScoreAdj. */
export const CRITICAL_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** Kubernetes' QoS class of a pod (requests default to limits, as in the PodSpec). */
export function qosClass(spec: PodSpec): QosClass {
  const all = [...spec.initContainers, ...spec.containers];
  const hasAny = all.some((c) => c.resources.cpu !== undefined || c.resources.memory !== undefined);
  if (!hasAny) return 'BestEffort';
  const guaranteed = all.every((c) => {
    const { cpu, memory } = c.resources;
    return cpu?.limitMillicores !== undefined && memory?.limitBytes !== undefined && cpu.requestMillicores === cpu.limitMillicores && memory.requestBytes === memory.limitBytes;
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The score of `container` in `spec` (see the module doc); undefined: leave the inherited one. */
export function containerOomScoreAdj(spec: PodSpec, container: ContainerSpec, memoryCapacityBytes: number): number | undefined {
  if (container.security.oomScoreAdj !== undefined) return container.security.oomScoreAdj;
  if (spec.priorityClassName === undefined) return undefined;
  if (spec.priorityClassName === 'system-node-critical') return CRITICAL_OOM_SCORE_ADJ;
  switch (qosClass(spec)) {
    case 'Guaranteed':
      return CRITICAL_OOM_SCORE_ADJ;
    case 'BestEffort':
      return BEST_EFFORT_OOM_SCORE_ADJ;
    case 'Burstable': {
      const request = container.resources.memory?.requestBytes ?? 0;
      const score = 1000 - Math.floor((1000 * request) / Math.max(memoryCapacityBytes, 1));
      if (score < 1000 + CRITICAL_OOM_SCORE_ADJ) return 1000 + CRITICAL_OOM_SCORE_ADJ;
      return score === BEST_EFFORT_OOM_SCORE_ADJ ? score - 1 : score;
    }
  }
}

const CAP_SYS_RESOURCE_BIT = 24n;

/**
 * `wanted` when this process may give it to a child (it is not below our own score, or we hold
 * CAP_SYS_RESOURCE), else undefined.
 */
export async function applicableOomScoreAdj(wanted: number): Promise<number | undefined> {
  const own = Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
  if (wanted >= own) return wanted;
  const status = await readFile('/proc/self/status', 'utf8');
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return effective !== undefined && (BigInt(`0x${effective}`) >> CAP_SYS_RESOURCE_BIT) & 1n ? wanted : undefined;
}
