// Calls that would reach host resources (docs/security.md, "Pass-through calls and host
// resources"), under `tssc run` as root and as nobody: scheduling policies stay the
// sandbox's (the host thread stays SCHED_OTHER), memory locks are checked and advisory
// (no host page locked), madvise never poisons a host page, and every call that carries
// a pid or tid works with the workload's virtual ids and fails with a host tid learned
// from outside. Where Linux's answer does not depend on privilege, the transcript is
// compared with the same program run natively as nobody.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, tsscSpawn, worldReadableCopy, writeConfig, type BundleOptions, type RunOptions } from './busybox-bundle.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const canSetpriv = isRoot && spawnSync('setpriv', ['--version']).status === 0;
const NATIVE_AS_NOBODY = canSetpriv ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : [];
const MEMLOCK_64K = { type: 'RLIMIT_MEMLOCK', hard: 65536, soft: 65536 };

/** The calls tid-calls.c makes, by the names it prints. */
function callNames(table: 'CALLS' | 'REFUSED'): string[] {
  const source = readFileSync(path.join(FIXTURES, 'tid-calls.c'), 'utf8');
  const body = new RegExp(`struct call ${table}\\[\\] = \\{([^;]*)\\};`).exec(source)![1]!;
  return [...body.matchAll(/\{"([^"]+)", c_/g)].map((m) => m[1]!);
}

/** A program run natively, as nobody when the tests run as root (with prlimit's limits first). */
function native(binary: string, args: string[], limits: string[] = []): string {
  const argv = [...(limits.length ? ['prlimit', ...limits] : []), ...NATIVE_AS_NOBODY, binary, ...args];
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** The host processes a sentry traces (each is its child: CLONE_PARENT) and their threads. */
function hostTasksOf(sentryPid: number): { pid: number; tids: number[] }[] {
  const tasks: { pid: number; tids: number[] }[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== sentryPid) continue;
    try {
      tasks.push({ pid: Number(entry), tids: readdirSync(`/proc/${entry}/task`).map(Number) });
    } catch {
      // Gone meanwhile.
    }
  }
  return tasks;
}

/** Fields of /proc/TID/stat, numbered as proc(5) numbers them (rt_priority 40, policy 41). */
function statField(tid: number, field: number): number {
  const stat = readFileSync(`/proc/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[field - 3]);
}

/**
 * Runs the bundle in the background until its output shows `marker`, calls inspect with the
 * sentry's host tasks, writes its answer to the workload's stdin and collects the rest.
 */
async function interact(dir: string, options: RunOptions, marker: string, inspect: (tasks: { pid: number; tids: number[] }[]) => string): Promise<{ stdout: string; stderr: string; status: number | null }> {
  const child = tsscSpawn(dir, options);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes(`${marker}\n`) || stdout.includes(`${marker}:`)) resolve();
      });
      child.on('exit', () => reject(new Error(`ended before "${marker}": ${stdout}${stderr}`)));
    });
    child.stdin.write(`${inspect(hostTasksOf(child.pid!))}\n`);
    child.stdin.end();
    const status = await exited;
    return { stdout, stderr, status };
  } finally {
    child.kill('SIGKILL');
  }
}

describe.skipIf(!hasBusybox() || !hasCompiler())('pass-through calls and host resources', () => {
  let dir: string;
  let bins: Record<'sched' | 'memory' | 'tids', string>;
  const modes: { name: string; options: () => RunOptions }[] = [{ name: 'root', options: () => ({}) }];
  if (canSetpriv) modes.push({ name: 'nobody', options: () => ({ tsscDir: path.join(dir, 'tssc'), asUser: NOBODY, stateDir: path.join(dir, 'states', String(Math.random()).slice(2)) }) });

  beforeAll(() => {
    dir = scratchDir('tssc-host-resources-');
    const rootfs = makeRootfs(dir);
    bins = {
      sched: installCProgram(rootfs, path.join(FIXTURES, 'sched-policy.c'), 'sched-policy', 'static'),
      memory: installCProgram(rootfs, path.join(FIXTURES, 'memory-host.c'), 'memory-host', 'static'),
      tids: installCProgram(rootfs, path.join(FIXTURES, 'tid-calls.c'), 'tid-calls', 'static'),
    };
    if (canSetpriv) {
      worldReadableCopy(path.join(dir, 'tssc'));
      mkdirSync(path.join(dir, 'states'));
      chmodSync(path.join(dir, 'states'), 0o1777);
    }
  });
  afterAll(() => removeDir(dir));

  function run(mode: (typeof modes)[number], config: BundleOptions): string {
    writeConfig(dir, config);
    const result = tsscRun(dir, [], mode.options());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return result.stdout;
  }

  describe.each(modes)('as $name', (mode) => {
    it('scheduling calls answer as Linux does without CAP_SYS_NICE, as natively', () => {
      const expected = native(bins.sched, [], ['--rtprio=0:0', '--nice=0:0']);
      expect(expected).toContain('FIFO 99: EPERM');
      expect(run(mode, { args: ['/bin/sched-policy'], uid: 1000, gid: 1000, rlimits: [{ type: 'RLIMIT_RTPRIO', hard: 0, soft: 0 }] })).toBe(expected);
    });

    it('real-time policies follow the sandbox\'s RLIMIT_RTPRIO and SCHED_RESET_ON_FORK', () => {
      const out = run(mode, { args: ['/bin/sched-policy'], uid: 1000, gid: 1000, rlimits: [{ type: 'RLIMIT_RTPRIO', hard: 20, soft: 20 }] }).split('\n');
      expect(out).toEqual(expect.arrayContaining([
        'FIFO 99: EPERM',
        'FIFO 20: ok',
        'FIFO 21: EPERM',
        'setparam 10: ok',
        'after FIFO: policy 1 param ok 10 attr ok size 48 policy 1 flags 0 prio 10 nice 0',
        'RR 10 reset-on-fork: ok',
        'after RR: policy 1073741826 param ok 10 attr ok size 48 policy 2 flags 1 prio 10 nice 0',
        'rr interval: ok 0.100000000',
        'forked child: policy 0 param ok 0 attr ok size 48 policy 0 flags 0 prio 0 nice 0',
        'RR 10 without reset-on-fork: EPERM',
        'OTHER reset-on-fork: ok',
      ]));
    });

    it('a real-time policy the sandbox grants never reaches the host thread (it stays SCHED_OTHER)', async () => {
      writeConfig(dir, { args: ['/bin/sched-policy', 'hold', '99'], extraCaps: ['CAP_SYS_NICE'] });
      const seen: string[] = [];
      const result = await interact(dir, mode.options(), 'holding', (tasks) => {
        expect(tasks.length).toBe(1);
        for (const tid of tasks.flatMap((t) => t.tids)) seen.push(`${statField(tid, 41)} ${statField(tid, 40)}`);
        seen.push(spawnSync('chrt', ['-p', String(tasks[0]!.pid)], { encoding: 'utf8' }).stdout);
        return '';
      });
      expect(result.stdout).toContain('FIFO 99: ok\nholding: policy 1 param ok 99');
      expect(result.status).toBe(0);
      // Field 41 is the policy, 40 the real-time priority: SCHED_OTHER, 0.
      expect(seen.slice(0, -1)).toEqual(seen.slice(0, -1).map(() => '0 0'));
      expect(seen.at(-1)).toMatch(/current scheduling policy: SCHED_OTHER\n.*current scheduling priority: 0/);
    });

    it.runIf(isRoot)('another user\'s task may be inspected but not rescheduled, as natively', () => {
      const expected = spawnSync(bins.sched, ['others'], { encoding: 'utf8' }).stdout;
      expect(expected).toContain("other's setscheduler BATCH: EPERM");
      expect(run(mode, { args: ['/bin/sched-policy', 'others'] })).toBe(expected);
    });

    it('memory locks answer as Linux does under RLIMIT_MEMLOCK, as natively; madvise never poisons or merges a host page', () => {
      const poison = /^madvise MADV_(HWPOISON|SOFT_OFFLINE|MERGEABLE)/;
      const expected = native(bins.memory, [], ['--memlock=65536:65536']).split('\n');
      const out = run(mode, { args: ['/bin/memory-host'], uid: 1000, gid: 1000, rlimits: [MEMLOCK_64K] }).split('\n');
      expect(out.filter((l) => !poison.test(l))).toEqual(expected.filter((l) => !poison.test(l)));
      expect(out.filter((l) => poison.test(l))).toEqual([
        'madvise MADV_HWPOISON: EPERM',
        'madvise MADV_SOFT_OFFLINE: EPERM',
        'madvise MADV_HWPOISON, high bits set: EPERM',
        'madvise MADV_MERGEABLE: EINVAL',
      ]);
    });

    it('memory locked with CAP_IPC_LOCK stays advisory: the host locks none (VmLck 0)', async () => {
      writeConfig(dir, { args: ['/bin/memory-host', 'hold', '64'], extraCaps: ['CAP_IPC_LOCK'], rlimits: [MEMLOCK_64K] });
      const locked: string[] = [];
      const result = await interact(dir, mode.options(), 'holding', (tasks) => {
        for (const { pid } of tasks) locked.push(/VmLck:\s*(\d+ kB)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!);
        return '';
      });
      expect(result.stdout).toBe('mlock 64 MiB: ok\nmlockall: ok\nholding\n');
      expect(result.status).toBe(0);
      expect(locked).toEqual(['0 kB']);
    });

    it('every call that carries a pid or tid works on the workload\'s own ids, as natively', () => {
      const expected = native(bins.tids, []);
      expect(expected).toContain('timer signal went to the second thread: yes');
      expect(run(mode, { args: ['/bin/tid-calls'] })).toBe(expected);
    });

    it('the calls the sandbox refuses fail on its own ids too', () => {
      const out = run(mode, { args: ['/bin/tid-calls', 'refused'] }).trim().split('\n');
      expect(out.map((l) => l.split(': ')[0])).toEqual(callNames('REFUSED'));
      for (const line of out) expect(line).toMatch(/: (ENOSYS|EPERM|ENODEV)$/);
    });

    describe('a host tid learned from outside', () => {
      let lines: Map<string, string[]>;
      let hostIds: number[];

      beforeAll(async () => {
        writeConfig(dir, { args: ['/bin/tid-calls', 'host'] });
        const result = await interact(dir, mode.options(), 'ready', (tasks) => {
          hostIds = tasks.flatMap((t) => t.tids);
          return hostIds.join(' ');
        });
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        expect(result.stdout).toContain('\ndone\n');
        lines = new Map();
        for (const match of result.stdout.matchAll(/^host (\d+) ([^:]+): (\S+)$/gm)) lines.set(match[2]!, [...(lines.get(match[2]!) ?? []), `${match[1]} ${match[3]}`]);
      });

      it('names the workload\'s two threads', () => {
        expect(hostIds.length).toBe(2);
      });

      it.each([...callNames('CALLS'), ...callNames('REFUSED')])('is never usable in %s', (name) => {
        const answers = lines.get(name) ?? [];
        expect(answers.length).toBe(hostIds.length);
        for (const answer of answers) expect(answer).toMatch(/ E[A-Z]+$/);
      });
    });
  });
});
