// Where AF_UNIX sockets are found by name, per network stack (so per sandbox): socket
// nodes of the filesystem (by the identity of the inode a bind made) and the abstract
// namespace, which Linux keeps apart for each socket type. Nothing here reaches the host:
// a host socket node in a bind mount was never bound here, so connecting to it is refused.

import { E, fail } from '../../abi/errno.js';
import type { MemoryCharge } from '../../accounting/memory-account.js';
import { UNCHARGED } from '../byte-queue.js';

/** What a name leads to: a bound socket of some type. */
export interface NamedSocket {
  readonly type: number;
}

const AUTOBIND_NAMES = 1 << 20;

export class UnixNames<S extends NamedSocket> {
  /** Every socket of the family that is open, for /proc/net/unix. */
  readonly live = new Set<S>();
  private readonly byNode = new WeakMap<object, S>();
  private readonly abstract = new Map<string, S>();
  /** Files in flight (SCM_RIGHTS) by the sender's real uid: too_many_unix_fds. */
  private readonly inFlight = new Map<number, number>();

  /** memory: what the sockets' queued bytes are charged to (the sandbox's memory account). */
  constructor(readonly memory: MemoryCharge = UNCHARGED) {}

  bindNode(node: object, socket: S): void {
    this.byNode.set(node, socket);
  }

  unbindNode(node: object, socket: S): void {
    if (this.byNode.get(node) === socket) this.byNode.delete(node);
  }

  /** The socket bound at node; ECONNREFUSED when none, EPROTOTYPE when of another type. */
  findNode(node: object, type: number): S {
    const socket = this.byNode.get(node);
    if (!socket) fail(E.ECONNREFUSED);
    if (socket.type !== type) fail(E.EPROTOTYPE);
    return socket;
  }

  /** Binds an abstract name ("\0..."): EADDRINUSE when a socket of the type holds it. */
  bindAbstract(name: string, socket: S): void {
    const key = abstractKey(socket.type, name);
    if (this.abstract.has(key)) fail(E.EADDRINUSE);
    this.abstract.set(key, socket);
  }

  unbindAbstract(name: string, socket: S): void {
    const key = abstractKey(socket.type, name);
    if (this.abstract.get(key) === socket) this.abstract.delete(key);
  }

  /** The socket of the type bound to an abstract name; ECONNREFUSED when none. */
  findAbstract(name: string, type: number): S {
    return this.abstract.get(abstractKey(type, name)) ?? fail(E.ECONNREFUSED);
  }

  /** Autobind: a free name "\0" and five hex digits, from a random start (ENOSPC when all are taken). */
  autobind(socket: S): string {
    const start = Math.floor(Math.random() * AUTOBIND_NAMES);
    for (let i = 0; i < AUTOBIND_NAMES; i++) {
      const name = `\0${((start + i) % AUTOBIND_NAMES).toString(16).padStart(5, '0')}`;
      if (this.abstract.has(abstractKey(socket.type, name))) continue;
      this.bindAbstract(name, socket);
      return name;
    }
    return fail(E.ENOSPC);
  }

  /** Counts files a user puts in flight: ETOOMANYREFS past limit (RLIMIT_NOFILE), as Linux. */
  addInFlight(uid: number, count: number, limit: number): void {
    const now = this.inFlight.get(uid) ?? 0;
    if (now > limit) fail(E.ETOOMANYREFS);
    this.inFlight.set(uid, now + count);
  }

  removeInFlight(uid: number, count: number): void {
    const left = (this.inFlight.get(uid) ?? 0) - count;
    if (left > 0) this.inFlight.set(uid, left);
    else this.inFlight.delete(uid);
  }
}

function abstractKey(type: number, name: string): string {
  return `${type}:${name}`;
}
