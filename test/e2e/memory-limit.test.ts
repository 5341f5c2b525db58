// linux.resources.memory.limit under `tssc run`, as root and as nobody (no cgroups): a
// tmpfs filler is refused with ENOSPC, an anonymous filler refused or killed, a shared
// anonymous filler and a fork bomb of small fillers killed (the largest first, as a
// memory cgroup's OOM killer does), socket buffers nobody reads refused (ENOBUFS, dropped
// datagrams) and given back on read and close, while the rest of the sandbox goes on; the sentry's
// own memory stays bounded throughout (measured: its peak resident set), and the sandbox
// sees its limit as the memory there is.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig, type BundleOptions, type RunResult } from './busybox-bundle.js';

const FIXTURES = path.join(REPO, 'test', 'e2e', 'fixtures');
const LIMIT_MIB = 64;
const NOBODY = 65534;
/** The sentry's own peak: Node and the sandbox's 64 MiB, well under a few hundred MB. */
const SENTRY_PEAK_KB = 300 * 1024;
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('linux.resources.memory.limit', () => {
  let dir: string;
  let maxrss: string;
  let copy: string | undefined;
  let runs = 0;

  beforeAll(() => {
    dir = scratchDir('tssc-memlimit-');
    const rootfs = makeRootfs(dir);
    installCProgram(rootfs, path.join(FIXTURES, 'memfill.c'), 'memfill', 'static');
    installCProgram(rootfs, path.join(FIXTURES, 'sockfill.c'), 'sockfill', 'static');
    maxrss = path.join(dir, 'maxrss');
    execFileSync('gcc', ['-O2', '-o', maxrss, path.join(FIXTURES, 'maxrss.c')]);
    mkdirSync(path.join(dir, 'out'));
    chmodSync(path.join(dir, 'out'), 0o1777);
    if (canSetpriv) copy = worldReadableCopy(path.join(dir, 'tssc'));
  });
  afterAll(() => removeDir(dir));

  /** Runs script under a 64 MiB limit as user; the result and the sentry's peak resident set in KiB. */
  function run(script: string, user: 'root' | 'nobody', extra: Pick<BundleOptions, 'pidsLimit' | 'mounts'> = {}): RunResult & { sentryKb: number } {
    writeConfig(dir, { args: ['sh', '-c', script], memoryLimit: LIMIT_MIB << 20, ...extra });
    const out = path.join(dir, 'out', `peak-${runs++}`);
    const result = tsscRun(dir, [], {
      wrapper: [maxrss, out],
      ...(user === 'nobody' ? { tsscDir: copy!, asUser: NOBODY, stateDir: path.join(dir, 'out', `state-${runs}`) } : {}),
    });
    return { ...result, sentryKb: Number(readFileSync(out, 'utf8').split(' ')[0]) };
  }

  for (const user of ['root', 'nobody'] as const) {
    describe.skipIf(user === 'nobody' && !canSetpriv)(`as ${user}`, () => {
      it('refuses a tmpfs filler with ENOSPC at the limit and goes on', () => {
        const result = run('dd if=/dev/zero of=/tmp/fill bs=1M count=1024; echo "dd $?"; wc -c < /tmp/fill; rm /tmp/fill; echo after', user);
        expect(result.stderr).toContain("dd: error writing '/tmp/fill': No space left on device");
        expect(result.stdout).toMatch(/^dd 1\n\d+\nafter\n$/);
        const size = Number(result.stdout.split('\n')[1]);
        // Up to the limit, less what the tasks hold and the room kept for them to go on.
        expect(size).toBeLessThanOrEqual((LIMIT_MIB - 8) << 20);
        expect(size).toBeGreaterThan((LIMIT_MIB - 24) << 20);
        expect(result.status).toBe(0);
        expect(result.sentryKb).toBeLessThan(SENTRY_PEAK_KB);
      });

      it('stops a private anonymous filler, refused or killed, and goes on', () => {
        const result = run('memfill private 1024 > /tmp/log; echo "status $?"; tail -1 /tmp/log', user);
        const [status, last] = result.stdout.trim().split('\n');
        if (status === 'status 1') expect(last).toMatch(/^refused at (\d+) MiB: ENOMEM$/);
        else expect([status, Number(last) <= LIMIT_MIB]).toEqual(['status 137', true]);
        expect(result.status).toBe(0);
        expect(result.sentryKb).toBeLessThan(SENTRY_PEAK_KB);
      });

      it('kills a shared anonymous filler, which RLIMIT_DATA does not bound, soon after the limit', () => {
        const result = run('memfill shared 2048 > /tmp/log; echo "status $?"; tail -1 /tmp/log', user);
        const [status, last] = result.stdout.trim().split('\n');
        expect(status).toBe('status 137');
        // How far it got between two readings of the monitor (measured here: under 110 MiB).
        expect(Number(last)).toBeLessThan(1024);
        expect(result.sentryKb).toBeLessThan(SENTRY_PEAK_KB);
      });

      it('refuses socket buffers nobody reads at the limit, and gives them back on read and close', () => {
        const result = run('sockfill unix; echo "unix $?"; sockfill tcp; echo "tcp $?"; sockfill udp; echo after', user);
        const match =
          /^ENOBUFS after \d+ pairs, (\d+) MiB queued\nafter a read: written\nafter closing: EAGAIN with 256 KiB queued\nunix 0\nENOBUFS after \d+ pairs, (\d+) MiB queued\nafter a read: written\nafter closing: EAGAIN with 144 KiB queued\ntcp 0\noffered 97 MiB, held (\d+) MiB, \d+ receivers full, (\d+) short\nafter\n$/.exec(result.stdout);
        expect(match, result.stdout + result.stderr).not.toBeNull();
        const [unix, tcp, udp, short] = match!.slice(1).map(Number) as [number, number, number, number];
        // Each family queued up to the limit, less what the tasks and the filesystems hold.
        for (const held of [unix, tcp, udp]) expect([held > LIMIT_MIB - 16, held < LIMIT_MIB]).toEqual([true, true]);
        expect(short).toBeGreaterThan(0);
        expect(result.status).toBe(0);
        expect(result.sentryKb).toBeLessThan(SENTRY_PEAK_KB);
      });

      it('kills a fork bomb of small fillers, the largest first, until the rest fit', () => {
        const result = run(`memfill bomb 24 8 ${LIMIT_MIB}; echo after`, user, { pidsLimit: 64 });
        const match = /^killed (\d+) refused (\d+) alive (\d+)\nafter\n$/.exec(result.stdout);
        expect(match, result.stdout + result.stderr).not.toBeNull();
        const [killed, refused, alive] = match!.slice(1).map(Number) as [number, number, number];
        expect(killed + refused + alive).toBe(24);
        expect(alive * 8).toBeLessThan(LIMIT_MIB);
        expect(killed).toBeGreaterThanOrEqual(24 - LIMIT_MIB / 8);
        expect(result.sentryKb).toBeLessThan(SENTRY_PEAK_KB);
      });
    });
  }

  it('keeps linux.resources.pids.limit: a fork past it fails with EAGAIN', () => {
    const result = run('for i in 1 2 3 4 5 6; do sleep 1 & done; wait; echo unreachable', 'root', { pidsLimit: 4 });
    expect(result.stderr).toBe("sh: can't fork: Resource temporarily unavailable\n");
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  });

  it('shows the limit as the memory of the machine (/proc/meminfo, sysinfo)', () => {
    const result = run('head -1 /proc/meminfo; free | sed -n 2p', 'root');
    const [meminfo, free] = result.stdout.split('\n');
    expect(meminfo).toBe(`MemTotal:       ${String(LIMIT_MIB * 1024).padStart(8)} kB`);
    expect(free?.split(/\s+/)[1]).toBe(String(LIMIT_MIB * 1024));
  });

  it('shows its limits, usage and OOM kills in a spec\'s cgroup mount, as cgroup2', () => {
    const script = [
      'cd /sys/fs/cgroup; cat cgroup.controllers memory.max pids.max cgroup.procs',
      'memfill bomb 24 8 64',
      'grep oom_kill memory.events',
      'grep " /sys/fs/cgroup " /proc/self/mountinfo | cut -d" " -f5,8',
      'test "$(cat memory.current)" -lt $((64 << 20)) && echo "memory.current under the limit"',
    ].join('\n');
    const result = run(script, 'root', { pidsLimit: 64, mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] }] });
    const killed = /^killed (\d+) /m.exec(result.stdout)?.[1];
    expect(result.stdout).toBe(
      `memory pids\n${LIMIT_MIB << 20}\n64\n1\n2\nkilled ${killed} refused 0 alive ${24 - Number(killed)}\noom_kill ${killed}\n/sys/fs/cgroup cgroup2\nmemory.current under the limit\n`,
    );
  });
});
