// execve's read of a program: kept while the file is unchanged, read again once it changes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { O } from '../../src/abi/linux-fcntl.js';
import { readWholeProgram } from '../../src/sentry/loader/program-file.js';
import { buildVfs, makeBundle, rootCtx, writeFile } from '../vfs/helpers.js';

describe('readWholeProgram', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads a settled program once, and again after a change of the same size', () => {
    const { bundle } = makeBundle({ 'bin/prog': 'version-1' });
    // Seconds later, the file's last change is settled.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5000);
    const vfs = buildVfs(bundle);
    const ctx = rootCtx(vfs);
    const read = () => {
      const file = vfs.open(ctx, undefined, '/bin/prog', O.RDONLY, 0);
      try {
        return readWholeProgram(file);
      } finally {
        file.unref();
      }
    };
    const first = read();
    expect(Buffer.from(first).toString()).toBe('version-1');
    expect(read()).toBe(first);
    writeFile(vfs, ctx, '/bin/prog', 'version-2');
    expect(Buffer.from(read()).toString()).toBe('version-2');
  });

  it('never keeps a file changed a moment ago (coarse host times could hide a second change)', () => {
    const { bundle } = makeBundle({ 'bin/fresh': 'abc' });
    const vfs = buildVfs(bundle);
    const ctx = rootCtx(vfs);
    const file = vfs.open(ctx, undefined, '/bin/fresh', O.RDONLY, 0);
    try {
      expect(readWholeProgram(file)).not.toBe(readWholeProgram(file));
    } finally {
      file.unref();
    }
  });
});
