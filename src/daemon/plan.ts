/**
 * @module daemon/plan — `rocklet plan`: what the daemon would do now, computed with the same
 * admission and planner code, changing nothing (terraform's plan).
 */
import { hostname } from 'node:os';
import type { SystemdManager } from '../systemd/index.js';
import { admit } from './admission.js';
import type { PodOwner } from './admission.js';
import type { ActualPod } from './actual.js';
import { readActualPods, withLiveness } from './actual.js';
import type { AppliedRecords } from './applied.js';
import type { MachineLabels } from './machine-labels.js';
import { changesSomething, decidePod } from './planner.js';
import { PodFileCache } from './source.js';
import { containerResources, missingControllerError } from '../pod/index.js';
import type { PodSpec } from '../podfile/index.js';
import { readSharedConfigObjects } from '../podfile/index.js';
import type { PodFileKey } from './pod-dir.js';

export type PlanAction = 'start' | 'update' | 'stop' | 'adopt' | 'keep' | 'skip' | 'reject' | 'invalid';

export interface PlanEntry {
  readonly file: string | undefined;
  readonly pod: string | undefined;
  readonly action: PlanAction;
  readonly reason: string | undefined;
  /** For `update`: the fields that differ from the running version (when known). */
  readonly changes?: readonly string[];
  /** Whether carrying it out changes anything. */
  readonly changing: boolean;
}

export interface PlanResult {
  readonly entries: readonly PlanEntry[];
  readonly changing: number;
}

export interface PlanInputs {
  readonly podDir: string;
  readonly labels: MachineLabels;
  /** undefined: no systemd to ask (every admitted pod would start). */
  readonly manager: SystemdManager | undefined;
  readonly applied: AppliedRecords;
  /** The data dir, to tell whether a pod whose units run is alive in the pod store. */
  readonly dataDir: string;
  /** This machine's name for spec.nodeName (default: the hostname). */
  readonly nodeName?: string;
  /** false: a bundle in a checkout (see unsafeFileReason); default true. */
  readonly checkOwner?: boolean;
  /** The config dir: its configmaps/ and secrets/ bind the pod files as the daemon binds them. */
  readonly configDir?: string;
  /**
   * The cgroup controllers of the machine the plan is for (pod/stage1 availableControllers): a
   * start or update whose limits they cannot enforce is marked as failing, as the daemon would
   * refuse it. Undefined (a bundle planned for another machine): not checked.
   */
  readonly controllers?: ReadonlySet<string>;
}

/** `reason`, plus why the daemon would refuse to start the pod here (limits it cannot enforce). */
function withLimitVerdict(reason: string, spec: PodSpec | undefined, controllers: ReadonlySet<string> | undefined): string {
  if (spec === undefined || controllers === undefined) return reason;
  const apps = [...spec.initContainers, ...spec.containers].map((container) => ({ name: container.name, resources: containerResources(container) }));
  const error = missingControllerError(apps, controllers);
  return error === undefined ? reason : `${reason}; it will fail: ${error.message}`;
}

/** The plan for the pod directory against the units systemd has now. */
export async function computePlan(inputs: PlanInputs): Promise<PlanResult> {
  const files = new PodFileCache(inputs.podDir, inputs.nodeName ?? hostname(), undefined, inputs.checkOwner ?? true);
  if (inputs.configDir !== undefined) files.shared = await readSharedConfigObjects(inputs.configDir);
  await files.scan();
  const actual = inputs.manager === undefined ? new Map<string, ActualPod>() : await readActualPods(inputs.manager);
  for (const [pod, entry] of actual) {
    const checked = await withLiveness(inputs.dataDir, entry);
    if (checked !== undefined) actual.set(pod, checked);
  }
  const owners = new Map<string, PodOwner>();
  for (const [pod, entry] of actual) {
    if (entry.file === undefined) continue;
    const applied = inputs.applied.get(pod);
    owners.set(pod, { file: entry.file, ...(applied !== undefined && applied.hash === entry.hash ? { spec: applied.spec } : {}) });
  }
  const verdicts = admit(files.candidates(), inputs.labels, owners);
  const entries: PlanEntry[] = [];
  const pods = new Set<string>(actual.keys());
  for (const verdict of verdicts.values()) {
    if (verdict.kind === 'admitted') pods.add(verdict.pod);
    else if (verdict.kind !== 'invalid' || verdict.pod === undefined || actual.get(verdict.pod)?.file !== verdict.key) {
      const action = verdict.kind === 'invalid' ? 'invalid' : verdict.kind === 'skipped' ? 'skip' : 'reject';
      entries.push({ file: verdict.key, pod: verdict.pod, action, reason: verdict.reason, changing: false });
    }
  }
  const specOf = (file: PodFileKey): PodSpec | undefined => {
    const verdict = verdicts.get(file);
    return verdict?.kind === 'admitted' ? verdict.spec : undefined;
  };
  for (const pod of pods) {
    const action = decidePod(pod, verdicts, actual.get(pod), inputs.applied.get(pod)?.spec);
    if (action === undefined) continue;
    const changing = changesSomething(action);
    switch (action.kind) {
      case 'adopt':
        entries.push({ file: action.file, pod, action: 'adopt', reason: `running with spec ${action.hash}`, changing });
        break;
      case 'keep':
        entries.push({ file: action.file, pod, action: 'keep', reason: action.reason, changing });
        break;
      case 'start':
        entries.push({ file: action.file, pod, action: 'start', reason: withLimitVerdict(action.reason, specOf(action.file), inputs.controllers), changing });
        break;
      case 'update':
        entries.push({
          file: action.file, pod, action: 'update', reason: withLimitVerdict(`spec ${action.fromHash} → ${action.hash}`, specOf(action.file), inputs.controllers), changes: action.changes, changing,
        });
        break;
      case 'stop':
        entries.push({ file: action.file, pod, action: 'stop', reason: action.reason, changing });
        break;
    }
  }
  entries.sort((a, b) => (a.file ?? '\uffff').localeCompare(b.file ?? '\uffff') || (a.pod ?? '').localeCompare(b.pod ?? ''));
  return { entries, changing: entries.filter((e) => e.changing).length };
}
