/**
 * @module pod/runtime/env — an app's environment in rkt's precedence (rkt.md §1.3), lowest
 * first: the inherited environment (`--inherit-env`), the image's `app.environment`,
 * `--set-env-file`, `--set-env`, the app's own `--environment`; rocklet's `AC_APP_NAME` last
 * (stage1 always set it). A later layer's value wins; a variable keeps the position where it
 * first appeared, so the order is stable whatever overrides it.
 */
import type { EnvPair } from './request.js';

/** The layers of {@link mergeEnvironment}, lowest precedence first. */
export interface EnvironmentLayers {
  /** The caller's environment when `--inherit-env` is on (else empty). */
  readonly inherited: readonly EnvPair[];
  readonly image: readonly EnvPair[];
  readonly setEnvFile: readonly EnvPair[];
  readonly setEnv: readonly EnvPair[];
  readonly app: readonly EnvPair[];
  /** Set last, as stage1 did (`AC_APP_NAME`). */
  readonly runtime?: readonly EnvPair[];
}

/** Merge `layers` (see the module doc); names compare case-sensitively, as the kernel does. */
export function mergeEnvironment(layers: EnvironmentLayers): EnvPair[] {
  const values = new Map<string, string>();
  for (const layer of [layers.inherited, layers.image, layers.setEnvFile, layers.setEnv, layers.app, layers.runtime ?? []]) {
    for (const { name, value } of layer) values.set(name, value);
  }
  return [...values].map(([name, value]) => ({ name, value }));
}

/** `process.env`-style record → pairs (undefined values dropped), in the record's order. */
export function envPairsOf(env: Readonly<Record<string, string | undefined>>): EnvPair[] {
  const pairs: EnvPair[] = [];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) pairs.push({ name, value });
  return pairs;
}
