/**
 * @module image/trust/trust-scope — what a trusted key is trusted for, and where it lives.
 *
 * Layout (rkt's, rkt.md §4.1) under `<config-dir>/trustedkeys/`:
 *   root.d/<fingerprint>                     trusted for every image
 *   prefix.d/<prefix>/<fingerprint>          trusted for the prefix and the names below it
 * The prefix is an AC Identifier (`^[a-z0-9]+([-._~/][a-z0-9]+)*$`, plus `/~user`), stored as
 * nested directories, one per `/`-separated segment, exactly as rkt did. No escaping is needed
 * and none is done: that alphabet holds no character with a meaning in a path except `/`, which
 * is meant as nesting, and every segment starts and ends with a letter or digit, so `.`, `..`
 * and empty segments cannot occur; {@link parseTrustPrefix} is the only way in, and
 * {@link scopeDir} checks the result stays inside `prefix.d` anyway.
 *
 * Matching (rkt.md §4.2): a key for prefix P applies to the image name P and to names below P
 * on a `/` boundary (`example.com/app` covers `example.com/app/x`, not `example.com/application`).
 */
import path from 'node:path';
import { invalidArgument, internalError } from '../../util/index.js';
import type { ACIdentifier } from '../format/aci/ac-types.js';
import { acIdentifierProblem, isACIdentifier } from '../format/aci/ac-types.js';

/** The keystore directory below the config dir. */
export const TRUSTED_KEYS_DIR = 'trustedkeys';
export const ROOT_KEYS_DIR = 'root.d';
export const PREFIX_KEYS_DIR = 'prefix.d';

/** Trusted for every image, or for one name prefix. */
export type TrustScope = { readonly kind: 'root' } | { readonly kind: 'prefix'; readonly prefix: ACIdentifier };

export const ROOT_SCOPE: TrustScope = { kind: 'root' };

/** `root` or the prefix: how a scope is named in results (VerifiedSignature.trustedFor). */
export function scopeName(scope: TrustScope): string {
  return scope.kind === 'root' ? 'root' : scope.prefix;
}

/**
 * Parses a `--prefix` value (an AC Identifier such as `example.com/app`). Throws
 * ERR_TRUST_PREFIX with the reason (a URL scheme, uppercase, a bad separator …).
 */
export function parseTrustPrefix(text: string): ACIdentifier {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw invalidArgument('ERR_TRUST_PREFIX', '--prefix must not contain a URL scheme, omit https://', {
      hint: `use --prefix=${text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')}`,
    });
  }
  if (!isACIdentifier(text)) {
    throw invalidArgument('ERR_TRUST_PREFIX', `invalid prefix: ${acIdentifierProblem(text)}`, {
      hint: 'a prefix is an image name or a leading part of one, like example.com/app',
    });
  }
  return text;
}

/** A prefix scope, parsed from text. */
export function prefixScope(text: string): TrustScope {
  return { kind: 'prefix', prefix: parseTrustPrefix(text) };
}

/** The image name and every ancestor on `/` boundaries, shortest first: `a.com`, `a.com/b`, `a.com/b/c`. */
export function prefixesOf(name: ACIdentifier): ACIdentifier[] {
  const segments = name.split('/');
  return segments.map((_, i) => segments.slice(0, i + 1).join('/') as ACIdentifier);
}

/** True when keys trusted for `prefix` apply to `name` (equal, or below it on a `/` boundary). */
export function prefixCovers(prefix: string, name: string): boolean {
  return name === prefix || name.startsWith(`${prefix}/`);
}

/** The directory holding the keys of `scope` inside the keystore directory `keystoreDir`. */
export function scopeDir(keystoreDir: string, scope: TrustScope): string {
  if (scope.kind === 'root') return path.join(keystoreDir, ROOT_KEYS_DIR);
  const base = path.join(keystoreDir, PREFIX_KEYS_DIR);
  const segments = scope.prefix.split('/');
  // Defence in depth: an AC Identifier cannot hold these, but a cast could smuggle one in.
  if (!isACIdentifier(scope.prefix) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw internalError('ERR_TRUST_PREFIX', `refusing unsafe keystore prefix "${scope.prefix}"`);
  }
  const dir = path.join(base, ...segments);
  if (!dir.startsWith(`${base}${path.sep}`)) throw internalError('ERR_TRUST_PREFIX', `prefix "${scope.prefix}" escapes ${base}`);
  return dir;
}
