/**
 * @module daemon/log — the daemon's structured log: one line per decision with `file`, `pod`,
 * `action` and `reason` fields. pino's Logger satisfies it (the CLI makes one that writes to
 * stdout, which systemd sends to the journal); tests pass a recorder.
 */
export type LogFields = Readonly<Record<string, unknown>>;

export interface DaemonLog {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}
