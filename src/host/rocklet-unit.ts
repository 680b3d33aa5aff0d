/**
 * @module host/rocklet-unit — rocklet.service as the private systemd runs it: the unit
 * units/rocklet.service (what install.sh installs on systemd hosts) with this install's own
 * command line as ExecStart. test/host/rocklet-unit.test.ts keeps the two in step.
 */

/** Single-quotes one word for a unit file's ExecStart= (systemd's own quoting rules). */
function unitQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `"${word.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The [Service] settings both copies share (everything but ExecStart=). */
export const ROCKLET_SERVICE_SETTINGS: readonly string[] = Object.freeze([
  'Type=notify',
  'NotifyAccess=main',
  // Quoted: unquoted, systemd splits the value at the space and drops the second flag.
  'Environment="NODE_OPTIONS=--max-old-space-size=96 --max-semi-space-size=2"',
  'ExecReload=/bin/kill -HUP $MAINPID',
  'Restart=on-failure',
  'RestartSec=2s',
  'KillMode=mixed',
]);

/**
 * rocklet.service running `daemonArgv` (the rocklet CLI's argv plus `daemon` and its flags),
 * with `environment` added to the shared settings' (e.g. the CLI's ROCKLET_CODE_CACHE).
 */
export function rockletServiceUnit(daemonArgv: readonly string[], environment: Readonly<Record<string, string>> = {}): string {
  return [
    '[Unit]',
    'Description=rocklet pod daemon (runs the pods of /etc/pods as systemd units)',
    'After=dbus.service',
    '',
    '[Service]',
    `ExecStart=${daemonArgv.map(unitQuote).join(' ')}`,
    ...ROCKLET_SERVICE_SETTINGS,
    ...Object.entries(environment).map(([name, value]) => `Environment=${unitQuote(`${name}=${value}`)}`),
    // Pods may take their whole grace period to stop when the host stops.
    'TimeoutStartSec=120s',
    '',
  ].join('\n');
}
