// The record of a process's memory locks, against the host's maps of a real process (this
// one): ranges merge and split as mlock and munlock make them, and what is not mapped
// does not count.
import { describe, expect, it } from 'vitest';
import { hostMappings } from '../../src/sentry/platform/host/host-proc.js';
import { LockedMemory } from '../../src/sentry/kernel/memory-locks.js';

const PAGE = 4096n;
/** The largest mapping of this process, and the gap below the lowest one (never mapped). */
const maps = hostMappings(process.pid)!;
const big = maps.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
const unmapped = { start: PAGE, end: 2n * PAGE };

describe('locked memory', () => {
  it('counts a range once, however often it is locked, and what munlock leaves', () => {
    expect(big.end - big.start).toBeGreaterThanOrEqual(8n * PAGE);
    const locks = new LockedMemory(() => process.pid);
    const at = (page: bigint): bigint => big.start + page * PAGE;
    locks.lock(at(0n), at(4n));
    locks.lock(at(2n), at(6n));
    expect(locks.lockedBytes()).toBe(6n * PAGE);
    expect(locks.lockedWithin(at(3n), at(8n))).toBe(3n * PAGE);
    locks.unlock(at(1n), at(2n));
    expect(locks.lockedBytes()).toBe(5n * PAGE);
    expect(locks.lockedWithin(at(0n), at(2n))).toBe(PAGE);
    locks.unlockAll();
    expect(locks.lockedBytes()).toBe(0n);
  });

  it('drops what is not mapped, and tells mapped ranges from holes', () => {
    const locks = new LockedMemory(() => process.pid);
    locks.lock(unmapped.start, unmapped.end);
    expect(locks.lockedBytes()).toBe(0n);
    expect(locks.isMapped(unmapped.start, unmapped.end)).toBe(false);
    expect(locks.isMapped(big.start, big.end)).toBe(true);
    expect(locks.isMapped(big.start, big.end + PAGE * 1024n * 1024n * 1024n)).toBe(false);
  });

  it('locks every mapping for mlockall, and nothing once the process is gone', () => {
    const locks = new LockedMemory(() => process.pid);
    locks.lockAllMapped();
    expect(locks.lockedWithin(big.start, big.end)).toBe(big.end - big.start);
    expect(locks.mappedBytes()).toBeGreaterThanOrEqual(big.end - big.start);
    const gone = new LockedMemory(() => 0x3fffffff);
    gone.lock(big.start, big.end);
    expect(gone.lockedBytes()).toBe(0n);
  });
});
