// An image's USER (`uid`, `uid:gid`, `name`, `name:group`, ...) as the numeric identity of
// the process, looked up in the image's own /etc/passwd and /etc/group as Docker does:
// a known user brings its primary group and the groups that list it as a member.
import { readFileSync } from 'node:fs';
import { TsscError } from '../errors.js';
import type { User } from '../spec.js';
import { resolveInRoot } from './resolve-in-root.js';

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const NUMERIC_ID = /^\d+$/;
const MAX_ID = 0xffff_fffe; // (uid_t)-1 means "no change" to the kernel

export function resolveImageUser(user: string, rootfs: string): User {
  if (user === '') return { uid: 0, gid: 0 };
  const colon = user.indexOf(':');
  const userPart = colon < 0 ? user : user.slice(0, colon);
  const groupPart = colon < 0 ? undefined : user.slice(colon + 1);
  const fail = (why: string): never => {
    throw new TsscError(`image USER ${JSON.stringify(user)}: ${why}`);
  };
  if (userPart === '' || groupPart === '') fail('expected uid, uid:gid, name or name:group');

  const passwd = readTable(rootfs, '/etc/passwd', parsePasswd);
  let entry = passwd.find((p) => p.name === userPart);
  let uid: number;
  if (entry !== undefined) uid = entry.uid;
  else if (NUMERIC_ID.test(userPart)) {
    uid = parseId(userPart, fail);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    uid = fail(`no user ${JSON.stringify(userPart)} in the image's /etc/passwd`);
  }

  const groups = readTable(rootfs, '/etc/group', parseGroup);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined) {
    const group = groups.find((g) => g.name === groupPart);
    if (group !== undefined) gid = group.gid;
    else if (NUMERIC_ID.test(groupPart)) gid = parseId(groupPart, fail);
    else fail(`no group ${JSON.stringify(groupPart)} in the image's /etc/group`);
  }

  const result: User = { uid, gid };
  if (entry !== undefined) {
    const name = entry.name;
    const extra = [...new Set(groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid))];
    if (extra.length > 0) result.additionalGids = extra;
  }
  return result;
}

function parseId(text: string, fail: (why: string) => never): number {
  const id = Number(text);
  return id <= MAX_ID ? id : fail(`id ${text} is out of range`);
}

function readTable<T>(rootfs: string, file: string, parse: (fields: string[]) => T | undefined): T[] {
  let text: string;
  try {
    text = readFileSync(resolveInRoot(rootfs, file), 'utf8');
  } catch {
    return []; // an image without the file has only numeric identities
  }
  const rows: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const row = parse(line.split(':'));
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

function parsePasswd(fields: string[]): PasswdEntry | undefined {
  const [name, , uid, gid] = fields;
  if (name === undefined || uid === undefined || gid === undefined) return undefined;
  if (!NUMERIC_ID.test(uid) || !NUMERIC_ID.test(gid)) return undefined;
  return { name, uid: Number(uid), gid: Number(gid) };
}

function parseGroup(fields: string[]): GroupEntry | undefined {
  const [name, , gid, members] = fields;
  if (name === undefined || gid === undefined || !NUMERIC_ID.test(gid)) return undefined;
  return { name, gid: Number(gid), members: (members ?? '').split(',').filter((m) => m !== '') };
}
