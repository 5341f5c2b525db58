// A workload process seen from outside, on the host: no capability (the bounding set empty
// too when tssc runs as root), no_new_privs, the helper's seccomp filter, no fd but the donor
// socket, a host RLIMIT_CORE of 1, / as its working directory; a SIGSEGV writes no core file.
// And with that RLIMIT_CORE of 1 taken away (TSSC_TEST_FAULT=keep:core-limit: the spec's
// unlimited one reaches the host), still none: the sentry ends the process at the signal's
// delivery stop, before the host kernel could dump it into / (which only root may write, so
// that part runs with a root tssc). As tssc's own user and as nobody.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TSSC_USERS, childrenOf, finished, hasBusybox, makeRootfs, removeDir, runAs, scratchDir, tsscStart, waitForOutput, writeConfig, type RunOptions } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;
const CORE_FILE = /^core(\.\d+)?$/;

function statusOf(pid: number): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'latin1').split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) fields[m[1]!] = m[2]!;
  }
  return fields;
}

/** The soft and hard limit of a /proc/PID/limits row. */
function limitOf(pid: number, row: string): [string, string] {
  const line = readFileSync(`/proc/${pid}/limits`, 'latin1').split('\n').find((l) => l.startsWith(row))!;
  const [soft, hard] = line.slice(row.length).trim().split(/\s+/);
  return [soft!, hard!];
}

/** Core files in dir and below (and only in dir itself for /). */
function coreFiles(dir: string, deep = true): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && deep) return coreFiles(full);
    return CORE_FILE.test(entry.name) ? [full] : [];
  });
}

describe.skipIf(!hasBusybox())('a workload process seen from the host', () => {
  let dir: string;
  let runs = 0;

  beforeAll(() => {
    dir = scratchDir('tssc-hostview-');
    makeRootfs(dir);
    // A core file would be welcome, were the host kernel ever to dump one.
    writeConfig(dir, {
      // The init's child, not the init (pid 1 takes no signal it does not handle), crashes.
      args: ['/bin/sh', '-c', 'sh -c "echo ready; read line; kill -SEGV \\$\\$"; exit $?'],
      rlimits: [{ type: 'RLIMIT_CORE', hard: 2 ** 53 - 1, soft: 2 ** 53 - 1 }],
    });
  });
  afterAll(() => removeDir(dir));

  async function crashOnce(uid: number | undefined, fault?: string): Promise<{ code: number | null; stderr: string }> {
    const cwd = mkdtempSync(path.join(dir, 'cwd-'));
    chmodSync(cwd, 0o1777);
    const options: RunOptions = {
      cwd,
      ...(fault ? { env: { TSSC_TEST_FAULT: fault } } : {}),
      ...runAs(dir, uid),
    };
    const rootCores = coreFiles('/', false);
    const child = tsscStart(dir, `hostview-${process.pid}-${runs++}`, options);
    const done = finished(child);
    await waitForOutput(child, 'ready');
    const pids = childrenOf(child.pid!);
    expect(pids).toHaveLength(2);
    pids.forEach((pid) => look(pid));
    child.stdin.write('go\n');
    const result = await done;
    expect(coreFiles(dir)).toEqual([]);
    expect(coreFiles('/', false)).toEqual(rootCores);
    return { code: result.code, stderr: result.stderr };
  }

  /** What the test looks at in the running workload process, set by each test. */
  let look: (pid: number) => void = () => {};

  for (const user of TSSC_USERS) {
    it(`with tssc run by ${user.name}: no privilege, no fd but the donor socket and the stub, no core`, async () => {
      look = (pid) => {
        const status = statusOf(pid);
        for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapAmb']) expect(status[set], set).toBe('0000000000000000');
        // Dropping from the bounding set needs CAP_SETPCAP: only a root tssc can, and does.
        if (isRoot && user.uid === undefined) expect(status['CapBnd']).toBe('0000000000000000');
        expect(status['NoNewPrivs']).toBe('1');
        expect(status['Seccomp']).toBe('2');
        expect(readdirSync(`/proc/${pid}/fd`)).toEqual(['3', '4']);
        expect(readlinkSync(`/proc/${pid}/fd/3`)).toMatch(/^socket:\[\d+\]$/);
        expect(readlinkSync(`/proc/${pid}/fd/4`)).toMatch(/tssc-stub$/);
        expect(limitOf(pid, 'Max core file size')).toEqual(['1', '1']);
        expect(limitOf(pid, 'Max realtime priority')).toEqual(['0', '0']);
        expect(limitOf(pid, 'Max nice priority')).toEqual(['0', '0']);
        expect(readlinkSync(`/proc/${pid}/cwd`)).toBe('/');
      };
      const result = await crashOnce(user.uid);
      // The sandbox's shell tells of its child as Linux's would, by the sandbox's RLIMIT_CORE.
      expect(result.stderr).toBe('Segmentation fault (core dumped)\n');
      expect(result.code).toBe(139);
    });
  }

  it.skipIf(!isRoot)('with the host RLIMIT_CORE of 1 taken away, a root tssc still lets no core reach the host', async () => {
    look = (pid) => expect(limitOf(pid, 'Max core file size')).toEqual(['unlimited', 'unlimited']);
    const result = await crashOnce(undefined, 'keep:core-limit');
    expect(result.stderr).toBe('Segmentation fault (core dumped)\n');
    expect(result.code).toBe(139);
  });
});
