// Where one container's files sit in the state root. Every one is a plain file or socket
// named ID + a tssc suffix, never a directory: runc and runsc share state roots with
// tssc (containerd's shim passes the same --root to every runtime binary), and `runc list`
// tries to load each directory there as a container of its own.
import path from 'node:path';
import { checkContainerId } from './container-id.js';

const RECORD_SUFFIX = '.tssc-state';
const LOCK_SUFFIX = '.tssc-lock';
const SOCKET_SUFFIX = '.tssc-sock';

export interface StateFiles {
  /** The record (JSON), replaced by atomic rename. */
  record: string;
  /** The lock file (see lock.ts). */
  lock: string;
  /** The sentry's control socket. */
  socket: string;
}

export function stateFiles(root: string, id: string): StateFiles {
  checkContainerId(id);
  const base = path.join(root, id);
  return { record: base + RECORD_SUFFIX, lock: base + LOCK_SUFFIX, socket: base + SOCKET_SUFFIX };
}

/** The container id a directory entry of the state root holds the record of, if any. */
export function recordId(entry: string): string | undefined {
  return entry.endsWith(RECORD_SUFFIX) && entry.length > RECORD_SUFFIX.length ? entry.slice(0, -RECORD_SUFFIX.length) : undefined;
}
