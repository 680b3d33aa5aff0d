/**
 * @module pod/stage1/identity — who an app runs as: user and group references (ids, names
 * from the image's own `/etc/passwd` and `/etc/group`, or a path whose owner counts) →
 * numeric uid, gid and supplementary gids.
 *
 * Rules (rkt's, with Kubernetes' defaults): no user = root; no group = the user's primary
 * group from the image's passwd (0 when the uid has no entry); supplementary groups = the
 * image groups that list the user's name, then the spec's `supplementalGroups`. Every file is
 * read inside the rootfs with symlinks resolved inside it (safe-path.ts).
 */
import { failedPrecondition, invalidArgument, notFound } from '../../util/index.js';
import type { AbsolutePath, IdentityRef } from '../../podfile/index.js';
import type { Stage1Identity } from './app.js';
import type { GroupEntry, PasswdEntry } from './passwd.js';
import { isCleanAbsolutePath } from './oci-config.js';
import { parseGroup, parsePasswd } from './passwd.js';
import { readFileInRoot, resolveInRoot } from './safe-path.js';

/** What to resolve; `user`/`group` absent = the image's defaults (see the module doc). */
export interface IdentityRequest {
  readonly user?: IdentityRef;
  readonly group?: IdentityRef;
  readonly supplementalGroups?: readonly number[];
  /** Refuse uid 0 (Kubernetes `runAsNonRoot`). */
  readonly runAsNonRoot?: boolean;
  /** Names the app in messages. */
  readonly app: string;
}

/** A resolved identity plus the user's passwd entry when the image has one. */
export interface ResolvedIdentity extends Stage1Identity {
  readonly userName?: string;
  /** The user's home directory from passwd (for HOME). */
  readonly home?: string;
}

/**
 * Parses an image's user or group text (appc `user`/`group`, Docker `User` halves): digits →
 * id, a leading `/` → path, anything else → name. Empty text → undefined.
 */
export function parseIdentityRef(text: string): IdentityRef | undefined {
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return { kind: 'id', id: Number(text) };
  if (text.startsWith('/')) {
    if (!isCleanAbsolutePath(text)) throw invalidArgument('ERR_IDENTITY_PATH', `user or group path "${text}" is not a clean absolute path`);
    return { kind: 'path', path: text as AbsolutePath };
  }
  return { kind: 'name', name: text };
}

async function readDatabase<T>(hostRoot: string, file: string, parse: (text: string) => T[]): Promise<T[] | undefined> {
  const text = await readFileInRoot(hostRoot, file);
  return text === undefined ? undefined : parse(text);
}

/** The owner uid and gid of `p` inside the rootfs (symlinks resolved inside it). */
async function ownerOf(hostRoot: string, p: string, app: string, what: 'user' | 'group'): Promise<{ uid: number; gid: number }> {
  const stats = (await resolveInRoot(hostRoot, p)).stats;
  if (stats === undefined) {
    const code = what === 'user' ? 'ERR_USER_NOT_FOUND' : 'ERR_GROUP_NOT_FOUND';
    throw notFound(code, `app "${app}": ${what} path "${p}" does not exist in the image (searched ${hostRoot}${p})`);
  }
  return { uid: stats.uid, gid: stats.gid };
}

async function resolveUser(hostRoot: string, ref: IdentityRef | undefined, app: string, passwd: PasswdEntry[] | undefined): Promise<number> {
  if (ref === undefined) return 0;
  switch (ref.kind) {
    case 'id':
      return ref.id;
    case 'path':
      return (await ownerOf(hostRoot, ref.path, app, 'user')).uid;
    case 'name': {
      const entry = passwd?.find((e) => e.name === ref.name);
      if (entry === undefined) {
        throw notFound('ERR_USER_NOT_FOUND', `app "${app}": user "${ref.name}" not found in the image's /etc/passwd (${hostRoot}/etc/passwd${passwd === undefined ? ' does not exist' : ''})`);
      }
      return entry.uid;
    }
  }
}

async function resolveGroup(hostRoot: string, ref: IdentityRef, app: string, groups: GroupEntry[] | undefined): Promise<number> {
  switch (ref.kind) {
    case 'id':
      return ref.id;
    case 'path':
      return (await ownerOf(hostRoot, ref.path, app, 'group')).gid;
    case 'name': {
      const entry = groups?.find((e) => e.name === ref.name);
      if (entry === undefined) {
        throw notFound('ERR_GROUP_NOT_FOUND', `app "${app}": group "${ref.name}" not found in the image's /etc/group (${hostRoot}/etc/group${groups === undefined ? ' does not exist' : ''})`);
      }
      return entry.gid;
    }
  }
}

/**
 * Resolves `request` against the rootfs reachable at `hostRoot`. Throws ERR_USER_NOT_FOUND /
 * ERR_GROUP_NOT_FOUND (not-found) naming the file searched, ERR_RUN_AS_NON_ROOT
 * (failed-precondition) when runAsNonRoot meets uid 0, and the safe-path errors.
 */
export async function resolveIdentity(hostRoot: string, request: IdentityRequest): Promise<ResolvedIdentity> {
  const passwd = await readDatabase(hostRoot, '/etc/passwd', parsePasswd);
  const uid = await resolveUser(hostRoot, request.user, request.app, passwd);
  if (request.runAsNonRoot === true && uid === 0) {
    throw failedPrecondition('ERR_RUN_AS_NON_ROOT', `app "${request.app}" has runAsNonRoot set but would run as root (uid 0)`, {
      hint: 'set runAsUser to a non-zero uid or use an image whose user is not root',
    });
  }
  const entry = passwd?.find((e) => e.uid === uid);
  const needGroups = request.group?.kind === 'name' || entry !== undefined;
  const groups = needGroups ? await readDatabase(hostRoot, '/etc/group', parseGroup) : undefined;
  const gid = request.group === undefined ? (entry?.gid ?? 0) : await resolveGroup(hostRoot, request.group, request.app, groups);
  const member = entry === undefined ? [] : (groups ?? []).filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  const additionalGids = [...new Set([...member, ...(request.supplementalGroups ?? [])])].filter((g) => g !== gid);
  return {
    uid,
    gid,
    additionalGids,
    ...(entry === undefined ? {} : { userName: entry.name, home: entry.home }),
  };
}
