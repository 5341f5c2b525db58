// python3 and node using the network under `tssc run`, compared with the same commands
// under chroot on the host in a network namespace of their own: asyncio (socketpair, TCP
// and unix servers), http.server fetched with urllib, multiprocessing.Manager, passed
// fds; node's http server and fetch, net over ::1, dgram, and a child's socketpair stdio.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './busybox-bundle.js';
import { debianRootfs, type DebianRootfsSpec } from '../fixtures/debian-rootfs.js';
import { runInChroot, runInTssc } from '../fixtures/debian-sandbox.js';

const NETWORK_USERLAND: DebianRootfsSpec = {
  programs: ['sh', 'bash', 'true', 'python3', 'node'],
  trees: [
    {
      path: '/usr/lib/python3.11',
      exclude: ['config-3.11-x86_64-linux-gnu', 'test', 'idlelib', 'lib2to3', 'pydoc_data', 'ensurepip', 'tkinter', 'turtledemo', 'distutils'],
    },
  ],
};

function whyNotRunnable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the chroot reference needs root';
  if (!existsSync(path.join(REPO, 'native', 'ptrace', 'build', 'Release', 'tssc_ptrace.node'))) return 'native/ptrace is not built';
  if (!existsSync('/usr/bin/python3') || !existsSync('/usr/bin/node')) return 'the host lacks /usr/bin/python3 or /usr/bin/node';
  return undefined;
}

const skipReason = whyNotRunnable();
const rootfs = skipReason === undefined ? debianRootfs(NETWORK_USERLAND) : '';
const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-net-runtimes-'));
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

function fixture(name: string): string {
  return readFileSync(path.join(REPO, 'test', 'e2e', 'fixtures', name), 'utf8');
}

describe.skipIf(skipReason !== undefined)('python3 and node on the sandbox\'s network', () => {
  it('python3: asyncio, http.server and urllib, multiprocessing.Manager, passed fds', () => {
    const args = ['/usr/bin/python3', '-c', fixture('net-python.py')];
    const reference = runInChroot(rootfs, args);
    expect(reference.stderr).toBe('');
    const sandboxed = runInTssc(bundle, rootfs, args);
    expect(sandboxed).toEqual(reference);
    expect(reference.stdout).toContain('200 fetched with urllib');
  });

  it('node: an http server and fetch, net over ::1, dgram, a child process\'s socketpair stdio', () => {
    const args = ['/usr/bin/node', '--input-type=module', '-e', fixture('net-node.mjs')];
    const reference = runInChroot(rootfs, args);
    expect(reference.stderr).toBe('');
    const sandboxed = runInTssc(bundle, rootfs, args);
    expect(sandboxed).toEqual(reference);
    expect(reference.stdout).toContain('200 hello GET /path?q=1');
  });
});
