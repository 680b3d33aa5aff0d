/**
 * @module image/trust/openpgp-lib — the one place that loads openpgp.
 *
 * openpgp is a large module (~1 MB of JavaScript); importing it eagerly would slow every
 * short CLI command. It is loaded on first use and the promise is shared, so concurrent
 * callers load it once.
 */
import type * as OpenPgpModule from 'openpgp';

/** The openpgp module's namespace type. */
export type OpenPgp = typeof OpenPgpModule;

let loading: Promise<OpenPgp> | undefined;

/** Imports openpgp on first call; later calls return the same module. */
export function loadOpenpgp(): Promise<OpenPgp> {
  loading ??= import('openpgp');
  return loading;
}
