// A counter of VFS operations. Host inodes reuse one lstat for all the checks of a single
// operation (lookup, type, search permission) instead of asking the host each time; the
// next operation sees the host afresh.

let current = 0;

/** Starts a new operation: attributes cached before it are stale. */
export function beginOperation(): void {
  current++;
}

export function currentOperation(): number {
  return current;
}
