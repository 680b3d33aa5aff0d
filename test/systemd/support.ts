/**
 * Helpers of the systemd integration tests: unique unit names and cleanup by recorded name.
 */
import { hasErrorCode } from '../../src/util/index.js';
import { type SystemdManager, type UnitName, parseUnitName } from '../../src/systemd/index.js';

let counter = 0;

/** Records the units a test creates so `cleanup` can stop and reset them even when it fails. */
export class UnitRecorder {
  readonly prefix: string;
  private readonly names: UnitName[] = [];

  constructor(label: string) {
    counter += 1;
    this.prefix = `sdf-${process.pid}-${counter}-${label}-`;
  }

  /** A new unit name with this recorder's prefix, recorded for cleanup. */
  name(stem: string, type: 'service' | 'scope' | 'slice' = 'service'): UnitName {
    const name = parseUnitName(`${this.prefix}${stem}.${type}`);
    this.names.push(name);
    return name;
  }

  /** Stops and resets every unit recorded so far; "not loaded" is fine, anything else is rethrown. */
  async cleanup(manager: SystemdManager): Promise<void> {
    for (const name of this.names.splice(0)) {
      await ignoreNotFound(manager.stopUnit(name));
      await ignoreNotFound(manager.resetFailedUnit(name));
    }
  }
}

async function ignoreNotFound(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!hasErrorCode(error, 'ERR_UNIT_NOT_FOUND')) throw error;
  }
}

/** The command argv of `/bin/sh -c script`, as an ExecStart entry. */
export function shell(script: string): { path: string; argv: string[] } {
  return { path: '/bin/sh', argv: ['/bin/sh', '-c', script] };
}

/** `/bin/sleep seconds` as an ExecStart entry. */
export function sleepCommand(seconds: number): { path: string; argv: string[] } {
  return { path: '/bin/sleep', argv: ['/bin/sleep', String(seconds)] };
}
