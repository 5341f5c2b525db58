// /proc/sysvipc/{sem,msg,shm}: the sandbox's System V objects in the columns Linux prints
// (what ipcs reads first).

import type { ProcDeps } from './deps.js';

const pad = (value: number | string, width: number): string => String(value).padStart(width);
const octal = (mode: number): string => pad((mode & 0o7777).toString(8), 4);

export function semText(deps: ProcDeps): string {
  const rows = deps.providers.sysvipc?.().sem ?? [];
  const lines = rows.map(
    (r) => `${pad(r.key, 10)} ${pad(r.id, 10)}  ${octal(r.mode)} ${pad(r.nsems, 10)} ${pad(r.uid, 5)} ${pad(r.gid, 5)} ${pad(r.cuid, 5)} ${pad(r.cgid, 5)} ${pad(r.otime, 10)} ${pad(r.ctime, 10)}\n`,
  );
  return '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n' + lines.join('');
}

export function msgText(deps: ProcDeps): string {
  const rows = deps.providers.sysvipc?.().msg ?? [];
  const lines = rows.map(
    (r) =>
      `${pad(r.key, 10)} ${pad(r.id, 10)}  ${octal(r.mode)}  ${pad(r.cbytes, 10)} ${pad(r.qnum, 10)} ${pad(r.lspid, 5)} ${pad(r.lrpid, 5)} ${pad(r.uid, 5)} ${pad(r.gid, 5)} ${pad(r.cuid, 5)} ${pad(r.cgid, 5)} ${pad(r.stime, 10)} ${pad(r.rtime, 10)} ${pad(r.ctime, 10)}\n`,
  );
  return '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n' + lines.join('');
}

/** Shared memory segments; rss in bytes, and no swap (the sandbox has none). */
export function shmText(deps: ProcDeps): string {
  const rows = deps.providers.sysvipc?.().shm ?? [];
  const lines = rows.map(
    (r) =>
      `${pad(r.key, 10)} ${pad(r.id, 10)}  ${octal(r.mode)} ${pad(r.size, 21)} ${pad(r.cpid, 5)} ${pad(r.lpid, 5)}  ${pad(r.nattch, 5)} ${pad(r.uid, 5)} ${pad(r.gid, 5)} ${pad(r.cuid, 5)} ${pad(r.cgid, 5)} ${pad(r.atime, 10)} ${pad(r.dtime, 10)} ${pad(r.ctime, 10)} ${pad(r.rssPages * 4096, 21)} ${pad(0, 21)}\n`,
  );
  return '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n' + lines.join('');
}
