// A stuck sentry still dies. With its event loop wedged for good by a fault the test injects
// (TSSC_TEST_FAULT: a JavaScript loop that never yields, a native wait that never returns),
// SIGTERM, SIGINT or SIGHUP to `tssc run`, or `tssc kill`, end it once the watchdog's grace
// has passed, with 128 + the signal, and every workload process with it; a sentry that runs
// is not ended by it. As tssc's own user and as nobody.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCHDOG_GRACE_MS } from '../../src/sentry/platform/ptrace/watchdog.js';
import { REPO, TSSC_USERS, alive, asUser, childrenOf, finished, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, runAs, scratchDir, tsscStart, waitForOutput, writeConfig, type RunOptions } from './busybox-bundle.js';
const NR_GETPPID = 110;

/** Resolves once host thread pid is inside syscall nr (its seccomp stop): the sentry has it now. */
async function inSyscall(pid: number, nr: number): Promise<void> {
  for (let i = 0; i < 4500; i++) {
    if (readFileSync(`/proc/${pid}/syscall`, 'latin1').startsWith(`${nr} `)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`host thread ${pid} never made syscall ${nr}`);
}

/** Resolves once none of pids runs any more (the test gives up after 10 s). */
async function allGone(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 1000 && alive(pids).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return alive(pids);
}

describe.skipIf(!hasBusybox() || !hasCompiler())('a stuck sentry', () => {
  let dir: string;
  let runs = 0;

  beforeAll(() => {
    dir = scratchDir('tssc-stuck-');
    installCProgram(makeRootfs(dir), path.join(REPO, 'test', 'e2e', 'fixtures', 'sentry-fault.c'), 'sentry-fault', 'static');
    writeConfig(dir, { args: ['/bin/sentry-fault', 'wedge'] });
    // Made here: the concurrent tests below would each make it.
    for (const user of TSSC_USERS) runAs(dir, user.uid);
  });
  afterAll(() => removeDir(dir));

  const cases = [
    { fault: 'spin', how: 'SIGTERM' },
    { fault: 'block', how: 'SIGINT' },
    { fault: 'block', how: 'SIGHUP' },
    { fault: 'block', how: 'tssc kill' },
  ] as const;

  describe.concurrent.each(TSSC_USERS)('with tssc run by $name', (user) => {
    it.each(cases)('wedged by $fault, ends on $how with 128 + the signal and every task with it', async ({ fault, how }) => {
      const id = `stuck-${process.pid}-${runs++}`;
      const options: RunOptions = { ...runAs(dir, user.uid), env: { TSSC_TEST_FAULT: `${fault}:getppid` } };
      const child = tsscStart(dir, id, options);
      const done = finished(child);
      await waitForOutput(child, 'ready');
      const workload = childrenOf(child.pid!);
      expect(workload).toHaveLength(1);
      await inSyscall(workload[0]!, NR_GETPPID);
      const sig = how === 'tssc kill' ? 'SIGTERM' : how;
      if (how === 'tssc kill') {
        const state = options.stateDir ?? path.join(dir, 'state');
        const argv = asUser(user.uid, [process.execPath, path.join(options.tsscDir ?? REPO, 'bin', 'tssc.js'), '--root', state, 'kill', id, 'TERM']);
        expect(spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).status).toBe(0);
      } else {
        process.kill(child.pid!, sig);
      }
      const result = await done;
      expect(result.stdout).toBe('ready\n');
      expect(result.stderr).toContain(`tssc: the sentry has not run for ${WATCHDOG_GRACE_MS} ms since ${sig}`);
      expect(result.code).toBe(128 + constants.signals[sig]);
      expect(await allGone(workload)).toEqual([]);
    });
  });

  it('a sentry that runs outlives the grace after SIGTERM, which its init handles', async () => {
    const live = scratchDir('tssc-live-');
    try {
      makeRootfs(live);
      writeConfig(live, { args: ['/bin/sh', '-c', 'trap "echo TERM" TERM; echo ready; i=0; while [ $i -lt 40 ]; do sleep 0.2; i=$((i+1)); done; echo done'] });
      const child = tsscStart(live, `stuck-${process.pid}-live`);
      const done = finished(child);
      await waitForOutput(child, 'ready');
      process.kill(child.pid!, 'SIGTERM');
      const result = await done;
      expect(result.stdout).toBe('ready\nTERM\ndone\n');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    } finally {
      removeDir(live);
    }
  });
});
