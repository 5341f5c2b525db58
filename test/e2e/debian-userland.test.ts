// A Debian 12 userland (bash, coreutils, findutils, tar, gzip, perl, python3 and their
// libraries, copied from the host's packages) under `tssc run`: every script must print
// the same, on stdout and stderr, and exit the same as under chroot on the host.
//
// Until the sentry runs dynamically linked programs these tests are skipped, with the
// sentry's own error as the reason: a probe runs a dynamic `echo` first.
//
// TSSC_DEBIAN_ROOTFS=DIR runs the same checks on another Debian tree instead (the slow
// tier, scripts/debootstrap-tier.sh, points it at a debootstrap minbase tree); /data is
// written into it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './busybox-bundle.js';
import { debianRootfs, writeTestData } from '../fixtures/debian-rootfs.js';
import { ROOT, runInChroot, runInTssc, type SandboxUser } from '../fixtures/debian-sandbox.js';

const ADDON = path.join(REPO, 'native', 'ptrace', 'build', 'Release', 'tssc_ptrace.node');

const externalRootfs = process.env['TSSC_DEBIAN_ROOTFS'];

function whyNotRunnable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the chroot reference needs root';
  if (!existsSync(ADDON)) return 'native/ptrace is not built (npm run build)';
  const tree = externalRootfs ?? '';
  if (!existsSync(`${tree}/usr/bin/python3`) || !existsSync(`${tree}/usr/bin/perl`)) return `${externalRootfs ?? 'the host'} lacks python3 or perl`;
  return undefined;
}

function prepareRootfs(): string {
  if (externalRootfs === undefined) return debianRootfs();
  if (!existsSync(path.join(externalRootfs, 'data'))) writeTestData(externalRootfs);
  return externalRootfs;
}

const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-debian-e2e-'));
let skipReason = whyNotRunnable();
const rootfs = skipReason === undefined ? prepareRootfs() : '';
if (skipReason === undefined) {
  // The reference needs mount/pid/uts namespaces: a container without CAP_SYS_ADMIN lacks them.
  const reference = runInChroot(rootfs, ['/usr/bin/true']);
  if (reference.status !== 0) skipReason = `the chroot reference cannot run here: ${reference.stderr.trim()}`;
}
if (skipReason === undefined) {
  const probe = runInTssc(bundle, rootfs, ['/usr/bin/echo', 'dynamic-ok']);
  if (probe.stdout !== 'dynamic-ok\n') {
    skipReason = `tssc cannot run a dynamically linked program yet (exit ${probe.status}): ${probe.stderr.trim()}`;
  }
}
if (skipReason !== undefined) {
  console.warn(`debian-userland: skipped: ${skipReason}`);
  // Hooks do not run for a file whose tests are all skipped.
  rmSync(bundle, { recursive: true, force: true });
}

/** A script from test/fixtures/debian-scripts, passed inline (-c/-e) so the rootfs stays shared and untouched. */
function script(name: string): string {
  return readFileSync(path.join(REPO, 'test', 'fixtures', 'debian-scripts', name), 'utf8');
}

/** Runs ARGS both ways, expects identical results, returns the reference's. */
function sameAsChroot(args: string[], input = '', user: SandboxUser = ROOT) {
  const reference = runInChroot(rootfs, args, input, user);
  const sandboxed = runInTssc(bundle, rootfs, args, input, user);
  expect(sandboxed).toEqual(reference);
  return reference;
}

afterAll(() => rmSync(bundle, { recursive: true, force: true }));

describe.skipIf(skipReason !== undefined)('a Debian userland under tssc run, compared with chroot', () => {
  it('runs bash scripts: functions, arrays, here-docs, pipes, subshells, traps, jobs', () => {
    const reference = sameAsChroot(['/bin/bash', '-c', script('bash-features.sh')]);
    expect(reference.status).toBe(3);
    expect(reference.stdout).toContain('apple is red\n');
    expect(reference.stdout).toContain('trap on exit\n');
  });

  it('runs coreutils, find, tar and gzip: ls -l, stat, find, sort, tar, gzip, sha256sum', () => {
    const reference = sameAsChroot(['/bin/bash', '-c', script('coreutils.sh')]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('gzip round trip ok\n');
  });

  it('runs perl: files, regexes, sorting, fork/pipe/wait, system and pipes from commands', () => {
    const reference = sameAsChroot(['/usr/bin/perl', '-e', script('perl-features.pl')]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('got: child says hi\nchild exit 7\n');
  });

  it('runs python3: files, json, hashlib, subprocess, threads, fork/pipe/wait', () => {
    const reference = sameAsChroot(['/usr/bin/python3', '-c', script('python-features.py')]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('40 20540\n');
    expect(reference.stdout).toContain('from child 9\n');
  });

  it('runs as an unprivileged user: permissions, the read-only root, ownership of new files', () => {
    const app = { uid: 1000, gid: 1000, additionalGids: [50] };
    const reference = sameAsChroot(['/bin/bash', '-c', script('unprivileged.sh')], '', app);
    expect(reference.status).toBe(0);
    // The names come from the tree's /etc/passwd: a debootstrap tree has no user "app".
    expect(reference.stdout).toMatch(/^uid=1000\b.* gid=1000\b.* groups=1000\b.*,50\(staff\)$/m);
    expect(reference.stderr).toContain('Permission denied');
  });

  it('runs python3 runtime services: Popen pipes, thread pool, condition, signals, timers, select, fork + exec', () => {
    const reference = sameAsChroot(['/usr/bin/python3', '-c', script('python-runtime.py')]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('interrupted by SIGALRM during the sleep\n');
    expect(reference.stdout).toContain('exec from a forked child\nchild exit 0\n');
  });

  it('enforces bash\'s ulimit -v, -d, -f and -t as the kernel does: MemoryError, SIGXFSZ and EFBIG, SIGXCPU', () => {
    const reference = sameAsChroot(['/bin/bash', '-c', script('ulimit.sh')]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('MemoryError\n104857600\nMemoryError\nhead 153\nf: 10240 bytes\n');
    expect(reference.stdout).toContain('OSError: [Errno 27] File too large: \'g\'\ng: 10240 bytes\n');
    expect(reference.stdout).toContain('cpu 152\n');
  });

  it('passes UTF-8 arguments as their bytes: tac and wc -m in C.UTF-8', () => {
    const words = ['é€', 'naïve', 'Ωmega', '日本語'];
    const count = 'printf "%s\\n" "$@" | tac; for w in "$@"; do printf %s "$w" | wc -m; done; printf %s "$1" | od -An -tx1';
    const reference = sameAsChroot(['/usr/bin/env', 'LC_ALL=C.UTF-8', '/bin/bash', '-c', count, 'bash', ...words]);
    expect(reference.stdout).toBe('日本語\nΩmega\nnaïve\né€\n2\n5\n5\n3\n c3 a9 e2 82 ac\n');
  });

  it('shows System V objects through util-linux ipcs, and removes them with ipcrm', () => {
    // The pid column is cut: the reference's setup runs processes of its own in the pid namespace.
    const make = [
      '$s = semget(0x1234, 2, 01000 | 0640) // die "semget: $!";',
      'semop($s, pack("s!3", 0, 3, 0)) or die "semop: $!";',
      '$q = msgget(0x5678, 01000 | 0600) // die "msgget: $!";',
      'msgsnd($q, pack("l! a*", 1, "hello"), 0) and msgsnd($q, pack("l! a*", 2, "world!"), 0) or die "msgsnd: $!";',
    ].join(' ');
    const script = `/usr/bin/perl -e '${make}'; ipcs; ipcs -s -i 0 | grep -v time | cut -c1-44; ipcs -l -q; ipcrm -S 0x1234 && ipcrm -q 0 && ipcs -s -q`;
    const reference = sameAsChroot(['/bin/bash', '-c', script]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('0x00001234 0          root       640        2');
    expect(reference.stdout).toContain('0x00005678 0          root       600        11           2');
  });

  it('shows System V shared memory through ipcs -m, and removes it with ipcrm -m', () => {
    // perl's shmwrite and shmread attach, copy and detach; pids and times are left out.
    const make = '$m = shmget(0x4321, 5000, 01000 | 0600) // die "shmget: $!"; shmwrite($m, "hello", 0, 5) and shmread($m, $got, 0, 5) or die "shm: $!"; print "$got\\n"';
    const script = `/usr/bin/perl -e '${make}'; ipcs -m; ipcs -m -i 0 | grep -v 'time\\|pid'; ipcs -l -m; ipcrm -M 0x4321 && ipcs -m`;
    const reference = sameAsChroot(['/bin/bash', '-c', script]);
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('hello\n');
    expect(reference.stdout).toContain('0x00004321 0          root       600        5000       0');
  });

  it('counts in ipcs -m only the shared memory still mapped, after munmap and exit', () => {
    const reference = sameAsChroot(['/usr/bin/python3', '-c', script('shm-unmapped.py')]);
    expect(reference.stdout).toBe(
      "two attached: ['2']\none unmapped: ['1']\nthe child unmapped its copy: ['1']\na child exited with its copy: ['1']\nremoved while mapped: ['1 dest']\nthe last one unmapped: []\n",
    );
  });

  it('follows changes through inotify: python over ctypes, and coreutils tail -F', () => {
    const watched = sameAsChroot(['/usr/bin/python3', '-c', script('inotify.py')]);
    expect(watched.status).toBe(0);
    expect(watched.stdout).toContain('MOVED_FROM notes.txt cookie 1\nMOVED_TO renamed.txt cookie 1\n');
    // With the file there from the start, tail -F waits on inotify (it polls for a missing one).
    const tail = [
      'echo zero > /tmp/log; tail -F /tmp/log 2>&1 & pid=$!',
      'sleep 0.5; echo one >> /tmp/log; sleep 0.5; echo two >> /tmp/log; sleep 0.5',
      'mv /tmp/log /tmp/log.1; sleep 0.8; echo three > /tmp/log; sleep 1',
      'kill $pid; wait $pid 2>/dev/null; echo done',
    ].join('\n');
    const followed = sameAsChroot(['/bin/bash', '-c', tail]);
    expect(followed.stdout).toBe(
      "zero\none\ntwo\ntail: '/tmp/log' has become inaccessible: No such file or directory\ntail: '/tmp/log' has appeared;  following new file\nthree\ndone\n",
    );
  });

  it('streams large data through pipelines and lists big trees: sort, gzip, tee, find, xargs -P, tar', () => {
    const reference = sameAsChroot(['/bin/bash', '-c', script('pipelines.sh')], 'first line\nsecond line\n');
    expect(reference.status).toBe(0);
    expect(reference.stdout).toContain('49999\n50000\n50000\n');
    expect(reference.stdout).toContain('stdin: second line\n');
  });
});
