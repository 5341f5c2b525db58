// Which thread of a process takes a process-directed signal (signal(7)'s rule, with the
// sentry's own sleepers that the host kernel cannot pick).
import { describe, expect, it } from 'vitest';
import { routeProcessSignal, type SignalCandidate } from '../../src/sentry/kernel/threads.js';

const SIGUSR1 = 10;
const USR1 = 1n << 9n;

interface Thread extends SignalCandidate {
  mask: bigint | undefined;
}

function thread(tid: number, mask: bigint | undefined, waiting = false, exited = false): Thread {
  return { tid, mask, waiting, exited };
}

const route = (threads: Thread[]) => routeProcessSignal(1, threads, SIGUSR1, (t) => t.mask);

describe('routeProcessSignal', () => {
  it('leaves a running leader that does not block the signal to the host', () => {
    expect(route([thread(1, 0n), thread(2, 0n, true)])).toEqual({ kind: 'host' });
  });

  it('picks the leader when it sleeps in a sentry wait and does not block the signal', () => {
    const leader = thread(1, 0n, true);
    expect(route([thread(2, 0n, true), leader])).toEqual({ kind: 'task', task: leader });
  });

  it('skips threads that block it for a sleeping one that does not', () => {
    const reader = thread(3, 0n, true);
    expect(route([thread(1, USR1), thread(2, USR1, true), reader])).toEqual({ kind: 'task', task: reader });
  });

  it('skips a leader that already ended and threads that are gone', () => {
    const last = thread(4, 0n, true);
    expect(route([thread(1, undefined), thread(2, 0n, true, true), last])).toEqual({ kind: 'task', task: last });
  });

  it('leaves it pending on the host when every thread blocks it', () => {
    expect(route([thread(1, USR1, true), thread(2, USR1)])).toEqual({ kind: 'host' });
  });

  it('reads no signal mask when no thread sleeps in the sentry', () => {
    let reads = 0;
    const threads = [thread(1, USR1), thread(2, 0n)];
    expect(routeProcessSignal(1, threads, SIGUSR1, (t) => (reads++, t.mask))).toEqual({ kind: 'host' });
    expect(reads).toBe(0);
  });

  it('leaves it to the host when a running thread can take it before a sleeping one', () => {
    expect(route([thread(1, USR1), thread(2, 0n), thread(3, 0n, true)])).toEqual({ kind: 'host' });
  });
});
