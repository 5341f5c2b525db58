// uts namespace syscalls: the hostname and domain name of the caller's uts namespace.

import { E, fail } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { PERSONALITY, PERSONALITY_QUERY } from '../../abi/linux-personality.js';
import { nsCapable } from '../../sentry/kernel/credentials.js';
import { ownerOf } from '../../sentry/kernel/namespaces/user-namespace.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, pointer } from './decode.js';

const FIELD = 65; // __NEW_UTS_LEN + 1
const HOST_NAME_MAX = 64;
/** What the sandbox reports as its kernel (glibc and musl only check it is recent enough). */
export const UTS_RELEASE = '6.1.0';
export const UTS_VERSION = '#1 SMP tssc';

function uname(task: SyscallTask, args: SyscallArgs): number {
  const buf = Buffer.alloc(FIELD * 6);
  // A PER_LINUX32 personality (setarch i686, linux32) sees a 32-bit machine, as on Linux.
  const machine = (task.process.personality(PERSONALITY_QUERY) & PERSONALITY.MASK) === PERSONALITY.LINUX32 ? 'i686' : 'x86_64';
  const fields = ['Linux', task.kernel.uts.hostname, UTS_RELEASE, UTS_VERSION, machine, task.kernel.uts.domainname];
  fields.forEach((value, i) => buf.write(value.slice(0, FIELD - 1), i * FIELD, 'latin1'));
  task.mem.write(pointer(args[0]), buf);
  return 0;
}

function readName(task: SyscallTask, args: SyscallArgs): string {
  // CAP_SYS_ADMIN over the uts namespace: in the user namespace that owns it.
  if (!nsCapable(task.creds, ownerOf(task.kernel.uts), CAP.SYS_ADMIN)) fail(E.EPERM);
  const length = int32(args[1]);
  if (length < 0 || length > HOST_NAME_MAX) fail(E.EINVAL);
  return task.mem.read(pointer(args[0]), length).toString('latin1');
}

function sethostname(task: SyscallTask, args: SyscallArgs): number {
  task.kernel.uts.hostname = readName(task, args);
  return 0;
}

function setdomainname(task: SyscallTask, args: SyscallArgs): number {
  task.kernel.uts.domainname = readName(task, args);
  return 0;
}

export const utsSyscalls = { uname, sethostname, setdomainname } satisfies Record<string, SyscallHandler>;
