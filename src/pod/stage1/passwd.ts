/**
 * @module pod/stage1/passwd — parse an image's `/etc/passwd` and `/etc/group` (pure).
 *
 * Lines that are empty, comments, NIS/compat entries (`+`/`-`) or malformed are skipped, as
 * glibc's files backend skips what it cannot parse; the first entry of a name or id wins.
 */

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

const ID = /^\d{1,10}$/;

function parseId(text: string | undefined): number | undefined {
  if (text === undefined || !ID.test(text)) return undefined;
  const id = Number(text);
  return id <= 0xfffffffe ? id : undefined;
}

function usableLines(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('+') && !line.startsWith('-'))
    .map((line) => line.split(':'));
}

/** Entries of a passwd file (`name:x:uid:gid:gecos:home:shell`). */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const fields of usableLines(text)) {
    const [name, , uidText, gidText, , home] = fields;
    const uid = parseId(uidText);
    const gid = parseId(gidText);
    if (name === undefined || name === '' || uid === undefined || gid === undefined) continue;
    entries.push({ name, uid, gid, home: home ?? '/' });
  }
  return entries;
}

/** Entries of a group file (`name:x:gid:member,member`). */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const fields of usableLines(text)) {
    const [name, , gidText, members] = fields;
    const gid = parseId(gidText);
    if (name === undefined || name === '' || gid === undefined) continue;
    entries.push({ name, gid, members: (members ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '') });
  }
  return entries;
}
