/**
 * @module podfile/kube-priority — `spec.priorityClassName` and `spec.priority`. Without a cluster
 * only Kubernetes' two built-in classes exist, `system-node-critical` (2000001000) and
 * `system-cluster-critical` (2000000000): what kubeadm's static pods name. `spec.priority`
 * must equal the class's value (the Priority admission plugin's rule), or be 0 without a class.
 * What a class does on one host (the OOM score kubelet gives) is the runtime's:
 * see pod/runtime/oom-score.ts.
 */
import type { Fields } from './reader.js';
import { readInteger, readString } from './reader.js';
import type { Scope } from './scope.js';
import type { PriorityClassName } from './types.js';
import { PRIORITY_CLASSES } from './types.js';

const CLASS_NAMES = Object.keys(PRIORITY_CLASSES) as PriorityClassName[];

function isClassName(name: string): name is PriorityClassName {
  return (CLASS_NAMES as readonly string[]).includes(name);
}

/** The pod's class and priority value (both absent for an ordinary pod). */
export function readKubePriority(scope: Scope, spec: Fields): { priorityClassName?: PriorityClassName; priority?: number } {
  const classNode = spec.get('priorityClassName');
  const className = classNode === undefined ? undefined : readString(scope.sink, classNode, spec.at('priorityClassName'));
  let known: PriorityClassName | undefined;
  if (className !== undefined && classNode !== undefined && className !== '') {
    if (isClassName(className)) known = className;
    else {
      scope.sink.error(
        classNode.pos,
        spec.at('priorityClassName'),
        `priority class "${className}" does not exist on one host: use system-node-critical or system-cluster-critical, or leave it out`,
      );
    }
  }
  const priorityNode = spec.get('priority');
  const priority = priorityNode === undefined ? undefined : readInteger(scope.sink, priorityNode, spec.at('priority'), { min: -2_147_483_648, max: 2_147_483_647 });
  const expected = known === undefined ? 0 : PRIORITY_CLASSES[known];
  if (priority !== undefined && priorityNode !== undefined && priority !== expected && (known !== undefined || className === undefined || className === '')) {
    const why = known === undefined ? 'without a priorityClassName only 0 is accepted' : `priorityClassName ${known} has priority ${expected}`;
    scope.sink.error(priorityNode.pos, spec.at('priority'), `priority ${priority} does not match: ${why}`);
  }
  return known === undefined ? {} : { priorityClassName: known, priority: expected };
}
