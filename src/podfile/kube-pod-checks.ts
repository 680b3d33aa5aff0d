/**
 * @module podfile/kube-pod-checks — checks across containers: names unique across init and app
 * containers (both places named), port names unique in the pod, and no two ports binding the
 * same protocol and host port on overlapping host addresses (formats.md §4 #12, #18).
 */
import type { LocatedContainer } from './kube-container.js';
import type { Scope } from './scope.js';

const WILDCARDS = new Set(['', '0.0.0.0', '::']);

/** Reports duplicate container names and conflicting ports among all containers of a pod. */
export function checkContainersTogether(scope: Scope, containers: readonly LocatedContainer[]): void {
  const names = new Map<string, string>();
  for (const container of containers) {
    if (container.name === undefined) continue;
    const first = names.get(container.name);
    if (first !== undefined) {
      scope.sink.error(container.namePos, `${container.path}.name`, `duplicate container name "${container.name}": ${first} and ${container.path} (names are unique across initContainers and containers)`);
    } else names.set(container.name, container.path);
  }
  const portNames = new Map<string, string>();
  const bindings: { key: string; ip: string; path: string }[] = [];
  for (const container of containers) {
    for (const { port, path, pos } of container.ports) {
      if (port.name !== undefined) {
        const first = portNames.get(port.name);
        if (first !== undefined) scope.sink.error(pos, `${path}.name`, `duplicate port name "${port.name}" (also ${first})`);
        else portNames.set(port.name, path);
      }
      if (port.hostPort === undefined) continue;
      const key = `${port.protocol}/${port.hostPort}`;
      const ip = port.hostIP ?? '';
      const clash = bindings.find((binding) => binding.key === key && (binding.ip === ip || WILDCARDS.has(ip) || WILDCARDS.has(binding.ip)));
      if (clash !== undefined) {
        const where = ip === '' ? '' : ` on ${ip}`;
        scope.sink.error(pos, `${path}.hostPort`, `host port ${port.hostPort}/${port.protocol}${where} is already used by ${clash.path}`);
      } else bindings.push({ key, ip, path });
    }
  }
}
