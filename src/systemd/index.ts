/**
 * @module systemd — typed facade over systemd's D-Bus API (dbus-next underneath, loaded lazily).
 *
 * Knows units, not pods. Entry point: `connectSystemd()` → {@link SystemdManager}. Unit names
 * are parsed once into {@link UnitName}; transient unit properties are described with
 * {@link UnitProperties} and never as raw D-Bus signatures. Errors are RockletErrors with the
 * codes in {@link SYSTEMD_ERROR_CODES}.
 */
export { connectSystemd, systemBusAddress } from './connect.js';
export type { ConnectSystemdOptions } from './connect.js';
export { SystemdManager, JOB_MODES, KILL_TARGETS } from './manager.js';
export type { JobMode, JobOptions, JobOutcome, KillTarget } from './manager.js';
export {
  UNIT_TYPES,
  UNIT_NAME_MAX_LENGTH,
  parseUnitName,
  parseUnitPattern,
  isUnitName,
  unitTypeOf,
  unitObjectPath,
  unitNameFromObjectPath,
  escapeBusLabel,
  unescapeBusLabel,
} from './unit-name.js';
export type { UnitName, UnitType, ObjectPath } from './unit-name.js';
export {
  SERVICE_TYPES,
  RESTART_POLICIES,
  KILL_MODES,
  COLLECT_MODES,
  OUTPUT_TARGETS,
  buildUnitProperties,
  cpuQuotaFromPercent,
} from './properties.js';
export type {
  UnitProperties,
  ServiceType,
  RestartPolicy,
  KillMode,
  CollectMode,
  OutputTarget,
  PropertyEntry,
  PropertySignature,
  Uint64,
} from './properties.js';
export { UINT64_INFINITY } from './property-values.js';
export type { ExecCommand, ExecTuple } from './property-values.js';
export {
  LOAD_STATES,
  ACTIVE_STATES,
  SUB_STATES,
  JOB_RESULTS,
  UNIT_RESULTS,
  EXEC_MAIN_CODES,
} from './unit-state.js';
export type { LoadState, ActiveState, SubState, JobResult, UnitResult, ExecMainCode } from './unit-state.js';
export type { UnitStatus, UnitChanges, ExecStatus } from './unit-status.js';
export { statusOfListed } from './unit-status.js';
export type { UnitListEntry, ListedJob, UnitStateFilter } from './unit-list.js';
export type {
  SystemdEvent,
  SystemdEventListener,
  SubscribeOptions,
  UnitChangedEvent,
  JobRemovedEvent,
  UnitNewEvent,
  UnitRemovedEvent,
  ProtocolErrorEvent,
  DisconnectedEvent,
} from './events.js';
export type { UnitStatePredicate, WaitForUnitStateOptions } from './wait.js';
export { SYSTEMD_ERROR_CODES, mapDBusError } from './errors.js';
export { readJournal, firstJournalEntry, syncJournal, journalctlArgs, parseJournalLine } from './journal.js';
export type { JournalEntry, JournalQuery } from './journal.js';
