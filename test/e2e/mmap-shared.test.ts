// MAP_SHARED file mappings as a user sees them: a static C program writing through shared
// mappings of a tmpfs/upper-layer file, a lower-layer file and a bind-mounted host file
// prints what it prints natively; the host file of a read-write bind mount changes as
// under runc, the bundle's rootfs never does; nothing maps a host file for writing that
// the spec does not grant; python3's mmap module and an SQLite database in WAL mode give
// chroot's output.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { runInChroot, runInTssc } from '../fixtures/debian-sandbox.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

function hasGcc(): boolean {
  return spawnSync('gcc', ['--version']).status === 0;
}

/** Adds bind mounts to DIR/config.json. */
function addBinds(dir: string, binds: { source: string; destination: string; readonly: boolean }[]): void {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { mounts: object[] };
  for (const bind of binds) {
    config.mounts.push({ destination: bind.destination, type: 'bind', source: bind.source, options: ['rbind', bind.readonly ? 'ro' : 'rw'] });
  }
  writeFileSync(file, JSON.stringify(config, null, 2));
}

describe.skipIf(!hasBusybox() || !hasGcc())('MAP_SHARED file mappings: a C program, native and sandboxed', () => {
  let dir = '';
  let program = '';
  let escape = '';

  beforeAll(() => {
    dir = scratchDir('tssc-e2e-mmap-');
    program = path.join(dir, 'mmap-shared');
    escape = path.join(dir, 'mmap-shared-escape');
    execFileSync('gcc', ['-O1', '-static', '-pthread', '-o', program, path.join(FIXTURES, 'mmap-shared.c')]);
    execFileSync('gcc', ['-O1', '-static', '-o', escape, path.join(FIXTURES, 'mmap-shared-escape.c')]);
    const rootfs = makeRootfs(dir);
    copyFileSync(program, path.join(rootfs, 'bin', 'mmap-shared'));
    copyFileSync(escape, path.join(rootfs, 'bin', 'mmap-shared-escape'));
  });
  afterAll(() => removeDir(dir));

  /** The program's output natively, in a fresh directory holding a copy of fruits.txt. */
  function nativeRun(name: string): string {
    const work = path.join(dir, name);
    mkdirSync(work);
    copyFileSync(path.join(dir, 'rootfs', 'data', 'fruits.txt'), path.join(work, 'fruits.txt'));
    return execFileSync(program, [work, path.join(work, 'fruits.txt')], { encoding: 'utf8' });
  }

  it('writes through tmpfs/upper-layer and lower-layer files as natively; the rootfs stays as it was', () => {
    const native = nativeRun('native-upper');
    expect(native).toContain("pread 14@100: 14 'from the child'");
    expect(native).toContain('threads: all mapped, counts 100 100 100 100, alarms seen: yes');
    writeConfig(dir, { args: ['/bin/mmap-shared', '/tmp', '/data/fruits.txt'] });
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.status).toBe(0);
    expect(sandboxed.stdout).toBe(native);
    expect(readFileSync(path.join(dir, 'rootfs', 'data', 'fruits.txt'), 'utf8')).toBe('pear\napple\nfig\nbanana\napple\ncherry\n');
    expect(existsSync(path.join(dir, 'rootfs', 'tmp', 'shared.dat'))).toBe(false);
  });

  it('changes the host file of a read-write bind mount, as under runc', () => {
    const native = nativeRun('native-bind');
    const shared = path.join(dir, 'shared-host');
    mkdirSync(shared);
    writeFileSync(path.join(shared, 'fruits.txt'), 'pear\napple\nfig\nbanana\napple\ncherry\n');
    writeConfig(dir, { args: ['/bin/mmap-shared', '/host', '/host/fruits.txt'] });
    addBinds(dir, [{ source: shared, destination: '/host', readonly: false }]);
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native);
    expect(readFileSync(path.join(shared, 'fruits.txt'), 'utf8')).toBe('PEAR\napple\nfig\nbanana\napple\ncherry\n');
    // The file the program made on the bind mount holds what it wrote through its mappings.
    const made = readFileSync(path.join(shared, 'shared.dat'));
    expect(made.length).toBe(4096);
    expect(made.subarray(0, 15).toString('latin1')).toBe('validatedRITEap');
    expect(made.subarray(100, 114).toString('latin1')).toBe('from the child');
  });

  it('never writes a file the spec does not grant: read-only binds, symlinks and .. out, /proc/self/fd reopens', () => {
    const host = path.join(dir, 'escape-host');
    mkdirSync(path.join(host, 'outside'), { recursive: true });
    mkdirSync(path.join(host, 'ro'));
    mkdirSync(path.join(host, 'rw'));
    writeFileSync(path.join(host, 'outside', 'marker.txt'), 'secret marker\n');
    writeFileSync(path.join(host, 'ro', 'ro.txt'), 'read-only file\n');
    symlinkSync('../outside/marker.txt', path.join(host, 'rw', 'link-out'));
    symlinkSync(path.join(host, 'outside', 'marker.txt'), path.join(host, 'rw', 'abs-link-out'));
    const paths = ['/ro/ro.txt', '/rw/link-out', '/rw/abs-link-out', '/rw/../../outside/marker.txt', '/proc/self/root/../outside/marker.txt', '/proc/self/fd/1', 'exec:/noexec/f', 'exec:/tmp/f'];
    writeConfig(dir, { args: ['/bin/mmap-shared-escape', ...paths] });
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { mounts: object[] };
    config.mounts.push({ destination: '/noexec', type: 'tmpfs', source: 'tmpfs', options: ['noexec'] });
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    addBinds(dir, [
      { source: path.join(host, 'ro'), destination: '/ro', readonly: true },
      { source: path.join(host, 'rw'), destination: '/rw', readonly: false },
    ]);
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.status).toBe(0);
    const out = sandboxed.stdout;
    expect(out).toContain('/ro/ro.txt\n  open O_RDWR: Read-only file system\n  O_RDONLY: mmap rw: Permission denied\n  mprotect rw: Permission denied\n  reopen O_RDWR: Read-only file system\n');
    expect(out).toContain('/rw/link-out\n  open O_RDWR: No such file or directory\n');
    expect(out).toContain('/rw/abs-link-out\n  open O_RDWR: No such file or directory\n');
    expect(out).toContain('/rw/../../outside/marker.txt\n  open O_RDWR: No such file or directory\n');
    expect(out).toContain('/proc/self/root/../outside/marker.txt\n  open O_RDWR: No such file or directory\n');
    expect(out).toContain('/noexec/f\n  mmap exec: Operation not permitted\n');
    expect(out).toContain('/tmp/f\n  mmap exec: mapped\n');
    expect(readFileSync(path.join(host, 'outside', 'marker.txt'), 'utf8')).toBe('secret marker\n');
    expect(readFileSync(path.join(host, 'ro', 'ro.txt'), 'utf8')).toBe('read-only file\n');
    expect(readFileSync(path.join(dir, 'rootfs', 'data', 'fruits.txt'), 'utf8')).toBe('pear\napple\nfig\nbanana\napple\ncherry\n');
  });
});

const PYTHON_MMAP = `
import mmap, os
p = '/tmp/m.dat'
with open(p, 'wb') as f:
    f.write(b'.' * 8192)
fd = os.open(p, os.O_RDWR)
m = mmap.mmap(fd, 8192, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:5] = b'hello'
print('read sees', os.pread(fd, 5, 0))
os.pwrite(fd, b'HE', 0)
print('map sees', m[0:5])
pid = os.fork()
if pid == 0:
    m[100:105] = b'child'
    os._exit(0)
os.waitpid(pid, 0)
with open(p, 'rb') as f:
    print('after the child', f.read()[100:105])
m.flush()
m.close()
os.close(fd)
with open(p, 'rb') as f:
    print('after close', f.read(5))
    r = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    print('read-only map', r[:5], len(r))
    try:
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_WRITE)
    except OSError as e:
        print('writable map of a read-only fd:', e.errno)
`;

/** SQLite's WAL mode keeps its index in a MAP_SHARED -shm file that every connection maps. */
const PYTHON_SQLITE_WAL = `
import os, sqlite3
p = '/tmp/wal.db'
a = sqlite3.connect(p)
print('journal', a.execute('pragma journal_mode=wal').fetchone()[0])
a.execute('create table t (x integer)')
a.execute('insert into t values (1), (2)')
a.commit()
b = sqlite3.connect(p)
print('second connection sees', b.execute('select sum(x) from t').fetchone()[0])
pid = os.fork()
if pid == 0:
    c = sqlite3.connect(p)
    c.execute('insert into t values (40)')
    c.commit()
    c.close()
    os._exit(0)
os.waitpid(pid, 0)
print('after the child', b.execute('select sum(x) from t').fetchone()[0])
`;

function whyNoDebian(): string | undefined {
  if (process.getuid?.() !== 0) return 'the chroot reference needs root';
  if (!hasBusybox()) return 'native/ptrace is not built';
  if (!existsSync('/usr/bin/python3')) return 'the host has no python3';
  return undefined;
}

describe.skipIf(whyNoDebian() !== undefined)("MAP_SHARED through python3's mmap module (Debian userland)", () => {
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-mmap-py-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  it('prints what it prints under chroot', () => {
    const rootfs = debianRootfs();
    const reference = runInChroot(rootfs, ['/usr/bin/python3', '-c', PYTHON_MMAP]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain("after the child b'child'");
    const sandboxed = runInTssc(bundle, rootfs, ['/usr/bin/python3', '-c', PYTHON_MMAP]);
    expect(sandboxed.stderr).toBe(reference.stderr);
    expect(sandboxed.stdout).toBe(reference.stdout);
    expect(sandboxed.status).toBe(0);
  });

  it('runs an SQLite database in WAL mode (a shared -shm mapping) as under chroot', () => {
    const rootfs = debianRootfs();
    const reference = runInChroot(rootfs, ['/usr/bin/python3', '-c', PYTHON_SQLITE_WAL]);
    expect(reference.stdout).toContain('after the child 43');
    const sandboxed = runInTssc(bundle, rootfs, ['/usr/bin/python3', '-c', PYTHON_SQLITE_WAL]);
    expect(sandboxed.stderr).toBe(reference.stderr);
    expect(sandboxed.stdout).toBe(reference.stdout);
    expect(sandboxed.status).toBe(0);
  });
});
