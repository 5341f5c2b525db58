import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { FdTable } from '../../src/sentry/kernel/fd-table.js';
import type { FileDescription } from '../../src/vfs/api.js';
import { errnoOf } from './errno-of.js';

/** A description that only counts references. */
function countedFile(): FileDescription & { refs: number } {
  const file = {
    refs: 1,
    ref() {
      file.refs++;
    },
    unref() {
      file.refs--;
    },
  };
  return file as unknown as FileDescription & { refs: number };
}

describe('FdTable', () => {
  it('gives the lowest free fd and reuses closed ones', () => {
    const t = new FdTable();
    const [a, b, c] = [countedFile(), countedFile(), countedFile()];
    expect(t.install(a)).toBe(0);
    expect(t.install(b)).toBe(1);
    expect(t.install(c)).toBe(2);
    t.close(1);
    expect(b.refs).toBe(0);
    expect(t.install(countedFile())).toBe(1);
    expect(t.install(countedFile(), { minFd: 10 })).toBe(10);
    expect(t.install(countedFile())).toBe(3);
  });

  it('refuses past RLIMIT_NOFILE with EMFILE and drops the reference', () => {
    const t = new FdTable();
    t.install(countedFile(), { limit: 2 });
    t.install(countedFile(), { limit: 2 });
    const f = countedFile();
    expect(errnoOf(() => t.install(f, { limit: 2 }))).toBe(E.EMFILE);
    expect(f.refs).toBe(0);
  });

  it('dup shares the description and counts a reference', () => {
    const t = new FdTable();
    const f = countedFile();
    t.install(f);
    expect(t.dup(0, { cloexec: true })).toBe(1);
    expect(t.get(1)).toBe(f);
    expect(t.entry(1)?.cloexec).toBe(true);
    expect(f.refs).toBe(2);
    expect(errnoOf(() => t.dup(7))).toBe(E.EBADF);
  });

  it('installAt replaces and releases the previous description', () => {
    const t = new FdTable();
    const old = countedFile();
    const replacement = countedFile();
    t.install(old);
    t.installAt(0, replacement);
    expect(old.refs).toBe(0);
    expect(t.get(0)).toBe(replacement);
    expect(errnoOf(() => t.installAt(5, countedFile(), { limit: 5 }))).toBe(E.EBADF);
  });

  it('fork copies with new references; closeOnExec closes only cloexec fds', () => {
    const t = new FdTable();
    const keep = countedFile();
    const drop = countedFile();
    t.install(keep);
    t.install(drop, { cloexec: true });
    const child = t.fork();
    expect(keep.refs).toBe(2);
    child.closeOnExec();
    expect(drop.refs).toBe(1);
    expect(child.entry(1)).toBeUndefined();
    expect(t.entry(1)?.file).toBe(drop);
    child.closeAll();
    expect(keep.refs).toBe(1);
    expect(child.count).toBe(0);
  });

  it('a table shared by CLONE_FILES closes its fds when its last user leaves, not before', () => {
    const t = new FdTable();
    const f = countedFile();
    t.install(f);
    expect(t.share()).toBe(t);
    expect(t.shared).toBe(true);
    t.leave();
    expect(t.shared).toBe(false);
    expect(f.refs).toBe(1);
    expect(t.get(0)).toBe(f);
    t.leave();
    expect(f.refs).toBe(0);
    expect(t.count).toBe(0);
  });

  it('close_range closes or marks a range', () => {
    const t = new FdTable();
    for (let i = 0; i < 5; i++) t.install(countedFile());
    t.setCloexecRange(3, 10);
    expect(t.entry(3)?.cloexec).toBe(true);
    expect(t.entry(2)?.cloexec).toBe(false);
    t.closeRange(1, 2);
    expect([...t.snapshot().keys()]).toEqual([0, 3, 4]);
    expect(errnoOf(() => t.close(1))).toBe(E.EBADF);
  });
});
