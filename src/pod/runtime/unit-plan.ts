/**
 * @module pod/runtime/unit-plan — the transient systemd units that run a pod (DESIGN.md §3,
 * docs/ARCHITECTURE.md §9). Pure: the daemon (and the e2e tests) start what this returns.
 *
 * For pod `web` (apps `nginx`, `logger`, init app `migrate`):
 *
 * - `rocklet-web.slice`: every process of the pod (systemd creates it on first use).
 * - `rocklet-web.service`, the sandbox: Type=oneshot, RemainAfterExit=yes,
 *   ExecStart=`rocklet pod up UUID` (network, namespaces, files, volumes; leaves the lock
 *   holder in this unit), ExecStopPost=`rocklet pod down UUID` (runs after the holder is
 *   killed, so the pod can be marked exited; at most `podDownSlots` at once, by `flock`). Under the daemon (`preparedByCaller`) there is no
 *   ExecStart=: the daemon did `pod up` itself and moves the holder into the unit.
 * - `rocklet-web_<app>.service` per app: BindsTo= and After= the sandbox (stopping the sandbox
 *   stops the apps first), ExecStartPre=`rocklet app prepare UUID APP` (a fresh rootfs on every
 *   (re)start), ExecStart=`crun … run --bundle=<pod>/apps/<app> <uuid>-<app>` (crun is the
 *   resident process; `--cgroup-manager=disabled`, so the unit's cgroup and limits apply).
 *   Under the daemon both are one ExecStart=, a `sh` that skips the prepare at the unit's first
 *   start (the daemon prepared in-process) and then execs crun: one fork of systemd per start
 *   instead of two (see {@link preparedThenCrun}),
 *   ExecStopPost=`rocklet app cleanup UUID APP` (exit status from $EXIT_CODE/$EXIT_STATUS);
 *   under the daemon a `sh` that records the exit status with builtins ({@link recordExit}).
 *   Lifecycle hooks: ExecStartPost=`rocklet app hook UUID APP postStart` (the unit is active
 *   only after it), ExecStop= runs `rocklet app hook UUID APP preStop` while the container runs.
 *   KillMode=mixed: SIGTERM goes to crun, which forwards it to the app; the rest of the cgroup
 *   is SIGKILLed after TimeoutStopSec= (the app's stop timeout). Restart= from the app's
 *   restart policy; MemoryMax=, CPUQuotaPerSecUSec=, TasksMax= from its resources.
 * - init apps: Type=oneshot units with RemainAfterExit= (run once per pod, as on a kubelet:
 *   an app unit restarted later finds them active and does not start them again; ExecStartPost=
 *   records the success), each After (and Requires) the previous init unit; the other app
 *   units Require and follow the last one, so a failed init app keeps them from starting.
 *   A native sidecar (init app with restartPolicy Always) is a long-running unit whose
 *   ExecStartPost= waits until `crun state` says its container runs, so the units after it
 *   start only then (kubelet's "started").
 *
 * The pod layer may not import src/systemd, so the properties are plain data shaped like the
 * facade's `UnitProperties` (same field names and units) and unit names are made by the
 * caller's `unitName` (pass the facade's `parseUnitName`): the result goes to
 * `SystemdManager.startTransientUnit` as it is.
 *
 * App units carry LogExtraFields= `ROCKLET_POD_UUID`, `ROCKLET_APP` ({@link APP_LOG_FIELDS}):
 * `rocklet logs` selects an app's journal entries by them.
 *
 * `_` cannot occur in a pod name, so `<pod>_<app>` is unambiguous. Every unit carries
 * `ROCKLET_POD_UUID`, `ROCKLET_POD_NAME` and (pod files) `ROCKLET_SPEC_HASH` in Environment=
 * and the hash in its Description, so a restarted daemon can adopt running pods.
 */
import path from 'node:path';
import { invalidArgument } from '../../util/index.js';
import type { PodStore } from '../store/layout.js';
import { podPath } from '../store/layout.js';
import { appExitFile } from '../store/app-exits.js';
import type { PodUuid } from '../store/uuid.js';
import { bundleVerbArgv, containerIdFor, globalArgv } from '../stage1/crun-argv.js';
import { DEFAULT_CRUN_ROOT } from '../stage1/crun.js';
import { appDirs } from '../stage1/rootfs.js';
import type { PlannedApp, PlannedRestart, PodPlan } from './plan.js';
import type { UnitExecCommand } from './unit-scripts.js';
import { APP_PREPARE_FAILED_MARKER, DEFAULT_FLOCK, DEFAULT_POD_DOWN_SLOTS, DEFAULT_SCRIPT, appStartedMarker, inSlot, podDownLock, preparedThenCrun, recordExit, recordSuccess, unlessCallerStops, untilRunning, whileRunning, withTerminal } from './unit-scripts.js';

export type { UnitExecCommand } from './unit-scripts.js';

/** The facade's RestartPolicy values rocklet uses. */
export type UnitRestart = 'no' | 'always' | 'on-failure';

/** The subset of the facade's `UnitProperties` a pod's units use; `N` is its UnitName. */
export interface PodUnitProperties<N extends string> {
  readonly description?: string;
  readonly type?: 'oneshot' | 'exec';
  readonly execStartPre?: readonly UnitExecCommand[];
  readonly execStart?: readonly UnitExecCommand[];
  readonly execStartPost?: readonly UnitExecCommand[];
  readonly execStop?: readonly UnitExecCommand[];
  readonly execStopPost?: readonly UnitExecCommand[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly remainAfterExit?: boolean;
  readonly restart?: UnitRestart;
  readonly timeoutStopMs?: number;
  readonly killMode?: 'mixed';
  /** Delegate=: lets the caller move a process (the lock holder) into the unit. */
  readonly delegate?: boolean;
  /** RestartSec= in ms. */
  readonly restartMs?: number;
  readonly startLimitIntervalMs?: number;
  readonly startLimitBurst?: number;
  readonly collectMode?: 'inactive' | 'inactive-or-failed';
  readonly slice?: N;
  readonly requires?: readonly N[];
  readonly bindsTo?: readonly N[];
  readonly after?: readonly N[];
  readonly memoryMaxBytes?: number;
  readonly tasksMax?: number;
  /** µs of CPU time per second (1000 millicores = 1_000_000). */
  readonly cpuQuotaPerSecUSec?: number;
  /** LogExtraFields=: fields on every journal entry of the unit's processes. */
  readonly logExtraFields?: Readonly<Record<string, string>>;
  /** OOMScoreAdjust=: the app's score, applied by systemd (crun inherits it; oom-score.ts). */
  readonly oomScoreAdjust?: number;
}

/**
 * Journal fields every app unit's output carries (LogExtraFields=), so `rocklet logs` finds one
 * pod version's app by what it is, whatever its unit was named and after the unit is gone.
 */
export { APP_PREPARE_FAILED_MARKER, CALLER_STOP_MARKER, DEFAULT_SCRIPT, appStartedMarker } from './unit-scripts.js';

export const APP_LOG_FIELDS = { uuid: 'ROCKLET_POD_UUID', app: 'ROCKLET_APP' } as const;

/** Input of {@link podUnits}. */
export interface PodUnitsInput<N extends string> {
  /** Makes (and checks) a unit name: the systemd facade's `parseUnitName`. */
  readonly unitName: (name: string) => N;
  readonly uuid: PodUuid;
  readonly plan: PodPlan;
  /** The pod's store (the pod runs from `run/<uuid>`). */
  readonly store: PodStore;
  /** Unit name part; default the plan's pod name, else the UUID. No `_`. */
  readonly podName?: string;
  /** How to run rocklet: absolute program path and leading argv (global flags included), e.g. `['/usr/bin/rocklet', '--dir=/var/lib/rocklet']`. */
  readonly rocklet: readonly [string, ...string[]];
  /** Absolute path of crun. */
  readonly crun: string;
  /**
   * Absolute path of util-linux `script`, which gives a tty app's crun a pseudo-terminal to
   * copy the app's terminal to (crun needs one on its stdin) and copies it to the journal.
   * Default `/usr/bin/script`.
   */
  readonly script?: string;
  readonly crunRoot?: string;
  /**
   * How many sandbox `pod down`s (a Node start each, ~250 ms of CPU) may run at once; the rest
   * wait in util-linux `flock` on one of this many lock files beside the crun root (each pod's
   * by its UUID). An operator stopping hundreds of pods, or a shutdown, stops every sandbox at
   * once: hundreds of Node processes side by side made each cost several times as much CPU.
   * Default 2 (the caller passes the machine's CPU count).
   */
  readonly podDownSlots?: number;
  /** Absolute path of util-linux `flock`; default `/usr/bin/flock`. */
  readonly flock?: string;
  /** Extra Environment= entries for every unit (e.g. DBUS or PATH for tests). */
  readonly environment?: Readonly<Record<string, string>>;
  /** CollectMode= of every unit (default: systemd's). */
  readonly collectMode?: 'inactive' | 'inactive-or-failed';
  /** The pod file the pod was made from (the daemon's): named in every unit's Description. */
  readonly podFile?: string;
  /**
   * The caller (the daemon) has already brought the sandbox up and prepared every app in-process
   * ({@link upForUnits}). The sandbox unit then has no ExecStart= at all (it holds the lock
   * holder the caller attaches and takes the pod down when stopped); the first start of each app
   * unit skips its Node process (see {@link appStartedMarker}), later starts (restarts) run it as
   * usual. An app unit's ExecStopPost= records the exit with `sh` builtins (unit-scripts'
   * `recordExit`), deletes its crun container and leaves its rootfs to the next prepare or `pod down`; the
   * sandbox's skips `pod down` for stops the caller makes itself (it leaves
   * {@link CALLER_STOP_MARKER} first and cleans up in-process afterwards).
   */
  readonly preparedByCaller?: boolean;
}

/** ExecStop= of a sandbox unit that has no ExecStart= (coreutils' true, in every base system). */
const NO_OP: UnitExecCommand = { path: '/bin/true', argv: ['/bin/true'] };

/** Who a pod's unit belongs to, as its Description carries it. */
export interface PodUnitIdentity {
  readonly uuid: string;
  readonly hash: string | undefined;
  readonly file: string | undefined;
}

/**
 * `rocklet pod web sandbox (UUID, spec sha256:…, file web.yaml)`: readable in `systemctl
 * status`, and enough for a restarted daemon to adopt the pod from a unit listing alone (a
 * listing carries each unit's Description; reading Environment= is one more D-Bus call per unit).
 */
function describePodUnit(podName: string, what: string, id: PodUnitIdentity): string {
  return `rocklet pod ${podName} ${what} (${id.uuid}${id.hash === undefined ? '' : `, spec ${id.hash}`}${id.file === undefined ? '' : `, file ${id.file}`})`;
}

const DESCRIPTION = /\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:, spec (sha256:[0-9a-f]+))?(?:, file (.+))?\)$/;

/** The identity a pod unit's Description carries (see describePodUnit); undefined for any other text. */
export function parsePodUnitDescription(description: string): PodUnitIdentity | undefined {
  const match = DESCRIPTION.exec(description);
  const uuid = match?.[1];
  if (uuid === undefined) return undefined;
  return { uuid, hash: match?.[2], file: match?.[3] };
}

/** util-linux's script, in every base system (bsdutils). */
/** One transient unit. */
export interface PlannedUnit<N extends string> {
  readonly name: N;
  readonly properties: PodUnitProperties<N>;
}

/** One app's unit. */
export interface PlannedAppUnit<N extends string> extends PlannedUnit<N> {
  readonly app: string;
  readonly init: boolean;
}

/** The units of one pod, in start order: sandbox, init apps, apps. */
export interface PodUnits<N extends string> {
  readonly slice: N;
  readonly sandbox: PlannedUnit<N>;
  readonly apps: readonly PlannedAppUnit<N>[];
}

const POD_UNIT_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** Unit names of pod `podName`: `rocklet-<pod>.service`, `rocklet-<pod>_<app>.service`, `rocklet-<pod>.slice`. */
export function podUnitNames<N extends string>(podName: string, unitName: (name: string) => N): { sandbox: N; slice: N; app(app: string): N } {
  if (!POD_UNIT_NAME.test(podName)) {
    throw invalidArgument('ERR_POD_UNIT_NAME', `pod name "${podName}" cannot name a unit (lowercase letters, digits, "-" and ".")`);
  }
  return {
    sandbox: unitName(`rocklet-${podName}.service`),
    slice: unitName(`rocklet-${podName}.slice`),
    app: (app: string) => unitName(`rocklet-${podName}_${app}.service`),
  };
}

/** RestartSec= of app units that restart. */
export const APP_RESTART_MS = 1000;
/**
 * systemd's quick restarts of a failing app: this many starts within the interval, then the
 * unit fails (start-limit-hit) and the daemon's back-off (10 s doubling to 5 min) takes over.
 * The interval is long enough that a slow start (a Node `app prepare` under load) still counts.
 */
export const APP_START_LIMIT = { burst: 5, intervalMs: 120_000 } as const;

const RESTART: Readonly<Record<PlannedRestart, UnitRestart>> = { Always: 'always', OnFailure: 'on-failure', Never: 'no' };

function execOf(argv: readonly string[]): UnitExecCommand {
  const program = argv[0];
  if (program === undefined || !path.isAbsolute(program)) throw invalidArgument('ERR_UNIT_INVALID', `unit command needs an absolute program path, got "${String(program)}"`);
  return { path: program, argv: [...argv] };
}

/**
 * The smallest TasksMax= an app unit may get: `rocklet app prepare` (ExecStartPre=, a Node
 * process of ~12 threads) runs in the same cgroup before crun, so a lower limit would make it
 * abort with pthread_create failures instead of limiting the app.
 */
export const MIN_UNIT_TASKS = 32;

function limits(app: PlannedApp): Pick<PodUnitProperties<string>, 'memoryMaxBytes' | 'cpuQuotaPerSecUSec' | 'tasksMax'> {
  const r = app.resources;
  if (r.pids !== undefined && r.pids < MIN_UNIT_TASKS) {
    throw invalidArgument('ERR_UNIT_PIDS_TOO_LOW', `app "${app.name}": a pids limit of ${r.pids} is too low to run under systemd (at least ${MIN_UNIT_TASKS})`, {
      hint: `the unit's TasksMax= also covers "rocklet app prepare", which runs in the app's unit first; use ${MIN_UNIT_TASKS} or more`,
    });
  }
  return {
    ...(r.memoryBytes === undefined ? {} : { memoryMaxBytes: r.memoryBytes }),
    // 1000 millicores = one CPU = 1 s of CPU time per second.
    ...(r.cpuMillicores === undefined ? {} : { cpuQuotaPerSecUSec: r.cpuMillicores * 1000 }),
    ...(r.pids === undefined ? {} : { tasksMax: r.pids }),
  };
}

/** The transient units that run pod `uuid` (see the module doc). */
export function podUnits<N extends string>(input: PodUnitsInput<N>): PodUnits<N> {
  const { uuid, plan } = input;
  if (plan.stage1 !== 'crun') {
    throw invalidArgument('ERR_POD_UNIT_STAGE1', `pod ${uuid} uses the ${plan.stage1} stage1, which runs standalone only ("rocklet run-prepared")`, {
      hint: 'use --stage1=crun for pods run as systemd units',
    });
  }
  const podName = input.podName ?? plan.podName ?? uuid;
  const names = podUnitNames(podName, input.unitName);
  const podDir = podPath(input.store, 'run', uuid);
  const hash = plan.specHash;
  const environment: Record<string, string> = {
    ...input.environment,
    ROCKLET_POD_UUID: uuid,
    ROCKLET_POD_NAME: podName,
    ...(hash === undefined ? {} : { ROCKLET_SPEC_HASH: hash }),
  };
  const described = (what: string): string => describePodUnit(podName, what, { uuid, hash, file: input.podFile });
  const common: PodUnitProperties<N> = {
    slice: names.slice,
    ...(input.collectMode === undefined ? {} : { collectMode: input.collectMode }),
  };
  const rocklet = (...args: string[]): UnitExecCommand => execOf([...input.rocklet, ...args]);
  const crunRoot = input.crunRoot ?? DEFAULT_CRUN_ROOT;
  const podDown = inSlot(input.flock ?? DEFAULT_FLOCK, podDownLock(crunRoot, uuid, input.podDownSlots ?? DEFAULT_POD_DOWN_SLOTS), rocklet('pod', 'down', uuid));
  const sandbox: PlannedUnit<N> = {
    name: names.sandbox,
    properties: {
      ...common,
      description: described('sandbox'),
      type: 'oneshot',
      remainAfterExit: true,
      // Brought up by the caller: starting the unit runs nothing (no process on the pod's
      // critical path); systemd wants a stop command then, and a no-op is one.
      ...(input.preparedByCaller === true ? { execStop: [NO_OP] } : { execStart: [rocklet('pod', 'up', uuid)] }),
      execStopPost: [input.preparedByCaller === true ? unlessCallerStops(podDir, podDown) : podDown],
      environment,
      // systemd moves processes only into delegated units (AttachProcessesToUnit).
      ...(input.preparedByCaller === true ? { delegate: true } : {}),
    },
  };
  const crunGlobals = { binary: input.crun, root: crunRoot, cgroupManager: 'disabled' as const };
  const inits = plan.apps.filter((a) => a.init);
  // Ordering: every unit starts after all init units before it (a sidecar's start job ends when
  // crun runs, so it does not block the next one; a oneshot init's when it exits 0), and
  // Requires= only the last init that must succeed: a sidecar restarting must not stop the apps.
  // Stopping runs the other way round, so sidecars stop after the apps (kubelet's order).
  const mustSucceed = inits.filter((a) => a.sidecar !== true);
  const lastInit = mustSucceed.length === 0 ? [] : [names.app(mustSucceed[mustSucceed.length - 1]?.name ?? '')];
  const allInits = inits.map((a) => names.app(a.name));
  const apps: PlannedAppUnit<N>[] = [];
  const previousInits: N[] = [];
  let previousRequired: N[] = [];
  for (const app of [...inits, ...plan.apps.filter((a) => !a.init)]) {
    const name = names.app(app.name);
    const crunRun = [...globalArgv(crunGlobals), ...bundleVerbArgv('run', containerIdFor(uuid, app.name), { bundle: appDirs(podDir, app.name).dir })];
    const after = app.init ? [...previousInits] : allInits;
    const required = app.init ? previousRequired : lastInit;
    const oneshot = app.init && app.sidecar !== true;
    // A sidecar counts as started when its container runs (kubelet's "started"), not when
    // systemd has exec'd the unit's first program: only then may the next units start.
    const startPost = [
      ...(app.init && app.sidecar === true ? [untilRunning(input.crun, crunGlobals.root, containerIdFor(uuid, app.name))] : []),
      // A finished init container stays done (RemainAfterExit=): its exit is recorded here,
      // when it succeeded, instead of when the unit is stopped with the pod.
      ...(oneshot ? [recordSuccess(appExitFile(podDir, app.name), execOf([...globalArgv(crunGlobals), 'delete', '--force', containerIdFor(uuid, app.name)]))] : []),
      ...(app.lifecycle?.postStart === undefined ? [] : [rocklet('app', 'hook', uuid, app.name, 'postStart')]),
    ];
    // Raw argv; `$` is doubled (systemd's literal `$`) where it becomes a command line.
    const crunArgv = app.tty === true ? withTerminal(input.script ?? DEFAULT_SCRIPT, crunRun) : crunRun;
    apps.push({
      name,
      app: app.name,
      init: app.init,
      properties: {
        ...common,
        description: described(`app ${app.name}`),
        type: oneshot ? 'oneshot' : 'exec',
        // Kubernetes runs init containers once per pod: a finished one stays active, so an app
        // unit that Requires= it and is restarted does not start it again.
        ...(oneshot ? { remainAfterExit: true } : {}),
        ...(input.preparedByCaller === true
          ? { execStart: [preparedThenCrun(appDirs(podDir, app.name).dir, appStartedMarker(podDir, app.name), rocklet('app', 'prepare', uuid, app.name), { path: crunArgv[0] ?? '', argv: crunArgv })] }
          : { execStartPre: [rocklet('app', 'prepare', uuid, app.name)], execStart: [execOf(crunArgv.map((arg) => arg.replaceAll('$', '$$$$')))] }),
        // Kubernetes lifecycle hooks: the unit becomes active only after postStart succeeded
        // (kubelet's "started"), and preStop runs before systemd's SIGTERM.
        ...(startPost.length === 0 ? {} : { execStartPost: startPost }),
        ...(app.lifecycle?.preStop === undefined ? {} : { execStop: [whileRunning(rocklet('app', 'hook', uuid, app.name, 'preStop'))] }),
        execStopPost: [input.preparedByCaller === true
          ? recordExit(appExitFile(podDir, app.name), path.join(appDirs(podDir, app.name).dir, APP_PREPARE_FAILED_MARKER), execOf([...globalArgv(crunGlobals), 'delete', '--force', containerIdFor(uuid, app.name)]))
          : rocklet('app', 'cleanup', uuid, app.name)],
        environment: { ...environment, ROCKLET_APP: app.name },
        logExtraFields: { [APP_LOG_FIELDS.uuid]: uuid, [APP_LOG_FIELDS.app]: app.name },
        restart: oneshot ? 'no' : RESTART[app.restart],
        // systemd's own quick restarts (5 within 10 s, then start-limit-hit); past those the
        // daemon restarts a crash-looping container with back-off, as kubelet does.
        ...(oneshot || app.restart === 'Never' ? {} : { restartMs: APP_RESTART_MS, startLimitIntervalMs: APP_START_LIMIT.intervalMs, startLimitBurst: APP_START_LIMIT.burst }),
        killMode: 'mixed',
        timeoutStopMs: app.stopTimeoutSeconds * 1000,
        bindsTo: [names.sandbox],
        after: [names.sandbox, ...after],
        ...(required.length === 0 ? {} : { requires: required }),
        ...limits(app),
        ...(app.oomScoreAdj === undefined ? {} : { oomScoreAdjust: app.oomScoreAdj }),
      },
    });
    if (app.init) previousInits.push(name);
    if (oneshot) previousRequired = [name];
  }
  return { slice: names.slice, sandbox, apps };
}
