/**
 * @module pod/runtime/unit-scripts — the `sh` lines a pod's units run instead of a Node process
 * where builtins do the job (DESIGN.md §3): the first start of an app the daemon prepared, the
 * ExecStopPost= a daemon stop skips, a sidecar's wait for its container, preStop only while the
 * container runs, and the markers those lines test. Pure; `unit-plan.ts` puts them in units.
 *
 * systemd expands `$VAR` in command lines, so every `$` of a script is doubled (systemd's literal `$`).
 */
import { constants as osConstants } from 'node:os';
import path from 'node:path';

/** One command of ExecStart= and friends (the facade's ExecCommand). */
export interface UnitExecCommand {
  readonly path: string;
  /** The full argv, argv[0] included. */
  readonly argv: readonly string[];
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** `/bin/sh -c script`, with `$` doubled for systemd. */
function shCommand(script: string): UnitExecCommand {
  return { path: '/bin/sh', argv: ['/bin/sh', '-c', script.replaceAll('$', '$$$$')] };
}

/**
 * Marker in the pod's dir, one per app (`app-started.<app>`): the app unit's `sh` creates it
 * at its first start, which skips `app prepare` (the daemon prepared in-process); any later start
 * finds it and prepares afresh. It lives beside, not inside, the app's dir, which every prepare
 * makes anew.
 */
export function appStartedMarker(podDir: string, app: string): string {
  return path.join(podDir, `app-started.${app}`);
}

/**
 * Marker in the pod's dir: the caller (the daemon) stops this pod's units itself and cleans up
 * in-process afterwards (`pod down`, which covers every app's container and mounts), so the units'
 * ExecStopPost= skip their Node starts (~100 ms of CPU each; 2,000 of them for 1,000 pods).
 * Any other stop (an operator's `systemctl stop`, shutdown, a crash) finds no marker and runs them.
 */
export const CALLER_STOP_MARKER = 'stopping-by-caller';

/** `command` as ExecStopPost=, skipped (by `sh` builtins, no other process) while the pod's caller-stop marker exists. */
export function unlessCallerStops(podDir: string, command: UnitExecCommand): UnitExecCommand {
  const script = `[ -e ${shellQuote(path.join(podDir, CALLER_STOP_MARKER))} ] || exec ${shellLine(command.argv)}`;
  return shCommand(script);
}

/**
 * Marker in an app's dir: the last start's `app prepare` failed, so the exit status systemd
 * hands ExecStopPost is the prepare's, not the app's ({@link preparedThenCrun}); neither
 * {@link recordExit} nor `app cleanup` records an exit code for it (the next `app prepare`
 * removes it, and `app cleanup` does).
 */
export const APP_PREPARE_FAILED_MARKER = 'prepare-failed';

/** `case` arms mapping systemd's signal names (`$EXIT_STATUS` of a killed app: TERM, KILL …) to 128+N. */
const SIGNAL_ARMS = Object.entries(osConstants.signals as Readonly<Record<string, number>>)
  .filter(([name]) => /^SIG[A-Z0-9]+$/.test(name))
  .map(([name, number]) => `${name.slice('SIG'.length)}) c=${128 + number};;`)
  .join(' ');

/**
 * ExecStopPost= of an app of a pod the daemon prepared: records how the app ended as
 * `app cleanup` would (`$EXIT_CODE` exited → `$EXIT_STATUS`, at most 255; killed or dumped →
 * 128 + the signal's number; unknown → nothing), with `sh` builtins, then deletes the app's crun
 * container (`crunDelete`, one crun process: a restart's postStart hook waits for the new
 * container and must not find the old one). The rootfs is left to the next `app prepare` (a
 * restart) or to `pod down`. A Node start per app stop (~250 ms of CPU) made stopping 1,000
 * pods without the daemon (an operator's `systemctl stop`, a shutdown) take minutes. The file is
 * written in place (a rename would need an `mv` process); readers take an empty file for "not
 * recorded yet". `statusFile`'s directory exists: the caller made it before the first start.
 * crun's complaint about a container that is gone already is dropped (`pod down` reports real
 * failures to delete).
 */
export function recordExit(statusFile: string, prepareFailed: string, crunDelete: UnitExecCommand): UnitExecCommand {
  const script = [
    `c=''`,
    `[ -e ${shellQuote(prepareFailed)} ] || case "$EXIT_CODE" in exited) c=$EXIT_STATUS;; killed|dumped) case "$EXIT_STATUS" in ${SIGNAL_ARMS} *[!0-9]*|'') ;; *) c=$((128 + EXIT_STATUS));; esac;; esac`,
    `case "$c" in ''|*[!0-9]*) ;; *) { [ ${'"${#c}"'} -gt 3 ] || [ "$c" -gt 255 ]; } && c=255; echo "$c" > ${shellQuote(statusFile)};; esac`,
    `${shellLine(crunDelete.argv)} 2>/dev/null`,
    `exit 0`,
  ].join('; ');
  return shCommand(script);
}

/**
 * ExecStartPost= of an init container's oneshot unit, which runs only when the container
 * exited 0: records the 0 and deletes the stopped crun container (the unit stays active, so its
 * ExecStopPost= runs only when the pod stops).
 */
export function recordSuccess(statusFile: string, crunDelete: UnitExecCommand): UnitExecCommand {
  return shCommand([`echo 0 > ${shellQuote(statusFile)}`, `${shellLine(crunDelete.argv)} 2>/dev/null`, `exit 0`].join('; '));
}

/**
 * One ExecStart= for an app of a pod the daemon prepared: `sh` creates the app's started marker
 * and, when it existed already (a restart by systemd or an operator), runs `prepare` (a fresh
 * rootfs); then it execs `crun`, which becomes the unit's main process with the same PID. Each
 * fork of PID 1 costs it copy-on-write faults proportional to its size (the larger part of
 * systemd's CPU per pod start with hundreds of pods), and an ExecStartPre= was a second fork
 * plus ~15 ms on the start path. `sh` costs ~1 ms where a Node start costs 60–130 ms, and the
 * marker is made with builtins only (noclobber's O_EXCL create; `command` keeps a failed
 * redirection from ending the shell): removing a token took an `rm` process per start.
 */
export function preparedThenCrun(appDir: string, started: string, prepare: UnitExecCommand, crun: UnitExecCommand): UnitExecCommand {
  const failed = shellQuote(path.join(appDir, APP_PREPARE_FAILED_MARKER));
  const script = [
    `set -C`,
    `command : 2>/dev/null > ${shellQuote(started)} || { set +C; ${shellLine(prepare.argv)} || { s=$?; : > ${failed}; exit $s; }; }`,
    `exec ${shellLine(crun.argv)}`,
  ].join('; ');
  return shCommand(script);
}

/**
 * ExecStartPost= of a sidecar: waits until `crun state` says its container is running (polled
 * every 10 ms; the unit's start timeout bounds it, and systemd ends it if crun exits first).
 */
export function untilRunning(crun: string, root: string, id: string): UnitExecCommand {
  const state = `${shellQuote(crun)} ${shellQuote(`--root=${root}`)} state ${shellQuote(id)} 2>/dev/null`;
  const script = `until ${state} | grep -q '"status": *"running"'; do sleep 0.01; done`;
  return shCommand(script);
}

export const DEFAULT_SCRIPT = '/usr/bin/script';
export const DEFAULT_FLOCK = '/usr/bin/flock';
export const DEFAULT_POD_DOWN_SLOTS = 2;

/**
 * The lock file of the `pod down` slot pod `uuid` waits for: one of `slots` beside the crun
 * root (`/run/rocklet/pod-down.<n>.lock`, tmpfs), chosen by the UUID's first 32 bits.
 */
export function podDownLock(crunRoot: string, uuid: string, slots: number): string {
  if (!Number.isInteger(slots) || slots < 1) throw new Error(`podDownLock: ${slots} slots`);
  const n = Number.parseInt(uuid.replaceAll('-', '').slice(0, 8), 16);
  return path.join(path.dirname(crunRoot), `pod-down.${(Number.isNaN(n) ? 0 : n) % slots}.lock`);
}

/** `command` run while holding `lock` (util-linux `flock`, which waits for it and creates the file). */
export function inSlot(flock: string, lock: string, command: UnitExecCommand): UnitExecCommand {
  return { path: flock, argv: [flock, lock, ...command.argv] };
}

/**
 * argv of `crunRun` under `script -q -e -E never -c … /dev/null`: crun gets a pseudo-terminal as its
 * stdio (it refuses `terminal: true` on a stdin that is none), copies the app's own terminal to
 * it, and script copies that to the unit's stdout (the journal) and exits with crun's code.
 * SIGTERM to script is passed on to crun, which passes it to the app.
 */
export function withTerminal(script: string, crunRun: readonly string[]): string[] {
  return [script, '--quiet', '--return', '--echo', 'never', '--command', shellLine(crunRun), '/dev/null'];
}

/**
 * ExecStop= of an app with a preStop hook: the hook runs only while the container does
 * (`$MAINPID` is set then); systemd also runs ExecStop= after a main process that exited by
 * itself, and Kubernetes runs preStop only for containers it stops.
 */
export function whileRunning(command: UnitExecCommand): UnitExecCommand {
  const script = `[ -n "$MAINPID" ] || exit 0; exec ${shellLine(command.argv)}`;
  return shCommand(script);
}

