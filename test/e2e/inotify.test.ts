// inotify under `tssc run`: a C program (static and dynamic) prints the event sequences it
// prints natively, and `tail -F` follows a file another process writes and replaces.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installFixtures, makeRootfs, nativeAndSandboxed, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';


describe.skipIf(!hasBusybox() || !hasCompiler())('inotify', () => {
  let dir: string;
  let rootfs: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-inotify-');
    rootfs = makeRootfs(dir);
    binaries = installFixtures(rootfs, ['inotify']);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it(`the ${linkage} program sees the events it sees natively`, () => {
      const scratch = path.join(dir, `native-${linkage}`);
      mkdirSync(scratch);
      const { native, sandboxed } = nativeAndSandboxed(dir, binaries, `inotify-${linkage}`, { nativeArgs: [scratch], sandboxArgs: ['/tmp'] });
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('dir MOVED_TO "b" same cookie');
      expect(sandboxed).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }

  it('busybox tail -F follows a file another process writes and replaces', () => {
    const script = [
      'tail -F /tmp/log 2>&1 & pid=$!',
      'sleep 0.3; echo one >> /tmp/log; sleep 1.2; echo two >> /tmp/log; sleep 1.2',
      'mv /tmp/log /tmp/log.1; echo three > /tmp/log; sleep 1.5',
      'kill $pid; wait $pid 2>/dev/null; echo done',
    ].join('\n');
    writeConfig(dir, { args: ['sh', '-c', script] });
    // What it prints natively (busybox tail -F looks at the file once a second).
    expect(tsscRun(dir)).toEqual({
      status: 0,
      stdout: [
        "tail: can't open '/tmp/log': No such file or directory",
        'tail: /tmp/log has appeared; following end of new file',
        'one',
        'two',
        'tail: /tmp/log has been replaced; following end of new file',
        'three',
        'done',
        '',
      ].join('\n'),
      stderr: '',
    });
  });
});
