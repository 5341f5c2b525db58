// Readiness, shared by every layer that has files to wait on (the VFS, the netstack, the
// sentry's pipes and eventfds): gVisor's pkg/waiter. It imports nothing of theirs.

export { WaitQueue } from './queue.js';
export type { Unsubscribe, Waitable } from './waitable.js';
