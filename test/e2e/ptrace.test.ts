// ptrace between tasks of the sandbox: a C fixture (static and dynamic, and with tssc run
// as nobody) prints what it prints natively (TRACEME and exec's SIGTRAP, syscall stops
// with GET_SYSCALL_INFO, a result changed by SETREGS, PEEK/POKE, SEIZE/INTERRUPT/DETACH,
// fork/exit events with auto-attach, signal-delivery stops, the access rule), and so does
// ptrace-extras.c (VFORK_DONE, GET/SETSIGMASK, PEEKSIGINFO, CLD_TRAPPED and what the real
// parent sees of a traced child's group-stop, SECCOMP_GET_FILTER with CAP_SYS_ADMIN); strace -f,
// ltrace and gdb run inside as they run natively; and a tracer inside reaches nothing else: no
// host pid, no task it may not trace, no register value that would steer the sentry.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itGivesTheNativeOutput } from './native-fixture.js';
import { hasBusybox, hasCompiler, installCProgram, installFixtures, makeRootfs, nativeAndSandboxed, removeDir, REPO, runAs, scratchDir, TSSC_USERS, tsscRun, writeConfig } from './busybox-bundle.js';
import { debianRootfs, type DebianRootfsSpec } from '../fixtures/debian-rootfs.js';
import { runInChroot, writeDebianBundle } from '../fixtures/debian-sandbox.js';

const isRoot = process.getuid?.() === 0;

/** What ptrace-hostile.c prints inside (two host pids given). */
const HOSTILE_OUTPUT = `${'attach host pid: ESRCH\nseize host pid: ESRCH\nread host pid: ESRCH\n'.repeat(2)}same uid, not a descendant: EPERM
same uid, seize: EPERM
init by a non-root task: EPERM
victim names n: ok 0
named tracer's child seizes: ok 0
named tracer seizes: ok 0
victim names 0: ok 0
after PR_SET_PTRACER 0: EPERM
victim names a: ok 0
after PR_SET_PTRACER_ANY: ok 0
victim names x: EINVAL
after a failed PR_SET_PTRACER: ok 0
setregs rip in the reserved range: EIO
pokeuser rip in the reserved range: EIO
setregset rip in the reserved range: EIO
setregs garbage: EIO
pokeuser cs garbage: EIO
pokeuser dr7 garbage: ok 0
pokeuser dr0 kernel address: EINVAL
pokeuser wild offset: EIO
peekuser wild offset: EIO
getregset unknown set: EINVAL
poketext the reserved range: EIO
proc mem write to the reserved range: EIO
reserved range unchanged: 1
registers intact: ok 0
rewritten calls: exited 11
tracer gone: the tracee says on
orphan exited
tracer gone (EXITKILL): the tracee says nothing
orphan KILL
`;
const hasTools = ['/usr/bin/strace', '/usr/bin/gdb', '/usr/bin/ltrace'].every((p) => spawnSync(p, ['--version']).status === 0);

describe.skipIf(!hasBusybox() || !hasCompiler())('ptrace between sandbox tasks', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-ptrace-');
    makeRootfs(dir);
    binaries = installFixtures(path.join(dir, 'rootfs'), ['ptrace', 'ptrace-extras']);
    installCProgram(path.join(dir, 'rootfs'), path.join(REPO, 'test', 'e2e', 'fixtures', 'ptrace-hostile.c'), 'ptrace-hostile', 'static');
  });
  afterAll(() => removeDir(dir));

  itGivesTheNativeOutput('ptrace', () => ({ dir, binaries }));
  itGivesTheNativeOutput('ptrace-extras', () => ({ dir, binaries }));

  for (const linkage of ['static', 'dynamic'] as const) {
    it.skipIf(!isRoot)(`reads seccomp filters as natively, with CAP_SYS_ADMIN (${linkage})`, () => {
      const { native, sandboxed } = nativeAndSandboxed(dir, binaries, `ptrace-extras-${linkage}`, {
        nativeArgs: ['seccomp'],
        sandboxArgs: ['seccomp'],
        configure: (args) => writeConfig(dir, { args, extraCaps: ['CAP_SYS_ADMIN'] }),
      });
      expect(native.status).toBe(0);
      expect(sandboxed).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }

  for (const user of TSSC_USERS) {
    it(`never reaches the sentry or a host process, and survives a hostile tracer (tssc as ${user.name})`, () => {
      // The test runner's own pid and the sentry's parent are host pids: inside they name nothing.
      writeConfig(dir, { args: ['/bin/ptrace-hostile', String(process.pid), String(process.ppid)] });
      const result = tsscRun(dir, [], runAs(dir, user.uid));
      expect(result).toEqual({ status: 0, stderr: '', stdout: HOSTILE_OUTPUT });
    });
  }
});

/** The Debian programs the tool tests run: the tracers and what they trace. */
const TOOLS: DebianRootfsSpec = {
  programs: ['sh', 'ls', 'wc', 'env', 'strace', 'gdb', 'ltrace'],
  // gdb's own Python scripts, and the Python it runs them with; ltrace's prototypes.
  trees: [
    { path: '/etc/ltrace.conf' },
    { path: '/usr/share/gdb' },
    { path: '/usr/lib/python3.11', exclude: ['config-3.11-x86_64-linux-gnu', 'test', 'idlelib', 'lib2to3', 'pydoc_data', 'ensurepip', 'tkinter', 'turtledemo', 'distutils'] },
  ],
};

/**
 * strace -f output with what differs between runs taken out: each process's calls (an
 * interrupted call joined with its resumption) as a sorted list, since a signal and a
 * wait race natively too, without the SIGCHLDs (two children's may come as one, and
 * rt_sigreturn then returns whichever call they interrupted); pids by order of birth; addresses, random bytes, the
 * environment's size; and what the sandbox's /proc/filesystems says (it lists the
 * sandbox's filesystems, not the host's).
 */
function straceByProcess(text: string): string[][] {
  const lines = new Map<string, string[]>();
  const pending = new Map<string, string>();
  // strace tags lines with a pid only once it traces two processes: before, they are the first one's.
  const first = /^set_tid_address\(.*\)\s+= (\d+)$/m.exec(text)?.[1] ?? 'first';
  // A child's attach message may cut its parent's line in two.
  for (const raw of text.replace(/strace: Process \d+ attached\n/g, '').split('\n')) {
    if (raw === '' || raw.startsWith('strace: ')) continue;
    const tagged = /^\[pid\s+(\d+)\] (.*)$/.exec(raw);
    const pid = tagged ? tagged[1]! : first;
    let line = tagged ? tagged[2]! : raw;
    if (line.endsWith(' <unfinished ...>')) {
      pending.set(pid, line.slice(0, -' <unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. \S+ resumed>(.*)$/.exec(line);
    if (resumed) {
      line = (pending.get(pid) ?? '') + resumed[1]!;
      pending.delete(pid);
    }
    if (!lines.has(pid)) lines.set(pid, []);
    lines.get(pid)!.push(line);
  }
  // Children by the order their parent made them: clone's result names them.
  const names = new Map<string, string>([[first, 'P0']]);
  for (const line of lines.get(first) ?? []) {
    const cloned = /^clone\(.*\) += (\d+)$/.exec(line);
    if (cloned) names.set(cloned[1]!, `P${names.size}`);
  }
  return [...lines.entries()]
    .map(([pid, list]) => [
      names.get(pid) ?? pid,
      ...list
        .filter((line) => !line.startsWith('--- SIGCHLD ') && !line.startsWith('rt_sigreturn('))
        .map((line) =>
          line
            .replace(/\/\* \d+ vars \*\//, '/* vars */')
            .replace(/(si_pid=)(\d+)/, (_, key: string, n: string) => key + (names.get(n) ?? n))
            .replace(/^((?:clone|wait4|getpid|getppid|set_tid_address|rt_sigreturn)\(.*\)\s+= )(\d+)$/, (_, call: string, n: string) => call + (names.get(n) ?? n))
            .replace(/0x[0-9a-f]{5,}/g, 'ADDR')
            .replace(/"(\\x[0-9a-f]{2})+"/g, '"RANDOM"')
            .replace(/^(read\(\d+, "nodev\\t.*) = \d+$/, '$1 = FILESYSTEMS')
            .replace(/\s+= /, ' = '),
        )
        .sort(),
    ])
    .sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe.skipIf(!isRoot || !hasTools || !hasCompiler())('strace and gdb inside the sandbox', () => {
  let rootfs: string;
  let bundle: string;
  let programs: string;

  beforeAll(() => {
    rootfs = debianRootfs(TOOLS);
    bundle = scratchDir('tssc-ptrace-tools-');
    programs = path.join(bundle, 'programs');
    mkdirSync(programs);
    chmodSync(bundle, 0o755);
    // With its debug information and unoptimised, so every frame is in the backtrace.
    execFileSync('gcc', ['-g', '-O0', '-o', path.join(programs, 'ptrace-crash'), path.join(REPO, 'test', 'e2e', 'fixtures', 'ptrace-crash.c')]);
    // Where ltrace can break: calls through a lazily bound PLT of a non-PIE program.
    execFileSync('gcc', ['-O0', '-no-pie', '-fno-builtin', '-Wl,-z,lazy', '-o', path.join(programs, 'ltrace-target'), path.join(REPO, 'test', 'e2e', 'fixtures', 'ltrace-target.c')]);
  });
  afterAll(() => removeDir(bundle));

  /** args under tssc run of the Debian rootfs (withPrograms: the test's programs at /opt). */
  function runTools(args: string[], withPrograms: boolean): { status: number | null; stdout: string; stderr: string } {
    writeDebianBundle(bundle, rootfs, args);
    if (withPrograms) {
      const config = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
      config.mounts.push({ destination: '/opt', type: 'bind', source: programs, options: ['rbind', 'ro'] });
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    }
    return tsscRun(bundle, ['--network=none']);
  }

  it('strace -f sh -c "ls | wc -l" traces what it traces natively', () => {
    // Without the reference's PWD (its shell's own, from outside the chroot).
    const args = ['env', '-u', 'PWD', 'strace', '-f', 'sh', '-c', 'ls | wc -l'];
    const native = runInChroot(rootfs, args);
    const sandboxed = runTools(args, false);
    expect(native.status).toBe(0);
    expect(sandboxed.status).toBe(0);
    expect(sandboxed.stdout).toBe(native.stdout);
    expect(straceByProcess(sandboxed.stderr)).toEqual(straceByProcess(native.stderr));
    expect(sandboxed.stderr).toMatch(/--- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=\d+, si_uid=0, si_status=0/);
  });

  it('ltrace shows a program\'s library calls as natively', () => {
    const native = spawnSync('ltrace', [path.join(programs, 'ltrace-target'), 'sandbox'], { encoding: 'utf8', timeout: 60_000 });
    const sandboxed = runTools(['ltrace', '/opt/ltrace-target', 'sandbox'], true);
    // Heap addresses differ between runs, and the padding before each result with them.
    const calls = (text: string): string => text.replace(/0x[0-9a-f]+/g, 'ADDR').replace(/ +=/g, ' =');
    expect(native.stderr).toMatch(/^strlen\("sandbox"\) +.* = 7\n/);
    expect(calls(sandboxed.stderr)).toBe(calls(native.stderr));
    expect(sandboxed.stdout).toBe(native.stdout);
    expect([sandboxed.status, native.status]).toEqual([0, 0]);
    expect(native.stderr).toMatch(/\+\+\+ exited \(status 3\) \+\+\+\n$/);
  });

  it('gdb -batch -ex run -ex bt gives a crashing program\'s backtrace as natively', () => {
    const gdb = (program: string): string[] => ['gdb', '-nx', '-q', '-batch', '-ex', 'set disable-randomization off', '-ex', 'run', '-ex', 'bt', '-ex', 'info registers rip', program];
    const native = spawnSync('gdb', gdb(path.join(programs, 'ptrace-crash')).slice(1), { encoding: 'utf8', timeout: 60_000 });
    const sandboxed = runTools(gdb('/opt/ptrace-crash'), true);
    const frames = (text: string): string =>
      text
        .split('\n')
        .filter((line) => /^#\d|^Program received|^rip|^crashing/.test(line))
        .map((line) => line.replace(/0x[0-9a-f]+/g, 'ADDR').replace(/\/\S*ptrace-crash/g, 'PROGRAM'))
        .join('\n');
    expect(frames(sandboxed.stdout)).toBe(frames(native.stdout));
    expect(frames(native.stdout)).toMatch(/#3 +ADDR in main \(\) at/);
    expect(sandboxed.status).toBe(0);
  });
});
