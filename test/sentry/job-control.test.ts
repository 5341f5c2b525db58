// The job-control rules of the sentry's process tree: what wait reports of stopped and
// continued children, when the parent gets SIGCHLD, which stop signals reach the host as
// SIGSTOP, and what a background process touching its terminal gets.
import { describe, expect, it } from 'vitest';
import { makeCredentials } from '../../src/sentry/kernel/credentials.js';
import { groupContinued, groupStopped, hostSignalFor, terminalAccess, WAIT, waitableState } from '../../src/sentry/kernel/job-control.js';
import { RlimitTable } from '../../src/sentry/kernel/rlimits.js';
import { SIG } from '../../src/abi/linux-signal.js';
import { SA, SIG_IGN, SignalActions } from '../../src/sentry/kernel/signals.js';
import { ThreadGroup } from '../../src/sentry/kernel/thread-group.js';

const creds = makeCredentials({ uid: 0, gid: 0, groups: [], effective: 0n, permitted: 0n, inheritable: 0n, bounding: 0n });

function group(pid: number, parent: ThreadGroup | undefined, pgid = pid, sid = 1): ThreadGroup {
  const g = new ThreadGroup(pid, 1000 + pid, parent, pgid, sid, new SignalActions(), RlimitTable.fromSpec(undefined), creds, 0);
  parent?.children.add(g);
  return g;
}

const noBlocks = { blocks: () => false };

describe('stopped and continued children', () => {
  it('a stop is reported once to WUNTRACED, with the signal that caused it', () => {
    const shell = group(1, undefined);
    const job = group(2, shell);
    expect(groupStopped(job, SIG.TSTP)).toBe(true);
    expect(waitableState(job, WAIT.EXITED)).toBeUndefined();
    const found = waitableState(job, WAIT.EXITED | WAIT.UNTRACED)!;
    expect(found.status).toBe((SIG.TSTP << 8) | 0x7f);
    found.consume();
    expect(waitableState(job, WAIT.UNTRACED)).toBeUndefined();
  });

  it('a continue of a stopped child is reported to WCONTINUED as 0xffff; a running one reports nothing', () => {
    const shell = group(1, undefined);
    const job = group(2, shell);
    expect(groupContinued(job)).toBe(false);
    groupStopped(job, SIG.STOP);
    expect(groupContinued(job)).toBe(true);
    expect(waitableState(job, WAIT.UNTRACED)).toBeUndefined();
    expect(waitableState(job, WAIT.CONTINUED)?.status).toBe(0xffff);
  });

  it('SA_NOCLDSTOP spares the parent its SIGCHLD, not the wait report', () => {
    const shell = group(1, undefined);
    shell.sigactions.set(SIG.CHLD, { handler: 0x1000n, flags: SA.NOCLDSTOP });
    const job = group(2, shell);
    expect(groupStopped(job, SIG.TSTP)).toBe(false);
    expect(waitableState(job, WAIT.UNTRACED)).toBeDefined();
  });

  it('SIGTSTP with its default action reaches the host as SIGSTOP and is reported as SIGTSTP', () => {
    const shell = group(1, undefined);
    const job = group(2, shell);
    const groups = [shell, job];
    const open = (): boolean => false;
    expect(hostSignalFor(job, SIG.TSTP, open, groups)).toBe(SIG.STOP);
    groupStopped(job, SIG.STOP);
    expect(waitableState(job, WAIT.UNTRACED)?.status).toBe((SIG.TSTP << 8) | 0x7f);
    job.sigactions.set(SIG.TSTP, { handler: 0x1000n, flags: 0 });
    expect(hostSignalFor(job, SIG.TSTP, open, groups)).toBe(SIG.TSTP);
    expect(hostSignalFor(job, SIG.INT, open, groups)).toBe(SIG.INT);
  });

  it('a blocked SIGTSTP, or one sent to an orphaned group, stays itself: nothing stops', () => {
    const shell = group(1, undefined);
    const job = group(2, shell);
    expect(hostSignalFor(job, SIG.TSTP, () => true, [shell, job])).toBe(SIG.TSTP);
    const orphan = group(3, undefined, 3);
    expect(hostSignalFor(orphan, SIG.TTIN, () => false, [shell, job, orphan])).toBe(SIG.TTIN);
  });
});

describe('a process touching its controlling terminal', () => {
  const terminal = { session: 1, foreground: 1 };

  it('the foreground group and other sessions go ahead', () => {
    const shell = group(1, undefined);
    expect(terminalAccess({ group: shell, ...noBlocks }, terminal, 'read', [shell])).toBe('ok');
    const elsewhere = group(5, shell, 5, 5);
    expect(terminalAccess({ group: elsewhere, ...noBlocks }, terminal, 'read', [shell, elsewhere])).toBe('ok');
  });

  it('a background job that reads gets SIGTTIN, one that writes SIGTTOU', () => {
    const shell = group(1, undefined);
    const job = group(2, shell);
    expect(terminalAccess({ group: job, ...noBlocks }, terminal, 'read', [shell, job])).toBe(SIG.TTIN);
    expect(terminalAccess({ group: job, ...noBlocks }, terminal, 'write', [shell, job])).toBe(SIG.TTOU);
  });

  it('ignored or blocked: a read is EIO, a write goes through', () => {
    const shell = group(1, undefined);
    const job = group(2, shell);
    job.sigactions.set(SIG.TTIN, { handler: SIG_IGN, flags: 0 });
    expect(terminalAccess({ group: job, ...noBlocks }, terminal, 'read', [shell, job])).toBe('eio');
    expect(terminalAccess({ group: job, blocks: (sig) => sig === SIG.TTOU }, terminal, 'write', [shell, job])).toBe('ok');
  });

  it('an orphaned background group cannot be stopped: EIO', () => {
    const orphan = group(3, undefined, 3, 1);
    expect(terminalAccess({ group: orphan, ...noBlocks }, terminal, 'read', [orphan])).toBe('eio');
  });
});
