// Docker's default seccomp profile (test/fixtures/seccomp/docker-default.json, written in
// the runtime-spec form Docker hands runc: ERRNO(EPERM) by default, an allow list, the
// personality and clone argument rules, clone3 as ENOSYS) leaves ordinary workloads
// unchanged: a busybox script and a python3 program print under it what they print
// without it, and what it refuses is refused with Docker's errno.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, makeRootfs, REPO, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { writeDebianBundle } from '../fixtures/debian-sandbox.js';

const PROFILE: unknown = JSON.parse(readFileSync(path.join(REPO, 'test', 'fixtures', 'seccomp', 'docker-default.json'), 'utf8'));

const BUSYBOX_SCRIPT = [
  'ls -l /data | wc -l', 'sort /data/fruits.txt | uniq -c', 'echo written > /tmp/x && cat /tmp/x',
  'wc -l /data/numbers.txt', 'id', 'hostname', 'ps -o pid,comm >/tmp/ps && wc -l </tmp/ps', 'sleep 0.1',
  'find /data -type f | sort', '(cd /data && tar cf - . | tar tf - | sort | head -3)', 'echo done',
].join('; ');

describe.skipIf(!hasBusybox())('Docker default seccomp profile: busybox', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchDir('tssc-docker-seccomp-');
    makeRootfs(dir);
  });
  afterAll(() => removeDir(dir));

  it('runs a busybox script unchanged', () => {
    writeConfig(dir, { args: ['/bin/sh', '-c', BUSYBOX_SCRIPT] });
    const plain = tsscRun(dir);
    expect(plain.status).toBe(0);
    writeConfig(dir, { args: ['/bin/sh', '-c', BUSYBOX_SCRIPT], seccomp: PROFILE });
    const profiled = tsscRun(dir);
    expect(profiled.stderr).toBe('');
    expect(profiled.stdout).toBe(plain.stdout);
    expect(profiled.status).toBe(0);
  });
});

const PYTHON = `
import hashlib, json, os, subprocess, sys, tempfile, threading
results = []
def work(n):
    results.append(hashlib.sha256(str(n).encode()).hexdigest()[:8])
threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(sorted(results))
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, 'f.json')
    with open(p, 'w') as f: json.dump({'a': [1, 2, 3]}, f)
    print(open(p).read())
print(subprocess.run(['/usr/bin/echo', 'child'], capture_output=True, text=True).stdout.strip())
print(os.getuid(), os.getpid() > 0, sys.version_info[:2] >= (3, 0))
`;

describe.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/bin/python3'))('Docker default seccomp profile: python3', () => {
  let bundle: string;
  let rootfs: string;
  beforeAll(() => {
    rootfs = debianRootfs();
    bundle = mkdtempSync(path.join(tmpdir(), 'tssc-docker-python-'));
  });
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  function run(seccomp: unknown, program = PYTHON): ReturnType<typeof tsscRun> {
    writeDebianBundle(bundle, rootfs, ['/usr/bin/python3', '-c', program]);
    const configPath = path.join(bundle, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { linux: Record<string, unknown> };
    if (seccomp) config.linux.seccomp = seccomp;
    writeFileSync(configPath, JSON.stringify(config));
    return tsscRun(bundle);
  }

  it('runs threads, files and a subprocess unchanged', () => {
    const plain = run(undefined);
    expect(plain.status).toBe(0);
    const profiled = run(PROFILE);
    expect(profiled.stderr).toBe('');
    expect(profiled.stdout).toBe(plain.stdout);
    expect(profiled.status).toBe(0);
  });

  it('refuses with the profile errno what the sentry would answer otherwise', () => {
    // get_mempolicy (239): the sentry answers ENOSYS, Docker's profile EPERM first;
    // clone3 (435): the sentry's EINVAL for a struct smaller than version 0, as Linux's,
    // and Docker's profile ENOSYS, so the C library falls back to clone.
    const probe = 'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfor nr in (239, 435):\n    libc.syscall(nr, 0, 0, 0, 0, 0)\n    print(nr, ctypes.get_errno())';
    expect(run(undefined, probe).stdout).toBe('239 38\n435 22\n');
    expect(run(PROFILE, probe).stdout).toBe('239 1\n435 38\n');
  });
});
