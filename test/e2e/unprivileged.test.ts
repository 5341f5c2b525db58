// The same busybox workloads when tssc runs as an unprivileged user (setpriv to nobody,
// from a world-readable copy of the build), and with the namespace and mount system calls
// made to fail for tssc: it needs none of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, hasBusybox, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig } from './busybox-bundle.js';

const NOBODY = 65534;
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

const SCRIPT = [
  'echo "pid $$ ppid $PPID"',
  'for i in 1 2 3; do echo "line $i"; done | sort -r | head -2',
  'x=$(id -u); echo "uid $x"',
  'echo data > /tmp/out; cat /tmp/out; rm /tmp/out',
  'sleep 0.1 & wait $!; echo "bg $?"',
  'sort /data/fruits.txt | uniq | wc -l',
].join('\n');
const EXPECTED = 'pid 1 ppid 0\nline 3\nline 2\nuid 1000\ndata\nbg 0\n5\n';

describe.skipIf(!hasBusybox() || !canSetpriv)('tssc as an unprivileged user', () => {
  let dir: string;
  let copy: string;

  beforeAll(() => {
    dir = scratchDir('tssc-unpriv-');
    makeRootfs(dir);
    copy = worldReadableCopy(path.join(dir, 'tssc'));
    writeConfig(dir, { args: ['sh', '-c', SCRIPT], uid: 1000, gid: 1000 });
    // A state root nobody may create its directory in.
    mkdirSync(path.join(dir, 'states'));
    chmodSync(path.join(dir, 'states'), 0o1777);
  });
  afterAll(() => removeDir(dir));

  it('runs busybox scripts as nobody', () => {
    const result = tsscRun(dir, [], { tsscDir: copy, asUser: NOBODY, stateDir: path.join(dir, 'states', 'nobody') });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(EXPECTED);
    expect(result.status).toBe(0);
  });

  it('needs no namespace, mount or cgroup system call', () => {
    // An outer filter (from a tiny C helper) makes unshare, setns, mount and clone with
    // CLONE_NEW* flags fail with EPERM for tssc and everything it starts.
    const helper = path.join(dir, 'deny-ns');
    execFileSync('gcc', ['-O2', '-o', helper, path.join(REPO, 'test', 'e2e', 'deny-namespaces.c')]);
    chmodSync(helper, 0o755);
    const result = tsscRun(dir, [], { tsscDir: copy, asUser: NOBODY, stateDir: path.join(dir, 'states', 'denied'), wrapper: [helper] });
    expect(result.stdout).toBe(EXPECTED);
    expect(result.status).toBe(0);
  });
});
