// poll_oneoff: clock and fd subscriptions, waited for with the sentry's readiness waits
// (so a wasm process polling a pipe wakes when a Linux process writes to it).

import { E, fail } from '../../abi/errno.js';
import { POLL } from '../../abi/linux-poll.js';
import { S } from '../../abi/linux-stat.js';
import { SEEK } from '../../abi/linux-fcntl.js';
import type { FileDescription } from '../../vfs/api.js';
import { ClockId, EVENT_SIZE, EventRwFlags, EventType, SubclockFlags, WasiErrno } from './abi.js';
import { OK, type WasiCallContext, type WasiHandler } from './call-context.js';
import { wasiErrnoOfThrown } from './errno.js';
import { Right } from './rights.js';

/** One subscription as the worker sends it: userdata, tag, clock id or fd, timeout, precision, flags. */
type Subscription = readonly [bigint, number, number, bigint, bigint, number];

interface Event {
  userdata: bigint;
  error: number;
  type: number;
  nbytes: bigint;
  hangup: boolean;
}

interface FdWait {
  userdata: bigint;
  type: number;
  file: FileDescription;
  events: number;
}

interface ClockWait {
  userdata: bigint;
  /** Nanoseconds from now until it fires. */
  remainingNs: bigint;
}

function clockNow(ctx: WasiCallContext, id: number): bigint | undefined {
  if (id === ClockId.REALTIME) return ctx.task.kernel.realtimeNs();
  if (id === ClockId.MONOTONIC) return ctx.task.kernel.monotonicNs();
  return undefined;
}

/** What a read would find in a regular file (preview1's nbytes); 0 where unknown. */
function bytesAvailable(wait: FdWait): bigint {
  if (wait.type !== EventType.FD_READ) return 0n;
  const st = wait.file.stat();
  if ((st.mode & S.IFMT) !== S.IFREG) return 0n;
  return BigInt(Math.max(st.size - wait.file.seek(0, SEEK.CUR), 0));
}

function fdEvent(wait: FdWait, ready: number): Event {
  return { userdata: wait.userdata, error: WasiErrno.SUCCESS, type: wait.type, nbytes: bytesAvailable(wait), hangup: (ready & POLL.HUP) !== 0 };
}

function writeEvents(ctx: WasiCallContext, events: readonly Event[]): number {
  const out = Buffer.from(ctx.buffer.data.buffer, ctx.buffer.data.byteOffset, events.length * EVENT_SIZE);
  out.fill(0);
  events.forEach((event, i) => {
    const at = i * EVENT_SIZE;
    out.writeBigUInt64LE(event.userdata, at);
    out.writeUInt16LE(event.error, at + 8);
    out.writeUInt8(event.type, at + 10);
    out.writeBigUInt64LE(event.nbytes, at + 16);
    out.writeUInt16LE(event.hangup ? EventRwFlags.HANGUP : 0, at + 24);
  });
  ctx.buffer.values[0] = BigInt(events.length);
  return OK;
}

export const pollCalls: Record<string, WasiHandler> = {
  async poll_oneoff(ctx, args) {
    const subscriptions = args[0] as readonly Subscription[];
    const events: Event[] = [];
    const fdWaits: FdWait[] = [];
    const clocks: ClockWait[] = [];
    for (const [userdata, tag, idOrFd, timeout, , flags] of subscriptions) {
      if (tag === EventType.CLOCK) {
        const now = clockNow(ctx, idOrFd);
        if (now === undefined) {
          events.push({ userdata, error: WasiErrno.INVAL, type: tag, nbytes: 0n, hangup: false });
          continue;
        }
        const remaining = flags & SubclockFlags.ABSTIME ? BigInt.asUintN(64, timeout) - now : BigInt.asUintN(64, timeout);
        clocks.push({ userdata, remainingNs: remaining > 0n ? remaining : 0n });
      } else if (tag === EventType.FD_READ || tag === EventType.FD_WRITE) {
        try {
          const file = ctx.fds.file(idOrFd, Right.POLL_FD_READWRITE);
          fdWaits.push({ userdata, type: tag, file, events: tag === EventType.FD_READ ? POLL.IN : POLL.OUT });
        } catch (thrown) {
          events.push({ userdata, error: wasiErrnoOfThrown(thrown), type: tag, nbytes: 0n, hangup: false });
        }
      } else {
        fail(E.EINVAL);
      }
    }

    for (const wait of fdWaits) {
      const ready = wait.file.readiness(wait.events | POLL.HUP | POLL.ERR);
      if (ready) events.push(fdEvent(wait, ready));
    }
    const soonest = clocks.reduce<bigint | undefined>((min, c) => (min === undefined || c.remainingNs < min ? c.remainingNs : min), undefined);
    if (events.length > 0 || soonest === 0n) {
      for (const clock of clocks) if (clock.remainingNs === 0n) events.push(clockEvent(clock));
      return writeEvents(ctx, events);
    }

    if (fdWaits.length === 0) {
      await ctx.task.sleep(soonest!);
    } else {
      const ready = await ctx.task.waitAnyReady(fdWaits.map((w) => ({ file: w.file, events: w.events })), soonest);
      ready.forEach((bits, i) => {
        if (bits) events.push(fdEvent(fdWaits[i]!, bits));
      });
    }
    if (events.length === 0) {
      for (const clock of clocks) if (clock.remainingNs === soonest) events.push(clockEvent(clock));
    }
    return writeEvents(ctx, events);
  },
};

function clockEvent(clock: ClockWait): Event {
  return { userdata: clock.userdata, error: WasiErrno.SUCCESS, type: EventType.CLOCK, nbytes: 0n, hangup: false };
}
