// The identity a program runs with after execve, as Linux computes it before the point of
// no return (bprm_fill_uid and cap_bprm_creds_from_file): the file's setuid/setgid bits,
// its capabilities from the security.capability xattr, the root rules, the ambient and
// bounding sets, no_new_privs, and whether the exec is a secure one (AT_SECURE). The
// sentry's own loader runs every program, so it is the one to apply them.

import { E, fail, isSysError } from '../../abi/errno.js';
import { parseFileCapabilities, SECBIT, XATTR_NAME_CAPS, type FileCapabilities } from '../../abi/linux-capability.js';
import { MS, S, type Location } from '../../vfs/api.js';
import { CAP } from '../../abi/linux-capability.js';
import { nsCapable, staysDumpable } from './credentials.js';
import type { ProgramImage } from '../loader/image.js';
import type { TaskCredentials } from './syscall.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export interface ExecCredentials {
  readonly creds: TaskCredentials;
  /** bprm->secureexec: the loader passes AT_SECURE 1 and the C library distrusts the environment. */
  readonly secure: boolean;
}

/** A program an exec starts, with the identity it runs with. */
export type ExecImage = ProgramImage<ExecCredentials>;

/** What of the program file decides the new identity. */
export interface ExecFile {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** On a nosuid mount: setuid/setgid bits and file capabilities are ignored. */
  readonly nosuid: boolean;
  /** The parsed security.capability, 'invalid' for a malformed one, undefined for none. */
  readonly capabilities: FileCapabilities | 'invalid' | undefined;
}

const SETGID_EXEC = S.ISGID | 0o010;

/**
 * The credentials after exec of file by a task with old ones (capabilities(7),
 * "Transformation of capabilities during execve()"); fsShared: the task's fs context is
 * shared with another process (LSM_UNSAFE_SHARE). Throws EPERM when the file's effective
 * bit asks for capabilities the bounding set withholds, EINVAL for a malformed xattr.
 */
export function credentialsAfterExec(old: TaskCredentials, file: ExecFile, fsShared: boolean): ExecCredentials {
  let euid = old.euid;
  let egid = old.egid;
  // A file whose owner or group the task's namespace cannot name grants no ids (bprm_fill_uid).
  const mapped = old.userNs.fromKernel('uid', file.uid) !== undefined && old.userNs.fromKernel('gid', file.gid) !== undefined;
  if (!file.nosuid && !old.noNewPrivs && mapped) {
    if (file.mode & S.ISUID) euid = file.uid;
    if ((file.mode & SETGID_EXEC) === SETGID_EXEC) egid = file.gid;
  }

  let permitted = 0n;
  let effective = false;
  let hasFileCaps = false;
  const fileCaps = file.nosuid ? undefined : file.capabilities;
  if (fileCaps === 'invalid') fail(E.EINVAL);
  // Capabilities recorded for another root (a v3 xattr of a user namespace) do not apply here.
  if (fileCaps && fileCaps.rootid === 0) {
    effective = fileCaps.effective;
    hasFileCaps = true;
    permitted = (old.bounding & fileCaps.permitted) | (old.inheritable & fileCaps.inheritable);
    if (effective && (fileCaps.permitted & ~permitted) !== 0n) fail(E.EPERM);
  }

  // Root's programs get every capability the bounding and inheritable sets allow, unless
  // SECBIT_NOROOT; a setuid-root file with file capabilities run by a non-root user does not.
  // Root is the task's user namespace's root (none when it maps no uid 0).
  const root = old.userNs.rootUid;
  if (!(old.securebits & SECBIT.NOROOT) && !(hasFileCaps && euid === root && old.ruid !== root)) {
    if (euid === root || old.ruid === root) permitted = old.bounding | old.inheritable;
    if (euid === root) effective = true;
  }

  const isSetid = euid !== old.ruid || egid !== old.rgid;
  if ((isSetid || (permitted & ~old.permitted) !== 0n) && (old.noNewPrivs || fsShared)) {
    if (!nsCapable(old, old.userNs, CAP.SETUID) || old.noNewPrivs) {
      euid = old.ruid;
      egid = old.rgid;
    }
    permitted &= old.permitted;
  }
  const ambient = hasFileCaps || isSetid ? 0n : old.ambient;
  permitted |= ambient;
  const creds: TaskCredentials = {
    ...old,
    euid, suid: euid, fsuid: euid,
    egid, sgid: egid, fsgid: egid,
    permitted,
    effective: effective ? permitted : ambient,
    ambient,
    securebits: old.securebits & ~SECBIT.KEEP_CAPS,
  };
  const secure = isSetid || (old.ruid !== root && (effective || (permitted & ~ambient) !== 0n));
  return { creds, secure };
}

/** The program file's side of the exec: its attributes, its mount, its security.capability. */
export function execFileOf(location: Location): ExecFile {
  const inode = location.dentry.inode;
  const st = inode.stat();
  let capabilities: ExecFile['capabilities'];
  try {
    const value = inode.getxattr?.(XATTR_NAME_CAPS);
    capabilities = value === undefined ? undefined : (parseFileCapabilities(value) ?? 'invalid');
  } catch (e) {
    if (!isSysError(e)) throw e;
    capabilities = undefined;
  }
  return { mode: st.mode, uid: st.uid, gid: st.gid, nosuid: (location.mount.flags & MS.NOSUID) !== 0, capabilities };
}

/** Whether a task's fs context (CLONE_FS) is shared with a task of another process. */
export function fsSharedWithAnotherProcess(task: Task, groups: readonly ThreadGroup[]): boolean {
  return groups.some((group) => group !== task.group && [...group.tasks].some((other) => other.fs === task.fs));
}

/** The program with the identity it will run with (ProgramImage.credentials). */
export function withExecCredentials(program: ProgramImage, creds: TaskCredentials, fsShared = false): ExecImage {
  return { ...program, credentials: credentialsAfterExec(creds, execFileOf(program.location), fsShared) };
}

/**
 * Past the point of no return: the task takes the program's identity. It stays dumpable
 * when it ran with its user's own ids and the exec changed no id and added no capability.
 */
export function commitExecCredentials(task: Task, credentials: ExecCredentials | undefined): void {
  if (!credentials) {
    // A program whose identity the exec does not change (a wasm module): dumpable again.
    task.process.dumpable = true;
    return;
  }
  const old = task.creds;
  task.process.setCredentials(credentials.creds);
  task.process.dumpable = old.euid === old.ruid && old.egid === old.rgid && staysDumpable(old, credentials.creds);
}
