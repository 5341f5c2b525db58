// The /proc text read by real tools: the tree is copied to a host directory, bound over
// /proc in a user, mount and pid namespace (so the tool runs as pid 1, like the sandbox's
// init), and procps, busybox and Python read it. Skipped where such namespaces are refused.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AT } from '../../../src/abi/linux-fcntl.js';
import { S, type FsContext, type Vfs } from '../../../src/vfs/index.js';
import { errnoOf, listDir, readAll, tempDir } from '../helpers.js';
import { makeSandbox } from './sandbox.js';

const tools = ['/usr/bin/unshare', '/usr/bin/ps', '/usr/bin/free', '/bin/busybox', '/usr/bin/python3'];
const available = tools.every((tool) => fs.existsSync(tool)) && namespacesAllowed();

function namespacesAllowed(): boolean {
  try {
    execFileSync('/usr/bin/unshare', ['-rmpf', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Copies a synthesized tree to the host: files by content, links by their text. */
function copyTree(vfs: Vfs, ctx: FsContext, from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const name of listDir(vfs, ctx, from)) {
    if (name === '.' || name === '..') continue;
    const source = `${from}/${name}`;
    const target = path.join(to, name);
    const type = vfs.stat(ctx, undefined, source, AT.SYMLINK_NOFOLLOW).mode & S.IFMT;
    if (type === S.IFLNK) {
      // A link with nothing behind it (exe of a process without one) reads ENOENT, as on Linux.
      if (errnoOf(() => vfs.readlink(ctx, undefined, source)) === 0) fs.symlinkSync(vfs.readlink(ctx, undefined, source), target);
    }
    else if (type === S.IFDIR) copyTree(vfs, ctx, source, target);
    else fs.writeFileSync(target, readAll(vfs, ctx, source), 'latin1');
  }
}

function sandboxProc(): string {
  const sb = makeSandbox();
  sb.addProcess(1, { comm: 'init', cmdline: Buffer.from('/sbin/init\0', 'latin1') });
  sb.addProcess(7, { ppid: 1, pgid: 7, sid: 1, comm: 'python3', state: 'R', uid: 1000, euid: 1000, cmdline: Buffer.from('python3\0-c\0work\0', 'latin1') });
  const dir = tempDir('tssc-proc-');
  copyTree(sb.vfs, sb.ctx(), '/proc', dir);
  return dir;
}

function run(procDir: string, args: string[]): string {
  const script = 'mount --bind "$0" /proc && exec "$@"';
  return execFileSync('/usr/bin/unshare', ['-rmpf', '/bin/sh', '-c', script, procDir, ...args], { encoding: 'latin1', timeout: 30_000 });
}

function rows(out: string): string[][] {
  return out
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
}

describe.skipIf(!available)('/proc read by real tools', () => {
  it('procps ps lists exactly the sandbox processes', () => {
    const table = rows(run(sandboxProc(), ['/usr/bin/ps', '-eo', 'pid,ppid,pgid,sid,stat,comm,args']));
    expect(table[0]).toEqual(['PID', 'PPID', 'PGID', 'SID', 'STAT', 'COMMAND', 'COMMAND']);
    expect(table.slice(1).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      ['1', '0', '1', '1', 'Ss', 'init', '/sbin/init'],
      ['7', '1', '7', '1', 'R', 'python3', 'python3', '-c', 'work'],
    ]);
  });

  it('procps ps aux and ps -ef, busybox ps and free parse every line', () => {
    const dir = sandboxProc();
    const aux = rows(run(dir, ['/usr/bin/ps', 'aux']));
    expect(aux[0]).toEqual(['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']);
    expect(aux.slice(1).map((row) => [row[1], row[4], row[6], row[9], row.slice(10).join(' ')]).sort()).toEqual([
      ['1', '0', '?', '0:00', '/sbin/init'],
      ['7', '0', '?', '0:00', 'python3 -c work'],
    ]);
    expect(rows(run(dir, ['/usr/bin/ps', '-ef'])).length).toBe(3);
    const busybox = run(dir, ['/bin/busybox', 'ps']);
    expect(busybox).toMatch(/^\s*1 root\s+\/sbin\/init$/m);
    expect(busybox).toMatch(/^\s*7 \S+\s+python3 -c work$/m);
    const free = rows(run(dir, ['/usr/bin/free']));
    expect(free[1]).toEqual(['Mem:', '2097152', '1048576', '1048576', '0', '0', '1048576']);
  });

  it('Python reads its own status and the CPU count', () => {
    const dir = sandboxProc();
    const script = "print(open('/proc/self/status').read().split('\\n')[0]); print(open('/proc/cpuinfo').read().count('processor'))";
    expect(run(dir, ['/usr/bin/python3', '-c', script])).toBe('Name:\tinit\n2\n');
  });
});
