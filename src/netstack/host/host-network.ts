// The host network a sandbox's host sockets live in: the sentry's own network namespace,
// or the one a spec names by path (a pod's, made by CNI), entered by a helper thread for
// each socket (Node's main thread stays where it is). It also bounds how many host
// sockets one sandbox holds at once, so no workload makes the sentry hold without end,
// and charges each to the sandbox's memory account for the buffers the host kernel gives
// it (SO_SNDBUF + SO_RCVBUF as it opens: the bytes the host may queue for it before TCP
// autotuning grows them), as a memory cgroup counts socket memory; past the limit, ENOBUFS.

import { E, SysError, errnoMessage, fail } from '../../abi/errno.js';
import { AF, SO, SOCK, SOL } from '../../abi/linux-socket.js';
import type { MemoryCharge } from '../../accounting/memory-account.js';
import { loadHostnet, type InterfaceRow } from '../../native/hostnet.js';
import type { WaitQueue } from '../../waiter/index.js';
import { HostFd } from './host-fd.js';
import { LINGER_RESET } from './host-options.js';

/** The most host sockets one sandbox holds at once; a connect or socket past it is ENOBUFS. */
export const MAX_HOST_SOCKETS = 1024;

/** A namespace that cannot be entered: the path and the reason, for the user. */
export class NamespaceError extends Error {}

export class HostNetwork {
  private live = 0;

  private constructor(
    /** -1: the sentry's own namespace. */
    readonly nsFd: number,
    readonly namespacePath: string | undefined,
    private readonly memory: MemoryCharge | undefined,
  ) {}

  /** The sentry's own network namespace; sockets charge memory when given. */
  static own(memory?: MemoryCharge): HostNetwork {
    return new HostNetwork(-1, undefined, memory);
  }

  /**
   * The network namespace at path, checked by opening a socket in it now: a path that is
   * no namespace, or one the sentry may not enter (setns needs CAP_SYS_ADMIN over it),
   * fails here with the path named, before the workload starts.
   */
  static at(path: string, memory?: MemoryCharge): HostNetwork {
    const hostnet = loadHostnet();
    const nsFd = hostnet.openNamespace(path);
    if (nsFd < 0) throw new NamespaceError(`network namespace ${path}: ${errnoMessage(-nsFd)}`);
    const trial = hostnet.socket(AF.INET, SOCK.DGRAM, 0, nsFd);
    if (trial < 0) {
      hostnet.close(nsFd);
      const why = -trial === E.EPERM ? 'the sentry may not enter it (setns needs CAP_SYS_ADMIN over it)' : -trial === E.EINVAL ? 'not a network namespace' : errnoMessage(-trial);
      throw new NamespaceError(`network namespace ${path}: ${why}`);
    }
    hostnet.close(trial);
    return new HostNetwork(nsFd, path, memory);
  }

  /** A host socket whose readiness goes to queue; ENOBUFS past MAX_HOST_SOCKETS or the memory limit. */
  open(domain: number, type: number, protocol: number, queue: WaitQueue): HostFd {
    this.take();
    let charged = 0;
    let host: HostFd;
    try {
      host = HostFd.open(domain, type, protocol, this.nsFd, queue, () => this.release(charged));
    } catch (e) {
      this.live--;
      throw e;
    }
    charged = this.charge(host);
    return host;
  }

  /** A connection a host listener accepted, now a socket of the sandbox's (ENOBUFS: closed). */
  adopt(fd: number, queue: WaitQueue): HostFd {
    try {
      this.take();
    } catch (e) {
      loadHostnet().close(fd);
      throw e;
    }
    let charged = 0;
    const host = HostFd.wrap(fd, queue, () => this.release(charged));
    charged = this.charge(host);
    return host;
  }

  /** Charges host's buffers to the memory account: what it took, or ENOBUFS (host closed) past the limit. */
  private charge(host: HostFd): number {
    if (!this.memory) return 0;
    const bytes = host.getInt(SOL.SOCKET, SO.SNDBUF) + host.getInt(SOL.SOCKET, SO.RCVBUF);
    if (this.memory.tryCharge(bytes)) return bytes;
    host.close();
    return fail(E.ENOBUFS);
  }

  private release(charged: number): void {
    this.live--;
    this.memory?.uncharge(charged);
  }

  /** Turns away a connection accept() gave that nobody takes: closed with a reset. */
  refuse(fd: number): void {
    const hostnet = loadHostnet();
    hostnet.setSockOpt(fd, SOL.SOCKET, SO.LINGER, LINGER_RESET);
    hostnet.close(fd);
  }

  private take(): void {
    if (this.live >= MAX_HOST_SOCKETS) fail(E.ENOBUFS);
    this.live++;
  }

  /** How many host sockets the sandbox holds now. */
  get count(): number {
    return this.live;
  }

  /** getifaddrs in this namespace. */
  interfaces(): InterfaceRow[] {
    const rows = loadHostnet().interfaces(this.nsFd);
    if (typeof rows === 'number') throw new SysError(-rows, 'getifaddrs');
    return rows;
  }
}
