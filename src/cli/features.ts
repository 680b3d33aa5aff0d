/**
 * @module cli/features — the capabilities of this build, as `rocklet version` lists them.
 * Flip a feature to enabled in the same change that makes it work end to end.
 */
export interface Feature {
  readonly name: string;
  readonly enabled: boolean;
}

export const FEATURES: readonly Feature[] = [
  { name: 'SYSTEMD-DBUS', enabled: true },
  { name: 'ACI', enabled: true },
  { name: 'OPENPGP', enabled: true },
  { name: 'APPC-DISCOVERY', enabled: true },
  { name: 'K8S-PODFILE', enabled: true },
  { name: 'STAGE1-CRUN', enabled: true },
  { name: 'STAGE1-FLY', enabled: true },
  { name: 'NET-BRIDGE', enabled: true },
  { name: 'OCI', enabled: true },
];
