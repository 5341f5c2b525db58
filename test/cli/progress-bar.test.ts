import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/cli/progress-bar.js';

function fakeTerminal(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('progress bar', () => {
  it('is not shown when stderr is not a terminal', () => {
    expect(progressBar(fakeTerminal(false).stream)).toBeUndefined();
  });

  it('stays quiet for small inputs', () => {
    const { stream, written } = fakeTerminal(true);
    const bar = progressBar(stream);
    bar?.start('unpacking', 1024);
    bar?.advance(1024);
    bar?.finish();
    expect(written).toEqual([]);
  });

  it('draws progress for large inputs and ends the line', () => {
    const { stream, written } = fakeTerminal(true);
    const bar = progressBar(stream);
    const total = 64 * 1024 * 1024;
    bar?.start('unpacking', total);
    bar?.advance(total / 2);
    bar?.advance(total / 2);
    bar?.finish();
    expect(written[0]).toBe(`\runpacking [${'#'.repeat(15)}${' '.repeat(15)}] 50% 32.0/64.0 MiB`);
    expect(written.at(-2)).toBe(`\runpacking [${'#'.repeat(30)}] 100% 64.0/64.0 MiB`);
    expect(written.at(-1)).toBe('\n');
  });
});
