/**
 * @module cli/commands/pods — `rocklet pods [--wide] [--format=json]`: every pod file and the
 * state of its pod, from the daemon's status file (`<run-dir>/daemon/status.json`), joined
 * with what systemd says now. Works while the daemon is down: it then says so, and pods whose
 * units run are still shown from their units.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { podPrivileges, readPodFile } from '../../podfile/index.js';
import type { ActualPod, PodFileStatus, StatusFile } from '../../daemon/index.js';
import { DEFAULT_RUN_DIR, isUnitUp, readActualPods, readStatusFile } from '../../daemon/index.js';
import { connectSystemd } from '../../systemd/index.js';
import { errnoCode } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { formatJson, isJsonFormat } from '../render/json.js';
import { formatColumns } from '../render/table.js';
import { humanizeTime } from '../render/time.js';
import { expectArguments } from './image-common.js';

function daemonAlive(status: StatusFile | undefined): boolean {
  if (status === undefined) return false;
  try {
    process.kill(status.daemon.pid, 0);
    return true;
  } catch (error) {
    // ESRCH: no such process; EPERM: it exists (another user's), which still means alive.
    if (errnoCode(error) === 'EPERM') return true;
    if (errnoCode(error) === 'ESRCH') return false;
    throw error;
  }
}

async function liveUnits(): Promise<{ pods: Map<string, ActualPod>; error?: string }> {
  try {
    const manager = await connectSystemd();
    try {
      return { pods: await readActualPods(manager) };
    } finally {
      await manager.close();
    }
  } catch (error) {
    return { pods: new Map(), error: error instanceof Error ? error.message : String(error) };
  }
}

/** A pod that runs as units but has no entry in the status file (daemon down, status lost). */
function unitOnlyRow(actual: ActualPod): PodFileStatus {
  const apps = [...actual.apps.values()];
  return {
    file: actual.file ?? '-',
    pod: actual.pod,
    state: isUnitUp(actual.sandbox) ? 'Running' : 'Stopped',
    reason: 'from its units (no daemon status)',
    uuid: actual.uuid,
    hash: actual.hash,
    ready: { ready: apps.filter((unit) => unit.activeState === 'active').length, total: apps.length },
    restarts: apps.reduce((sum, unit) => sum + (unit.nRestarts ?? 0), 0),
    since: Date.now(),
  };
}

/** PRIVILEGES of `--wide`: what each pod file asks for, read from the file as it is now. */
async function filePrivileges(podDir: string | undefined, rows: readonly PodFileStatus[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (podDir === undefined) return found;
  for (const row of rows) {
    if (row.file === '' || row.file.includes('/')) continue;
    const result = await readPodFile(path.join(podDir, row.file), { nodeName: hostname() });
    if (!result.ok) continue;
    const words = podPrivileges(result.spec);
    found.set(row.file, words.length === 0 ? '-' : words.join(','));
  }
  return found;
}

export const handler: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const runDir = path.resolve(ctx.flags.string('run-dir') ?? DEFAULT_RUN_DIR);
  const status = await readStatusFile(runDir);
  const running = daemonAlive(status);
  const live = await liveUnits();
  const rows: PodFileStatus[] = [...(status?.files ?? [])];
  const known = new Set(rows.map((row) => row.pod));
  for (const actual of live.pods.values()) if (!known.has(actual.pod)) rows.push(unitOnlyRow(actual));
  const daemon = {
    running, ready: running && status?.daemon.ready === true, pid: running ? status?.daemon.pid : undefined,
    podDir: status?.daemon.podDir, updatedAt: status?.daemon.updatedAt, memory: running ? status?.daemon.memory : undefined,
    probes: running ? status?.daemon.probes : undefined,
  };
  const format = ctx.globals.format;
  if (isJsonFormat(format)) {
    ctx.out.stdout(formatJson({ daemon, ...(live.error === undefined ? {} : { systemdError: live.error }), pods: rows }, format));
    return 0;
  }
  if (!running) ctx.out.warn(status === undefined ? 'the rocklet daemon is not running (no status since boot); showing pods from their units' : `the rocklet daemon is not running; its last status is from ${new Date(status.daemon.updatedAt).toISOString()}`);
  if (live.error !== undefined) ctx.out.warn(`cannot ask systemd about units: ${live.error}`);
  const wide = ctx.flags.boolean('wide');
  const now = new Date();
  const header = ['FILE', 'POD', 'STATE', 'READY', 'RESTARTS', 'AGE', ...(wide ? ['UUID', 'SPEC', 'PRIVILEGES', 'PROBES'] : []), 'REASON'];
  const privileges = wide ? await filePrivileges(status?.daemon.podDir, rows) : new Map<string, string>();
  const lines = rows.map((row) => [
    row.file,
    row.pod ?? '-',
    row.state,
    row.ready === undefined ? '-' : `${row.ready.ready}/${row.ready.total}`,
    String(row.restarts),
    humanizeTime(new Date(row.since), now),
    ...(wide ? [row.uuid ?? '-', row.hash ?? '-', privileges.get(row.file) ?? '-', row.probes ?? '-'] : []),
    row.reason ?? '',
  ]);
  ctx.out.stdout(formatColumns([header, ...lines]));
  return 0;
};
