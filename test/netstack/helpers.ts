// A caller for netstack tests: AF_UNIX path names in a map standing in for the filesystem.
import { E, SysError, fail } from '../../src/abi/errno.js';
import { createNetworkStack } from '../../src/netstack/index.js';
import type { IncomingMessage, PassedRights, Socket, SocketCaller, UnixPathNames } from '../../src/netstack/index.js';

export class MapNames implements UnixPathNames {
  readonly nodes = new Map<string, object>();
  /** Paths that exist but are not sockets. */
  readonly files = new Set<string>();

  create(path: string): object {
    if (this.nodes.has(path) || this.files.has(path)) fail(E.EADDRINUSE);
    const node = { path };
    this.nodes.set(path, node);
    return node;
  }

  remove(path: string, node: object): void {
    if (this.nodes.get(path) === node) this.nodes.delete(path);
  }

  find(path: string): object {
    if (this.files.has(path)) fail(E.ECONNREFUSED);
    return this.nodes.get(path) ?? fail(E.ENOENT);
  }
}

export function caller(pid = 1, uid = 0, gid = 0, names = new MapNames(), maxFilesInFlight = 1024, capabilities = uid === 0 ? (1n << 41n) - 1n : 0n): SocketCaller {
  return { cred: { pid, uid, gid }, messageCred: { pid, uid, gid }, maxFilesInFlight, capabilities, names };
}

export function stack() {
  return createNetworkStack();
}

export function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}

export function send(socket: Socket, text: string, who: SocketCaller, extra: { rights?: PassedRights } = {}): number {
  return socket.send({ data: Buffer.from(text), flags: 0, ...extra }, who);
}

export function receive(socket: Socket, length = 4096, flags = 0): IncomingMessage {
  return socket.receive({ length, flags });
}

export function text(message: IncomingMessage): string {
  return Buffer.from(message.data).toString();
}

/** Rights that count their references, standing in for file descriptions. */
export class CountedRights implements PassedRights {
  constructor(readonly refs: { n: number }, readonly count = 1) {}

  discard(): void {
    this.refs.n -= this.count;
  }

  duplicate(): PassedRights {
    this.refs.n += this.count;
    return new CountedRights(this.refs, this.count);
  }
}
