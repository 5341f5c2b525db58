// --pid-file as containerd's shim and conmon read it: the decimal pid and no newline,
// present in full the moment it exists (a temporary file renamed into place).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { TsscError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-write.js';

/** Refuses a pid-file whose directory is missing, before anything starts. */
export function checkPidFile(pidFile: string): void {
  const dir = path.dirname(path.resolve(pidFile));
  if (!existsSync(dir)) throw new TsscError(`cannot write pid file ${pidFile}: directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new TsscError(`cannot write pid file ${pidFile}: ${dir} is not a directory`);
}

export function writePidFile(pidFile: string, pid: number): void {
  try {
    writeFileAtomic(path.resolve(pidFile), String(pid), 0o644);
  } catch (error) {
    throw new TsscError(`cannot write pid file ${pidFile}: ${(error as Error).message}`);
  }
}
