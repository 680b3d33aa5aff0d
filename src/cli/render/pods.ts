/**
 * @module cli/render/pods — how `list` and `status` show pods (rkt.md §1.7, §1.8).
 *
 * Table: `UUID APP IMAGE NAME STATE CREATED STARTED NETWORKS` (`--full` adds `IMAGE ID` after
 * IMAGE NAME), one row per app, the pod's own columns on its first app's row only; a pod
 * without metadata (being prepared, or a crash before it was written) shows `-` for its app.
 * Short form: 8-character UUIDs, relative times, `sha512-` + 12 hex image IDs; `--full`: full
 * UUIDs, absolute times (`2006-01-02 15:04:05.999 -0700 MST`), image IDs as rkt (19 chars).
 *
 * JSON: rkt's api/v1 `Pod` objects (`name` is the UUID; times are nanoseconds since the epoch,
 * left out when unknown): `{name, state, networks: [{netName, ifName, ip, mask}], app_names,
 * apps: [{name, state: created|running|exited|unknown, finished_at?, exit_code?, image_id?,
 * image_name}], created_at?, started_at?, gc_marked_at?, exited, user_labels?, user_annotations?}`
 * (`image_name`, `gc_marked_at` and `exited` are rocklet's additions).
 */
import type { PodInfo, PodNetworkInfo } from '../../pod/index.js';
import { appImageLabel, formatNetworks, isExitedState, shortUuid } from '../../pod/index.js';
import { formatColumns } from './table.js';
import { formatTimestamp, humanizeTime, unixNanos } from './time.js';

/** rkt's IMAGE ID column: `sha512-` + 12 hex digits. */
const IMAGE_ID_CHARS = 19;

/** Options of {@link renderPodTable}. */
export interface PodTableOptions {
  readonly full: boolean;
  readonly legend: boolean;
  readonly now: Date;
}

function when(time: Date | undefined, options: PodTableOptions): string {
  if (time === undefined) return '';
  return options.full ? formatTimestamp(time) : humanizeTime(time, options.now);
}

/** The pod table as text (ends with a newline unless there is nothing to print). */
export function renderPodTable(pods: readonly PodInfo[], options: PodTableOptions): string {
  const legend = ['UUID', 'APP', 'IMAGE NAME', ...(options.full ? ['IMAGE ID'] : []), 'STATE', 'CREATED', 'STARTED', 'NETWORKS'];
  const rows: string[][] = options.legend ? [legend] : [];
  for (const pod of pods) {
    const podCells = [
      pod.state,
      when(pod.created, options),
      when(pod.started, options),
      formatNetworks(pod.networks),
    ];
    const apps = pod.meta?.apps ?? [];
    if (apps.length === 0) {
      rows.push([options.full ? pod.uuid : shortUuid(pod.uuid), '-', '-', ...(options.full ? ['-'] : []), ...podCells]);
      continue;
    }
    apps.forEach((app, index) => {
      const first = index === 0;
      const id = app.imageId === undefined ? '-' : app.imageId.slice(0, IMAGE_ID_CHARS);
      rows.push([
        first ? (options.full ? pod.uuid : shortUuid(pod.uuid)) : '',
        app.name,
        appImageLabel(app),
        ...(options.full ? [id] : []),
        ...(first ? podCells : ['', '', '', '']),
      ]);
    });
  }
  return formatColumns(rows);
}

/** Dotted netmask of a prefix length (`24` → `255.255.255.0`). */
function netmask(prefixLength: number): string {
  const bits = prefixLength <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefixLength, 32))) >>> 0;
  return [24, 16, 8, 0].map((shift) => String((bits >>> shift) & 0xff)).join('.');
}

function networkJson(network: PodNetworkInfo): Record<string, unknown> {
  return {
    netName: network.netName,
    ...(network.ifName === undefined ? {} : { ifName: network.ifName }),
    ...(network.ip === undefined ? {} : { ip: network.ip }),
    ...(network.prefixLength === undefined ? {} : { mask: netmask(network.prefixLength) }),
  };
}

type AppState = 'created' | 'running' | 'exited' | 'unknown';

function appState(pod: PodInfo, exited: boolean): AppState {
  if (exited) return 'exited';
  switch (pod.state) {
    case 'embryo':
    case 'preparing':
    case 'aborted prepare':
    case 'prepared':
      return 'created';
    case 'running':
      return 'running';
    case 'exited':
    case 'exited garbage':
    case 'exited deleting':
    case 'garbage':
    case 'deleting':
      return 'unknown';
  }
}

/** rkt's api/v1 `Pod` object of `pod` (see the module comment for its fields). */
export function podJson(pod: PodInfo): Record<string, unknown> {
  const apps = pod.meta?.apps ?? [];
  const exits = new Map(pod.appExits.map((exit) => [exit.name as string, exit]));
  return {
    name: pod.uuid,
    state: pod.state,
    networks: pod.networks.map(networkJson),
    app_names: apps.map((app) => app.name),
    apps: apps.map((app) => {
      const exit = exits.get(app.name);
      return {
        name: app.name,
        state: appState(pod, exit !== undefined),
        ...(pod.created === undefined ? {} : { created_at: unixNanos(pod.created) }),
        ...(pod.started === undefined ? {} : { started_at: unixNanos(pod.started) }),
        ...(exit === undefined ? {} : { finished_at: unixNanos(exit.finished), exit_code: exit.code }),
        ...(app.imageId === undefined ? {} : { image_id: app.imageId }),
        image_name: appImageLabel(app),
      };
    }),
    ...(pod.created === undefined ? {} : { created_at: unixNanos(pod.created) }),
    ...(pod.started === undefined ? {} : { started_at: unixNanos(pod.started) }),
    ...(pod.gcMarked === undefined ? {} : { gc_marked_at: unixNanos(pod.gcMarked) }),
    exited: isExitedState(pod.state),
    ...(pod.meta?.userLabels === undefined ? {} : { user_labels: pod.meta.userLabels }),
    ...(pod.meta?.userAnnotations === undefined ? {} : { user_annotations: pod.meta.userAnnotations }),
  };
}
