// A unix socket's path must fit sun_path (107 bytes and a NUL). State roots can be deeper
// than that (a test's temporary directory, containerd's per-namespace roots with 64-char
// ids), so a long path is reached through an open fd of its directory instead:
// /proc/self/fd/N/NAME resolves to the same socket for bind and connect alike.
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';

const SUN_PATH_MAX = 107;

interface UsablePath {
  path: string;
  release(): void;
}

function usablePath(socketPath: string): UsablePath {
  if (Buffer.byteLength(socketPath) <= SUN_PATH_MAX) return { path: socketPath, release: () => undefined };
  const dirFd = openSync(path.dirname(socketPath), 'r');
  return { path: `/proc/self/fd/${dirFd}/${path.basename(socketPath)}`, release: () => closeSync(dirFd) };
}

/** Runs use with a path to socketPath that fits sun_path. */
export async function withSocketPath<T>(socketPath: string, use: (usable: string) => Promise<T>): Promise<T> {
  const usable = usablePath(socketPath);
  try {
    return await use(usable.path);
  } finally {
    usable.release();
  }
}

/** withSocketPath for a synchronous use. */
export function withSocketPathSync<T>(socketPath: string, use: (usable: string) => T): T {
  const usable = usablePath(socketPath);
  try {
    return use(usable.path);
  } finally {
    usable.release();
  }
}
