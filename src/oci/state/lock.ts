// A per-container lock between tssc processes, without flock (Node has none): the lock is a
// file created with O_EXCL holding its owner's pid and start time. A lock whose owner died
// is stale and is broken, under a second O_EXCL "breaker" file so that two processes that
// both see the same stale lock cannot remove a fresh lock taken in between.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync, constants } from 'node:fs';
import { TsscError } from '../errors.js';
import { identify, isAlive, type ProcessIdentity } from './process-identity.js';

const WAIT_LIMIT_MS = 30_000;
/** A lock or breaker file this old with no readable owner was left by a crash mid-creation. */
const ORPHAN_AGE_MS = 5_000;

export interface HeldLock {
  release(): void;
}

export async function acquireLock(lockPath: string, what: string): Promise<HeldLock> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let delay = 1;
  for (;;) {
    const held = tryCreate(lockPath);
    if (held !== undefined) return held;
    const owner = readOwner(lockPath);
    if (owner === 'gone') continue;
    if (owner === 'unreadable' ? isOrphan(lockPath) : !isAlive(owner)) {
      breakStale(lockPath);
      continue;
    }
    if (Date.now() > deadline) {
      const by = owner === 'unreadable' ? '' : ` by pid ${owner.pid}`;
      throw new TsscError(`${what} is locked${by}; gave up after ${WAIT_LIMIT_MS / 1000}s`);
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
}

function tryCreate(lockPath: string): HeldLock | undefined {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  const me = identify(process.pid);
  try {
    writeSync(fd, `${me.pid} ${me.startTime ?? ''}\n`);
  } finally {
    closeSync(fd);
  }
  const inode = statSync(lockPath).ino;
  return {
    release(): void {
      // Remove only our own lock: never one that replaced it after ours was broken.
      if (inodeOf(lockPath) === inode) unlinkQuietly(lockPath);
    },
  };
}

function readOwner(lockPath: string): ProcessIdentity | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(lockPath, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const match = /^(\d+) (\d*)\n$/.exec(text);
  if (match === null) return 'unreadable';
  const pid = Number(match[1]);
  return match[2] === '' || match[2] === undefined ? { pid } : { pid, startTime: match[2] };
}

function breakStale(lockPath: string): void {
  // '@' cannot appear in a container id, so no other container's lock has this name.
  const breakerPath = lockPath + '@breaker';
  const breaker = tryCreate(breakerPath);
  if (breaker === undefined) {
    if (isOrphan(breakerPath)) unlinkQuietly(breakerPath);
    return;
  }
  try {
    // Re-check under the breaker: the lock may have been broken and retaken meanwhile.
    const owner = readOwner(lockPath);
    if (owner === 'gone') return;
    if (owner === 'unreadable' ? isOrphan(lockPath) : !isAlive(owner)) unlinkQuietly(lockPath);
  } finally {
    breaker.release();
  }
}

function isOrphan(filePath: string): boolean {
  try {
    return Date.now() - statSync(filePath).mtimeMs > ORPHAN_AGE_MS;
  } catch {
    return false;
  }
}

function inodeOf(filePath: string): number | undefined {
  try {
    return statSync(filePath).ino;
  } catch {
    return undefined;
  }
}

function unlinkQuietly(filePath: string): void {
  try {
    unlinkSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
