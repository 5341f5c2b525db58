// A task's personality (personality(2)): the sandbox keeps it (Task.personality), clones
// copy it, exec keeps it but for PER_CLEAR_ON_SETID on a secure exec. Of its flags the
// host process is given ADDR_NO_RANDOMIZE alone, right before the exec of the stub (the host
// kernel picks a new image's layout at exec), so `setarch -R` really lays a program out
// without randomization; READ_IMPLIES_EXEC, MMAP_PAGE_ZERO and the rest never reach the host.
// PER_LINUX32 shows in uname's machine; the other flags are recorded and reported only.

import { ERESTARTNOINTR } from '../../abi/errno.js';
import { PER_CLEAR_ON_SETID, PERSONALITY } from '../../abi/linux-personality.js';
import { NR } from '../../abi/linux-syscalls.js';
import { readHostProc } from '../platform/host/host-proc.js';
import type { HostCall } from './syscall.js';
import type { Task } from './task.js';

/** The host thread's personality (its /proc file), undefined when it cannot be read. */
function hostPersonality(task: Task): number | undefined {
  const text = readHostProc(`${task.group.hostPid}/task/${task.hostTid}/personality`);
  return text === undefined ? undefined : parseInt(text, 16) >>> 0;
}

/** The task's personality; a process the sandbox started has its host thread's, as tssc was started. */
export function personalityOf(task: Task): number {
  return (task.personality ??= hostPersonality(task) ?? 0);
}

/** What exec leaves of persona: a secure exec (setuid, setgid, file capabilities) clears PER_CLEAR_ON_SETID. */
export function personalityAfterExec(persona: number, secure: boolean): number {
  return secure ? persona & ~PER_CLEAR_ON_SETID : persona;
}

/**
 * Before the exec of the stub: when the host process's ADDR_NO_RANDOMIZE is not the one the
 * new image's personality has, the call that sets it on the host, after which the workload's
 * execve starts again (and finds them equal); undefined when they already are.
 */
export function hostLayoutFor(task: Task, secure: boolean): HostCall | undefined {
  const wanted = personalityAfterExec(personalityOf(task), secure) & PERSONALITY.ADDR_NO_RANDOMIZE;
  const host = hostPersonality(task);
  // Unknown (the thread is going): nothing to compare with, and a restart could not learn more.
  if (host === undefined || (host & PERSONALITY.ADDR_NO_RANDOMIZE) === wanted) return undefined;
  const value = (host & ~PERSONALITY.ADDR_NO_RANDOMIZE) | wanted;
  // personality(2) does not fail; were it to, execve would fail with its error rather than loop.
  return { kind: 'host', nr: NR.personality, args: [BigInt(value >>> 0)], complete: (result) => (result < 0n ? result : -ERESTARTNOINTR) };
}
