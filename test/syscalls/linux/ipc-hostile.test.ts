// Hostile arguments to the IPC (System V shared memory too), AIO, inotify and signalfd handlers: whatever the registers
// hold (bad pointers, huge sizes, negative counts, unknown ids and commands), a handler
// answers a result or an errno (SysError), never any other exception, and a call that
// waits does so without taking the sentry with it.
import { afterAll, describe, expect, it } from 'vitest';
import { SysError } from '../../../src/abi/errno.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler } from '../../../src/sentry/kernel/syscall.js';
import { msgSyscalls } from '../../../src/syscalls/linux/ipc-msg.js';
import { semSyscalls } from '../../../src/syscalls/linux/ipc-sem.js';
import { shmSyscalls } from '../../../src/syscalls/linux/ipc-shm.js';
import { aioSyscalls } from '../../../src/syscalls/linux/aio.js';
import { AioContext, AioContexts } from '../../../src/sentry/kernel/aio.js';
import { inotifySyscalls } from '../../../src/syscalls/linux/inotify.js';
import { mqueueSyscalls } from '../../../src/syscalls/linux/mqueue.js';
import { fakeTask, makeVfs } from './harness.js';

const HANDLERS: Record<string, SyscallHandler> = { ...mqueueSyscalls, ...semSyscalls, ...msgSyscalls, ...shmSyscalls, ...aioSyscalls, ...inotifySyscalls };

/** Register values that break naive decoding: NULL, tiny, negative, huge, unmapped, mapped. */
function values(mapped: bigint): bigint[] {
  return [0n, 1n, 8n, 0x7fffffffn, 0xffffffffn, 2n ** 63n - 1n, 2n ** 64n - 1n, 2n ** 32n, mapped, mapped + 4096n, 3n, 0x5e00n];
}

function* argumentSets(mapped: bigint, count: number): Generator<SyscallArgs> {
  const pool = values(mapped);
  // A deterministic walk through the combinations: every value in every position.
  let seed = 12345;
  const next = (): bigint => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return pool[seed % pool.length]!;
  };
  for (let i = 0; i < count; i++) yield [next(), next(), next(), next(), next(), next()];
}

const late: string[] = [];

describe('IPC, inotify and mqueue handlers under hostile registers', () => {
  afterAll(() => expect(late).toEqual([]));

  it.each(Object.keys(HANDLERS))('%s answers or fails with an errno', async (name) => {
    const { vfs } = makeVfs({ 'data/file': 'x' });
    const task = fakeTask(vfs);
    // shmat's mapping lands where it is asked to, or at 0x10000 (shmdt then unmaps it on the host).
    Object.assign(task.process, { mapSegment: (addr: bigint) => (addr === 0n ? 0x10000n : addr), notifier: () => ({ alive: () => true, signal: () => {} }) });
    const mapped = task.mem.put(Buffer.alloc(8192, 0x41));
    // An AIO context whose ring is the mapped region, its header whatever the values wrote.
    const aio = new AioContexts(0);
    aio.add(new AioContext(mapped, 8, 127, 4096n));
    Object.assign(task.process, { aio, aioRequestsInUse: () => 8 });
    task.mem.cstring('/data/file');
    const handler = HANDLERS[name]!;
    for (const args of argumentSets(mapped, 300)) {
      let outcome: unknown;
      try {
        const result = handler(task, args);
        if (result instanceof Promise) {
          // A call that waits (an empty queue, a semaphore at 0) may go on waiting; whenever it ends, it ends with an errno at worst.
          result.catch((error: unknown) => {
            if (!(error instanceof SysError)) late.push(`${name}(${args.join(', ')}): ${String(error)}`);
          });
          outcome = await Promise.race([result, new Promise((resolve) => setTimeout(() => resolve('waiting'), 1))]);
        } else {
          outcome = result;
        }
      } catch (error) {
        expect(error, `${name}(${args.join(', ')})`).toBeInstanceOf(SysError);
        continue;
      }
      const hostCall = typeof outcome === 'object' && outcome !== null && (outcome as { kind?: unknown }).kind === 'host';
      expect(outcome === RUN_ON_HOST || hostCall || outcome === 'waiting' || typeof outcome === 'number' || typeof outcome === 'bigint', `${name}(${args.join(', ')})`).toBe(true);
    }
  });
});
