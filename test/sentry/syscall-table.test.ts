// The x86-64 table: every number named and classified, docs/syscalls.md generated from it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSyscallDocs } from '../../src/syscalls/linux/syscall-docs.js';
import { linuxX86_64Table } from '../../src/syscalls/linux/table.js';
import { buildSeccompFilter } from '../../src/sentry/platform/seccomp-filter.js';
import { RET, runFilter } from './cbpf.js';

const byName = new Map([...linuxX86_64Table.entries()].map((e) => [e.name, e]));
const program = buildSeccompFilter(linuxX86_64Table);

describe('the x86-64 syscall table', () => {
  it('names every number from read (0) to the last one', () => {
    expect(linuxX86_64Table.entry(0)?.name).toBe('read');
    expect(linuxX86_64Table.entry(39)?.name).toBe('getpid');
    expect(linuxX86_64Table.entry(59)?.name).toBe('execve');
    expect(linuxX86_64Table.entry(231)?.name).toBe('exit_group');
    expect(linuxX86_64Table.entry(334)?.name).toBe('rseq');
    expect(linuxX86_64Table.entry(435)?.name).toBe('clone3');
    expect([...linuxX86_64Table.entries()].length).toBeGreaterThan(370);
  });

  it('traps every call that names a path, an fd, a pid or an identity', () => {
    for (const name of ['openat', 'read', 'write', 'execve', 'clone', 'fork', 'kill', 'getpid', 'getppid', 'getuid', 'set_tid_address', 'uname', 'wait4', 'rt_sigaction']) {
      expect(byName.get(name)?.filter, name).toBe('trap');
      expect(byName.get(name)?.handler, name).toBeDefined();
    }
  });

  it('lets only calls about the task itself through', () => {
    for (const name of ['futex', 'rt_sigprocmask', 'rt_sigreturn', 'munmap', 'mprotect', 'exit_group', 'clock_gettime', 'getrandom', 'arch_prctl']) {
      expect(runFilter(program, byName.get(name)!.nr), name).toBe(RET.ALLOW);
    }
  });

  it('refuses what no sandbox should reach', () => {
    for (const name of ['bpf', 'kexec_load', 'init_module', 'io_uring_setup', 'fsopen']) {
      expect(byName.get(name)?.filter, name).toHaveProperty('refuse');
    }
    // Namespaces are the sentry's: the host never makes one for a task.
    for (const name of ['unshare', 'setns', 'pivot_root']) expect(byName.get(name)?.filter, name).toBe('trap');
    // clone3 is the sentry's, as clone is: the host runs clone(2) from the sentry's own copy of its arguments.
    expect(byName.get('clone3')?.filter).toBe('trap');
  });

  it('builds a seccomp program that fits the kernel limit', () => {
    expect(program.length % 8).toBe(0);
    expect(program.length / 8).toBeLessThan(4096);
  });

  it('has docs/syscalls.md up to date', () => {
    const docs = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'syscalls.md'), 'utf8');
    expect(docs).toBe(renderSyscallDocs(linuxX86_64Table));
  });
});
