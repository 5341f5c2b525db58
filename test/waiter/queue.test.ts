import { describe, expect, it } from 'vitest';
import { POLL } from '../../src/vfs/index.js';
import { WaitQueue } from '../../src/waiter/index.js';

describe('WaitQueue', () => {
  it('calls back the waiters whose mask the events meet, until they unsubscribe', () => {
    const queue = new WaitQueue();
    const seen: string[] = [];
    const stopReader = queue.subscribe(POLL.IN, (events) => seen.push(`reader ${events}`));
    queue.subscribe(POLL.OUT | POLL.HUP, (events) => seen.push(`writer ${events}`));
    queue.notify(POLL.IN);
    queue.notify(POLL.OUT | POLL.IN);
    stopReader();
    queue.notify(POLL.IN | POLL.HUP);
    expect(seen).toEqual([`reader ${POLL.IN}`, `reader ${POLL.IN}`, `writer ${POLL.OUT}`, `writer ${POLL.HUP}`]);
    expect(queue.empty).toBe(false);
  });

  it('lets a callback unsubscribe itself while being notified', () => {
    const queue = new WaitQueue();
    let calls = 0;
    const stop = queue.subscribe(POLL.IN, () => {
      calls++;
      stop();
    });
    queue.notify(POLL.IN);
    queue.notify(POLL.IN);
    expect(calls).toBe(1);
    expect(queue.empty).toBe(true);
  });
});
