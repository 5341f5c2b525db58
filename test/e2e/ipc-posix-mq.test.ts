// POSIX message queues under `tssc run`: a C program (static and dynamic) prints what it
// prints natively, and /dev/mqueue (an mqueue mount) lists the sandbox's queues.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installFixtures, makeRootfs, nativeAndSandboxed, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('POSIX message queues', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-mq-');
    binaries = installFixtures(makeRootfs(dir), ['posix-mq']);
  });
  afterAll(() => removeDir(dir));

  /** config.json with an mqueue mount at /dev/mqueue, as runc's default spec has. */
  function configure(args: string[]): void {
    writeConfig(dir, { args });
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.mounts.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  }

  for (const linkage of ['static', 'dynamic'] as const) {
    // Natively the other user's part needs root (setuid).
    it.skipIf(!isRoot)(`the ${linkage} program gives the native output`, () => {
      const { native, sandboxed } = nativeAndSandboxed(dir, binaries, `posix-mq-${linkage}`, { configure });
      expect(native.status).toBe(0);
      expect(sandboxed).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }

  it('lists the queues in /dev/mqueue with their state', () => {
    const script = [
      'touch /dev/mqueue/made-by-open',
      'ls -l /dev/mqueue | cut -c1-10',
      'ls /dev/mqueue',
      'cat /dev/mqueue/made-by-open',
      'rm /dev/mqueue/made-by-open; ls /dev/mqueue | wc -l',
    ].join('; ');
    configure(['sh', '-c', script]);
    const result = tsscRun(dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(['total 0', '-rw-r--r--', 'made-by-open', 'QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     ', '0', ''].join('\n'));
  });
});
