/**
 * @module image/trust/keystore — the trusted OpenPGP keys under `<config-dir>/trustedkeys/`
 * (layout and prefix rules in trust-scope.ts).
 *
 * Each file is named by the lowercase fingerprint of its primary key and holds that one key,
 * ASCII-armored (files 0644, directories 0755). Writes are atomic (temp + fsync + rename), so a
 * reader sees a whole key or none. On load, a file whose key does not match its name is an
 * error, as in rkt; so is any other file except dot-files (editor and atomic-write leftovers).
 * An empty file trusts nothing (rkt used it to mask a vendor key; here it is simply skipped).
 */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, invalidArgument, writeFileAtomic } from '../../util/index.js';
import type { ACIdentifier } from '../format/aci/ac-types.js';
import { acIdentifierProblem, isACIdentifier } from '../format/aci/ac-types.js';
import type { KeyFingerprint, PublicKeyInfo } from './public-key.js';
import { assertKeyUsable, isKeyFingerprint, parsePublicKeys } from './public-key.js';
import type { TrustScope } from './trust-scope.js';
import { PREFIX_KEYS_DIR, ROOT_SCOPE, TRUSTED_KEYS_DIR, prefixesOf, scopeDir } from './trust-scope.js';

/** A key in the keystore: what it is trusted for, where it is, and the key itself. */
export interface TrustedKey {
  readonly scope: TrustScope;
  readonly path: string;
  readonly key: PublicKeyInfo;
}

async function readDirIfPresent(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** The trusted keys of one config dir. Cheap to create; every method reads the disk afresh. */
export class Keystore {
  /** `<config-dir>/trustedkeys`. */
  readonly dir: string;

  constructor(configDir: string) {
    this.dir = path.join(configDir, TRUSTED_KEYS_DIR);
  }

  /** Where the key `fingerprint` trusted for `scope` is (or would be) stored. */
  pathFor(scope: TrustScope, fingerprint: KeyFingerprint): string {
    return path.join(scopeDir(this.dir, scope), fingerprint);
  }

  /**
   * Trusts `key` for `scope`: writes it atomically to {@link pathFor}, creating directories as
   * needed. Re-adding a key replaces it (idempotent). Refuses an unusable key (revoked,
   * expired …) with the error of `assertKeyUsable`.
   */
  async add(scope: TrustScope, key: PublicKeyInfo, source = 'the key'): Promise<TrustedKey> {
    assertKeyUsable(key, source);
    const file = this.pathFor(scope, key.fingerprint);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await writeFileAtomic(file, key.armored, { mode: 0o644 });
    return { scope, path: file, key };
  }

  /** Stops trusting `fingerprint` for `scope`; false when it was not trusted. Empty prefix dirs go too. */
  async remove(scope: TrustScope, fingerprint: KeyFingerprint): Promise<boolean> {
    const file = this.pathFor(scope, fingerprint);
    try {
      await unlink(file);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
    if (scope.kind === 'prefix') await this.#pruneEmptyDirs(path.dirname(file));
    return true;
  }

  /** The keys trusted for `scope` itself (not its ancestors), sorted by fingerprint. */
  async keysOf(scope: TrustScope): Promise<TrustedKey[]> {
    const dir = scopeDir(this.dir, scope);
    const entries = await readDirIfPresent(dir);
    const keys: TrustedKey[] = [];
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() || entry.name.startsWith('.')) continue;
      const key = await this.#load(path.join(dir, entry.name), entry.name);
      if (key !== undefined) keys.push({ scope, path: path.join(dir, entry.name), key });
    }
    return keys;
  }

  /**
   * The keys that may sign an image named `imageName`: those of its longest matching prefix
   * first, up to the shortest, then the root keys. Throws ERR_TRUST_IMAGE_NAME for a name that
   * is not an AC Identifier.
   */
  async keysFor(imageName: string): Promise<TrustedKey[]> {
    const scopes: TrustScope[] = prefixesOf(checkImageName(imageName)).reverse().map((prefix) => ({ kind: 'prefix', prefix }));
    const lists = await Promise.all([...scopes, ROOT_SCOPE].map((scope) => this.keysOf(scope)));
    return lists.flat();
  }

  /**
   * True when at least one key is trusted for `imageName` (root or a matching prefix). Reads
   * only directory entries and sizes, not keys: for deciding whether to discover keys (rkt.md §4.3).
   */
  async hasKeysFor(imageName: string): Promise<boolean> {
    const scopes: TrustScope[] = [ROOT_SCOPE, ...prefixesOf(checkImageName(imageName)).map((prefix): TrustScope => ({ kind: 'prefix', prefix }))];
    for (const scope of scopes) {
      const dir = scopeDir(this.dir, scope);
      for (const entry of await readDirIfPresent(dir)) {
        if (entry.isFile() && isKeyFingerprint(entry.name) && (await stat(path.join(dir, entry.name))).size > 0) return true;
      }
    }
    return false;
  }

  /** Every trusted key: root keys first, then each prefix in sorted order. */
  async list(): Promise<TrustedKey[]> {
    const prefixes: ACIdentifier[] = [];
    await this.#collectPrefixes(path.join(this.dir, PREFIX_KEYS_DIR), [], prefixes);
    const lists = await Promise.all([ROOT_SCOPE, ...prefixes.sort().map((prefix): TrustScope => ({ kind: 'prefix', prefix }))].map((s) => this.keysOf(s)));
    return lists.flat();
  }

  async #collectPrefixes(dir: string, segments: string[], into: ACIdentifier[]): Promise<void> {
    for (const entry of await readDirIfPresent(dir)) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const prefix = [...segments, entry.name].join('/');
      if (!isACIdentifier(prefix)) {
        throw failedPrecondition('ERR_TRUST_KEYSTORE', `unexpected directory "${path.join(dir, entry.name)}" in the keystore: ${acIdentifierProblem(prefix)}`);
      }
      into.push(prefix);
      await this.#collectPrefixes(path.join(dir, entry.name), [...segments, entry.name], into);
    }
  }

  async #load(file: string, name: string): Promise<PublicKeyInfo | undefined> {
    if (!isKeyFingerprint(name)) {
      throw failedPrecondition('ERR_TRUST_KEYSTORE', `unexpected file "${file}" in the keystore`, {
        hint: 'trusted key files are named by the lowercase hex fingerprint of their key; move other files away',
      });
    }
    const data = await readFile(file);
    if (data.length === 0) return undefined;
    const keys = await parsePublicKeys(data, file);
    const [key] = keys;
    if (keys.length !== 1 || key === undefined || key.fingerprint !== name) {
      throw failedPrecondition('ERR_TRUST_KEYSTORE', `trusted key file "${file}" holds ${keys.map((k) => k.fingerprint).join(', ')}, not key ${name}`, {
        hint: 'remove the file and trust the key again with rocklet trust',
      });
    }
    return key;
  }

  async #pruneEmptyDirs(dir: string): Promise<void> {
    const stop = path.join(this.dir, PREFIX_KEYS_DIR);
    for (let current = dir; current.startsWith(`${stop}${path.sep}`); current = path.dirname(current)) {
      try {
        await rmdir(current);
      } catch (error) {
        if (errnoCode(error) === 'ENOTEMPTY' || errnoCode(error) === 'EEXIST' || errnoCode(error) === 'ENOENT') return;
        throw error;
      }
    }
  }
}

/** The image name as an AC Identifier; throws ERR_TRUST_IMAGE_NAME otherwise. */
export function checkImageName(imageName: string): ACIdentifier {
  if (isACIdentifier(imageName)) return imageName;
  throw invalidArgument('ERR_TRUST_IMAGE_NAME', `cannot select trusted keys for image name "${imageName}": ${acIdentifierProblem(imageName)}`);
}

/** Opens the keystore of `configDir` (`<configDir>/trustedkeys`); nothing is read until a method runs. */
export function openKeystore(configDir: string): Keystore {
  return new Keystore(configDir);
}
