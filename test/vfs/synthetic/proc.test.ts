import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { O } from '../../../src/abi/linux-fcntl.js';
import { S } from '../../../src/vfs/index.js';
import { errnoOf, listDir, readAll } from '../helpers.js';
import { makeSandbox, text } from './sandbox.js';

function sandboxWithProcesses() {
  const sb = makeSandbox();
  sb.addProcess(1, { comm: 'init', tids: [1] });
  sb.addProcess(7, { ppid: 1, pgid: 7, sid: 1, comm: 'worker thread', state: 'R', tids: [7, 8, 9], uid: 1000, euid: 1000, gid: 1000, egid: 1000 });
  return sb;
}

describe('/proc', () => {
  it('lists only the sandbox processes, after the system entries', () => {
    const sb = sandboxWithProcesses();
    const names = listDir(sb.vfs, sb.ctx(), '/proc');
    const numeric = names.filter((n) => /^\d+$/.test(n));
    expect(numeric).toEqual(['1', '7']);
    expect(names.indexOf('1')).toBeGreaterThan(names.indexOf('uptime'));
    for (const name of ['self', 'thread-self', 'mounts', 'sys', 'meminfo', 'cpuinfo', 'stat', 'uptime', 'loadavg', 'version', 'filesystems']) {
      expect(names).toContain(name);
    }
    // A thread id resolves without being listed.
    expect(sb.vfs.stat(sb.ctx(), undefined, '/proc/8/status', 0).mode & S.IFMT).toBe(S.IFREG);
    expect(readAll(sb.vfs, sb.ctx(), '/proc/8/status')).toContain('Pid:\t8\n');
    expect(errnoOf(() => sb.vfs.stat(sb.ctx(), undefined, '/proc/2', 0))).toBe(E.ENOENT);
    expect(errnoOf(() => sb.vfs.stat(sb.ctx(), undefined, '/proc/01', 0))).toBe(E.ENOENT);
  });

  it('self and thread-self name the calling process and thread', () => {
    const sb = sandboxWithProcesses();
    sb.current = 7;
    expect(sb.vfs.readlink(sb.ctx(), undefined, '/proc/self')).toBe('7');
    expect(sb.vfs.readlink(sb.ctx(), undefined, '/proc/thread-self')).toBe('7/task/7');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/self/comm')).toBe('worker thread\n');
    expect(listDir(sb.vfs, sb.ctx(), '/proc/self/task').slice(2)).toEqual(['7', '8', '9']);
    expect(sb.vfs.readlink(sb.ctx(), undefined, '/proc/mounts')).toBe('self/mounts');
  });

  it('stat has the 52 fields ps parses, with the comm in parentheses', () => {
    const sb = sandboxWithProcesses();
    const line = readAll(sb.vfs, sb.ctx(), '/proc/7/stat');
    expect(line.endsWith('\n')).toBe(true);
    const match = /^(\d+) \((.*)\) (\S) (.*)$/.exec(line.trimEnd());
    expect(match).not.toBeNull();
    const [, pid, comm, state, rest] = match as RegExpExecArray;
    expect([pid, comm, state]).toEqual(['7', 'worker thread', 'R']);
    const fields = (rest as string).split(' ');
    expect(fields.length).toBe(49);
    expect(fields.slice(0, 5)).toEqual(['1', '7', '1', '0', '-1']); // ppid pgrp session tty_nr tpgid
    expect(fields[16]).toBe('3'); // num_threads
    expect(fields[18]).toBe('42'); // starttime
  });

  it('shows CPU times and memory sizes when the process view offers usage()', () => {
    const sb = sandboxWithProcesses();
    const usage = { utimeTicks: 150, stimeTicks: 25, vsizeBytes: 8 * 1024 * 1024, rssPages: 300, minorFaults: 9, majorFaults: 1 };
    Object.assign(sb.processes.get(7)!, { usage: () => usage });
    const fields = readAll(sb.vfs, sb.ctx(), '/proc/7/stat').trimEnd().split(') ')[1]!.split(' ');
    // Fields 10, 12, 14, 15, 23 and 24 of stat(5), counted after the comm.
    expect([fields[7], fields[9], fields[11], fields[12], fields[20], fields[21]]).toEqual(['9', '1', '150', '25', '8388608', '300']);
    const status = readAll(sb.vfs, sb.ctx(), '/proc/7/status');
    expect(status).toContain('VmSize:\t    8192 kB\n');
    expect(status).toContain('VmRSS:\t    1200 kB\n');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/7/statm')).toBe('2048 300 0 0 0 0 0\n');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/1/status')).not.toContain('VmRSS');
  });

  it('status, cmdline and environ read like Linux', () => {
    const sb = sandboxWithProcesses();
    const status = readAll(sb.vfs, sb.ctx(), '/proc/7/status');
    expect(status).toContain('Name:\tworker thread\n');
    expect(status).toContain('State:\tR (running)\n');
    expect(status).toContain('Tgid:\t7\nNgid:\t0\nPid:\t7\nPPid:\t1\n');
    expect(status).toContain('Uid:\t1000\t1000\t1000\t0\n');
    expect(status).toContain('Threads:\t3\n');
    expect(status).toContain('Cpus_allowed_list:\t0-1\n');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/1/cmdline')).toBe('/bin/sh\0-c\0echo hi\0');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/1/environ')).toBe('PATH=/bin\0HOME=/root\0');
    const pstat = sb.vfs.stat(sb.ctx(), undefined, '/proc/7', 0);
    expect([pstat.uid, pstat.gid, pstat.mode]).toEqual([1000, 1000, S.IFDIR | 0o555]);
  });

  it('takes a snapshot per open and honours read offsets', () => {
    const sb = sandboxWithProcesses();
    const proc = sb.processes.get(1)!;
    const file = sb.vfs.open(sb.ctx(), undefined, '/proc/1/status', O.RDONLY, 0);
    proc.comm = 'renamed';
    const small = new Uint8Array(5);
    let all = '';
    for (let n = file.read(small); n > 0; n = file.read(small)) all += text(small, n);
    expect(all.startsWith('Name:\tinit\n')).toBe(true);
    const at = new Uint8Array(4);
    expect(file.read(at, 6)).toBe(4);
    expect(text(at, 4)).toBe('init');
    expect(file.read(at, 1 << 20)).toBe(0);
    expect(readAll(sb.vfs, sb.ctx(), '/proc/1/comm')).toBe('renamed\n');
  });

  it('gives ESRCH for a process gone while its file was open', () => {
    const sb = sandboxWithProcesses();
    const dir = sb.vfs.open(sb.ctx(), undefined, '/proc/7', O.RDONLY | O.DIRECTORY, 0);
    sb.processes.delete(7);
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), dir.location, 'stat', O.RDONLY, 0))).toBe(E.ESRCH);
    expect(errnoOf(() => sb.vfs.stat(sb.ctx(), undefined, '/proc/7', 0))).toBe(E.ENOENT);
  });

  it('refuses writes, even from root', () => {
    const sb = sandboxWithProcesses();
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/proc/uptime', O.WRONLY, 0))).toBe(E.EACCES);
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/proc/sys/kernel/hostname', O.RDWR, 0))).toBe(E.EACCES);
    expect(errnoOf(() => sb.vfs.mkdir(sb.ctx(), undefined, '/proc/newdir', 0o755))).not.toBe(0);
  });

  it('names threads through task/TID/comm, from the same process only', () => {
    const sb = sandboxWithProcesses();
    sb.current = 7;
    const rename = (path: string, name: string) => {
      const file = sb.vfs.open(sb.ctx(), undefined, path, O.WRONLY, 0);
      try {
        return file.write(Buffer.from(name, 'latin1'));
      } finally {
        file.unref();
      }
    };
    // As Linux keeps them: the first 15 bytes, a newline included.
    expect(rename('/proc/self/task/8/comm', 'reader-thread-with-a-long-name')).toBe(30);
    expect(readAll(sb.vfs, sb.ctx(), '/proc/7/task/8/comm')).toBe('reader-thread-w\n');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/7/task/9/comm')).toBe('worker thread\n');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/7/comm')).toBe('worker thread\n');
    rename('/proc/7/comm', 'renamed\n');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/7/comm')).toBe('renamed\n\n');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/7/task/7/comm')).toBe('renamed\n\n');
    sb.current = 1;
    expect(errnoOf(() => rename('/proc/7/task/8/comm', 'intruder'))).toBe(E.EINVAL);
  });

  it('system files describe the sandbox in the kernel formats', () => {
    const sb = sandboxWithProcesses();
    const read = (p: string) => readAll(sb.vfs, sb.ctx(), p);
    expect(read('/proc/uptime')).toBe('12.50 25.00\n');
    expect(read('/proc/loadavg')).toBe('0.00 0.00 0.00 1/4 7\n');
    const meminfo = read('/proc/meminfo');
    expect(meminfo.startsWith('MemTotal:        2097152 kB\nMemFree:         1048576 kB\nMemAvailable:    1048576 kB\n')).toBe(true);
    expect(meminfo).toContain('SwapTotal:             0 kB\n');
    expect(meminfo).toContain('HugePages_Total:       0\n');
    const cpuinfo = read('/proc/cpuinfo');
    expect(cpuinfo.match(/^processor\t: \d+$/gm)).toEqual(['processor\t: 0', 'processor\t: 1']);
    expect(cpuinfo).toContain('model name\t: Test CPU @ 2.00GHz\n');
    expect(cpuinfo).toContain('flags\t\t: fpu sse2 avx2\n');
    const stat = read('/proc/stat');
    expect(stat).toMatch(/^cpu  0 0 0 2500 0 0 0 0 0 0\ncpu0 0 0 0 1250 0 0 0 0 0 0\ncpu1 /);
    expect(stat).toMatch(/^btime \d+$/m);
    expect(stat).toContain('processes 7\nprocs_running 1\n');
    expect(read('/proc/version')).toMatch(/^Linux version \S+ /);
    expect(read('/proc/filesystems')).toContain('nodev\tproc\n');
  });

  it('/proc/sys holds the tunables programs read', () => {
    const sb = sandboxWithProcesses();
    const read = (p: string) => readAll(sb.vfs, sb.ctx(), `/proc/sys/${p}`);
    expect(read('kernel/hostname')).toBe('box\n');
    expect(read('kernel/ostype')).toBe('Linux\n');
    expect(read('kernel/osrelease')).toMatch(/^\d+\.\d+\.\d+/);
    expect(read('kernel/pid_max')).toBe('4194304\n');
    expect(read('kernel/ngroups_max')).toBe('65536\n');
    expect(read('kernel/random/boot_id')).toBe(read('kernel/random/boot_id'));
    expect(read('kernel/random/uuid')).not.toBe(read('kernel/random/uuid'));
    expect(read('fs/nr_open')).toBe('1048576\n');
    expect(read('fs/mqueue/msg_max')).toBe('10\n');
    expect(read('vm/overcommit_memory')).toBe('0\n');
    expect(read('net/core/somaxconn')).toBe('4096\n');
  });

  it('mounts and mountinfo list the sandbox mount table', () => {
    const sb = sandboxWithProcesses();
    const mounts = readAll(sb.vfs, sb.ctx(), '/proc/mounts').split('\n');
    expect(mounts).toContain('proc /proc proc rw,relatime 0 0');
    expect(mounts).toContain('tmpfs /dev tmpfs rw,nosuid,relatime,mode=755,size=65536k 0 0');
    expect(mounts).toContain('sysfs /sys sysfs ro,nosuid,nodev,noexec,relatime 0 0');
    // The rootfs' host path never shows.
    expect(mounts[0]).toBe('none / overlay rw,relatime 0 0');
    expect(readAll(sb.vfs, sb.ctx(), '/proc/self/mountinfo')).not.toContain(sb.bundle);
    const info = readAll(sb.vfs, sb.ctx(), '/proc/self/mountinfo').trimEnd().split('\n');
    expect(info.length).toBe(4);
    for (const line of info) expect(line).toMatch(/^\d+ \d+ \d+:\d+ \S+ \S+ \S+ - \S+ \S+ \S+$/);
    expect(info.some((line) => / \/proc rw,relatime - proc proc rw$/.test(line))).toBe(true);
  });

  it('fdinfo shows position, flags and mount of each fd', () => {
    const sb = sandboxWithProcesses();
    const fd = sb.openFd(1, '/etc/hostname', O.RDONLY);
    sb.processes.get(1)!.fdTable.get(fd)!.read(new Uint8Array(2));
    const info = readAll(sb.vfs, sb.ctx(), `/proc/1/fdinfo/${fd}`);
    expect(info).toMatch(/^pos:\t2\nflags:\t0\d{6}\nmnt_id:\t1\nino:\t\d+\n$/);
    expect(listDir(sb.vfs, sb.ctx(), '/proc/1/fd').slice(2)).toEqual([String(fd)]);
  });
});

describe('/sys', () => {
  it('shows the CPUs and the usual directories, read-only', () => {
    const sb = sandboxWithProcesses();
    const read = (p: string) => readAll(sb.vfs, sb.ctx(), p);
    expect(read('/sys/devices/system/cpu/online')).toBe('0-1\n');
    expect(read('/sys/devices/system/cpu/possible')).toBe('0-1\n');
    expect(listDir(sb.vfs, sb.ctx(), '/sys/devices/system/cpu')).toEqual(expect.arrayContaining(['cpu0', 'cpu1', 'online']));
    expect(read('/sys/kernel/mm/transparent_hugepage/enabled')).toBe('always [madvise] never\n');
    expect(listDir(sb.vfs, sb.ctx(), '/sys')).toEqual(expect.arrayContaining(['fs', 'kernel', 'devices', 'class', 'block']));
    // Linux says EROFS (the mount is checked first); the VFS currently checks the mode first.
    expect([E.EROFS, E.EACCES]).toContain(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/sys/devices/system/cpu/online', O.WRONLY, 0)));
  });
});
