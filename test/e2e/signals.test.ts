// Signals from outside reach the container's init as runc's signal proxy delivers them;
// a crashing or forking workload never takes the sentry down.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, alive, childrenOf, finished, hasBusybox, makeRootfs, removeDir, scratchDir, tsscRun, tsscStart, waitForOutput, writeConfig } from './busybox-bundle.js';

describe.skipIf(!hasBusybox())('signals and robustness', () => {
  let dir: string;

  beforeAll(() => {
    dir = scratchDir('tssc-sig-');
    makeRootfs(dir);
  });
  afterAll(() => removeDir(dir));

  it('forwards SIGTERM sent to tssc to the init, which traps it', async () => {
    writeConfig(dir, { args: ['sh', '-c', 'trap "echo got TERM; exit 5" TERM; echo ready; while :; do sleep 0.1; done'] });
    const child = tsscStart(dir, `sig-${process.pid}-1`);
    const done = finished(child);
    await waitForOutput(child, 'ready');
    child.kill('SIGTERM');
    const result = await done;
    expect(result.stdout).toBe('ready\ngot TERM\n');
    expect(result.code).toBe(5);
  });

  it('delivers `tssc kill ID SIGNAL` from another process', async () => {
    const id = `sig-${process.pid}-2`;
    writeConfig(dir, { args: ['sh', '-c', 'trap "echo got USR1; exit 0" USR1; echo ready; while :; do sleep 0.1; done'] });
    const child = tsscStart(dir, id);
    const done = finished(child);
    await waitForOutput(child, 'ready');
    const tssc = (...args: string[]): string => execFileSync('node', [path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(dir, 'state'), ...args], { encoding: 'utf8' });
    const state = JSON.parse(tssc('state', id)) as { status: string; pid: number };
    expect(state).toMatchObject({ status: 'running', pid: child.pid });
    expect(tssc('list')).toContain(id);
    tssc('kill', id, 'USR1');
    const result = await done;
    expect(result.stdout).toBe('ready\ngot USR1\n');
    expect(result.code).toBe(0);
  });

  it('leaves no workload process behind when tssc is killed', async () => {
    writeConfig(dir, { args: ['sh', '-c', 'sleep 1000 & sleep 1000 & echo ready; wait'] });
    const child = tsscStart(dir, `sig-${process.pid}-3`);
    const done = finished(child);
    await waitForOutput(child, 'ready');
    const workload = childrenOf(child.pid!);
    expect(workload.length).toBe(3);
    child.kill('SIGKILL');
    await done;
    for (let i = 0; i < 50 && alive(workload).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(workload)).toEqual([]);
  });

  it('holds a fork bomb at the spec pids limit', () => {
    writeConfig(dir, { args: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo unreachable'], pidsLimit: 4 });
    const result = tsscRun(dir);
    // ash gives up on a failed fork; the end of init then ends the other tasks at once.
    expect(result.stderr).toMatch(/can't fork: Resource temporarily unavailable/);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  });

  it('survives workloads that crash and fork many processes', () => {
    const script = [
      'sh -c \'kill -SEGV $$\'; echo "segv $?"',
      'i=0; while [ $i -lt 40 ]; do (true &); i=$((i+1)); done; wait; echo forks',
      'sleep 30 & kill -9 $!; wait $!; echo "killed $?"',
    ].join('\n');
    writeConfig(dir, { args: ['sh', '-c', script] });
    const result = tsscRun(dir);
    expect(result.stdout).toBe('segv 139\nforks\nkilled 137\n');
    expect(result.status).toBe(0);
  });
});
