/**
 * @module daemon/crash-loops — kubelet's CrashLoopBackOff for app containers that systemd gave
 * up on: after systemd's own quick restarts (unit-plan's APP_START_LIMIT) the unit fails with
 * start-limit-hit, and the daemon restarts it after 10 s, doubling to 5 min. A container that
 * then runs for 10 min is healed (its back-off starts over). Timers only re-enqueue the pod;
 * the restart itself happens in its reconcile.
 */
import type { DaemonLog } from './log.js';

export const CRASH_BACKOFF_MAX_MS = 300_000;
/** kubelet forgets a container's back-off after it ran this long. */
export const CRASH_RESET_MS = 10 * 60_000;

interface CrashLoop {
  /** Restarts the daemon made. */
  readonly attempts: number;
  /** When the next restart is due. */
  readonly retryAt: number;
  readonly timer: NodeJS.Timeout | undefined;
  /** The back-off has passed: restart at the next reconcile. */
  readonly due: boolean;
  readonly restartedAt: number;
}

export class CrashLoops {
  private readonly loops = new Map<string, CrashLoop>();

  constructor(
    private readonly firstMs: number,
    private readonly enqueue: (pod: string) => void,
    private readonly log: DaemonLog,
  ) {}

  /** A failed container that should restart: `restart` now (back-off passed) or `wait` (timer set). */
  failed(pod: string, app: string, exitCode: number | undefined): 'restart' | 'wait' {
    const key = `${pod}/${app}`;
    const loop = this.loops.get(key);
    const now = Date.now();
    if (loop?.due === true) {
      this.loops.set(key, { attempts: loop.attempts + 1, retryAt: 0, timer: undefined, due: false, restartedAt: now });
      this.log.info({ pod, container: app, action: 'restart', attempts: loop.attempts + 1 }, `restarting container ${app} of pod ${pod}`);
      return 'restart';
    }
    if (loop?.timer !== undefined) return 'wait';
    const attempts = loop?.attempts ?? 0;
    const delay = Math.min(this.firstMs * 2 ** attempts, CRASH_BACKOFF_MAX_MS);
    const timer = setTimeout(() => {
      const current = this.loops.get(key);
      if (current !== undefined) this.loops.set(key, { ...current, timer: undefined, due: true });
      this.enqueue(pod);
    }, delay);
    timer.unref();
    this.loops.set(key, { attempts, retryAt: now + delay, timer, due: false, restartedAt: loop?.restartedAt ?? 0 });
    this.log.warn(
      { pod, container: app, action: 'back-off', reason: `exit code ${exitCode ?? '?'}`, retryInMs: delay, attempts },
      `container ${app} of pod ${pod} keeps failing (exit code ${exitCode ?? '?'}); restarting it in ${Math.round(delay / 1000)} s`,
    );
    return 'wait';
  }

  /** A container seen running: healed once it has run long enough since the last restart. */
  running(pod: string, app: string): void {
    const key = `${pod}/${app}`;
    const loop = this.loops.get(key);
    if (loop !== undefined && loop.timer === undefined && !loop.due && Date.now() - loop.restartedAt > CRASH_RESET_MS) this.loops.delete(key);
  }

  /** Restarts made for the pod's containers, and the next one due. */
  summary(pod: string): { restarts: number; next: { app: string; inMs: number } | undefined } {
    let restarts = 0;
    let next: { app: string; inMs: number } | undefined;
    const now = Date.now();
    for (const [key, loop] of this.loops) {
      const slash = key.indexOf('/');
      if (key.slice(0, slash) !== pod) continue;
      restarts += loop.attempts;
      if (loop.retryAt > now && (next === undefined || loop.retryAt - now < next.inMs)) next = { app: key.slice(slash + 1), inMs: loop.retryAt - now };
    }
    return { restarts, next };
  }

  /** The pod stopped or was replaced: its containers start with a clean slate. */
  forget(pod: string): void {
    for (const [key, loop] of this.loops) {
      if (!key.startsWith(`${pod}/`)) continue;
      clearTimeout(loop.timer);
      this.loops.delete(key);
    }
  }

  stop(): void {
    for (const loop of this.loops.values()) clearTimeout(loop.timer);
  }
}
