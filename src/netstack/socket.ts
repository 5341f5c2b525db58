// The socket contract: what a file description of a socket holds (gVisor's
// socket.Socket), whatever its family. Every operation is non-blocking at this level:
// one that would wait throws EAGAIN and the caller waits for the readiness the socket
// reports (src/waiter), as pipes do, so one object serves blocking and non-blocking fds.
// Failures throw SysError with Linux's errno.

import type { Waitable } from '../waiter/index.js';
import type { SocketAddress } from './address.js';

/** struct ucred: a process as a peer sees it (its pid and effective ids, in the sandbox). */
export interface Ucred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Files in flight with SCM_RIGHTS. The netstack carries them and never looks inside: the
 * syscall layer makes them from fds and turns them back into fds.
 */
export interface PassedRights {
  readonly count: number;
  /** The message carrying them was dropped unread: their references go. */
  discard(): void;
  /** MSG_PEEK: the same files with new references for the receiver; the message keeps its own. */
  duplicate(): PassedRights;
}

/**
 * How AF_UNIX path names reach the filesystem, in the caller's view of it (root, cwd,
 * credentials): the syscall layer implements it over the VFS. A socket node is known by
 * identity only (the inode the bind made), so a rename or a hard link keeps the name
 * working and a node the sandbox did not bind (a host socket in a bind mount) is nobody's.
 */
export interface UnixPathNames {
  /** bind: makes a socket node at path (mode 0777 less the umask); EADDRINUSE when the name exists. */
  create(path: string): object;
  /** Undoes create when the bind fails afterwards. */
  remove(path: string, node: object): void;
  /**
   * connect/sendto: the node at path after write permission on it; ENOENT, ENOTDIR,
   * EACCES from resolution, ECONNREFUSED when it is no socket.
   */
  find(path: string): object;
}

/** Who makes a socket call. */
export interface SocketCaller {
  /** What SO_PEERCRED tells a peer: the caller's pid and effective ids. */
  readonly cred: Ucred;
  /** What SCM_CREDENTIALS carries when the sender gave none: its pid and real ids. */
  readonly messageCred: Ucred;
  /**
   * How many files the caller's user may have in flight with SCM_RIGHTS: its
   * RLIMIT_NOFILE, unbounded with CAP_SYS_RESOURCE or CAP_SYS_ADMIN.
   */
  readonly maxFilesInFlight: number;
  /** The caller's effective capabilities (CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_NET_ADMIN), a bit mask. */
  readonly capabilities: bigint;
  readonly names: UnixPathNames;
}

export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;

export function hasCapability(caller: SocketCaller, cap: number): boolean {
  return (caller.capabilities & (1n << BigInt(cap))) !== 0n;
}

export interface OutgoingMessage {
  readonly data: Uint8Array;
  /** sendto/sendmsg's address; undefined sends to the connected peer. */
  readonly to?: SocketAddress;
  /** Files to pass: lent, the socket takes references of its own (duplicate) if it keeps them. */
  readonly rights?: PassedRights;
  /** SCM_CREDENTIALS the sender gave (the syscall layer checked them against its ids). */
  readonly cred?: Ucred;
  /** MSG_* bits the protocol acts on (MSG_OOB, MSG_EOR, MSG_MORE, MSG_CONFIRM). */
  readonly flags: number;
}

export interface ReceiveRequest {
  /** The most bytes the caller takes (a datagram beyond it is cut: MSG_TRUNC). */
  readonly length: number;
  /** MSG_PEEK, MSG_TRUNC, MSG_OOB, MSG_ERRQUEUE as the caller passed them; MSG_DONTWAIT for any non-blocking call. */
  readonly flags: number;
}

export interface IncomingMessage {
  /** At most the requested length; empty with eof at the end of a stream. */
  readonly data: Uint8Array;
  /** A datagram's whole length (what MSG_TRUNC makes recv return); data.length for streams. */
  readonly size: number;
  /** The end of a stream: no data now, none ever. */
  readonly eof: boolean;
  readonly from?: SocketAddress;
  readonly rights?: PassedRights;
  /** The sender's credentials, when the receiver asked for them (SO_PASSCRED). */
  readonly cred?: Ucred;
  /** MSG_TRUNC, MSG_EOR for the caller's msg_flags. */
  readonly flags: number;
}

/** A connect that cannot finish at once and may wait (a blocking socket). */
export interface PendingConnect {
  /**
   * 'retry': make the same connect again once wait is ready (a full AF_UNIX backlog);
   * 'finish': the connection completes on its own once the socket itself is writable,
   * and finishConnect() tells how it ended (a TCP handshake).
   */
  readonly kind: 'retry' | 'finish';
  readonly wait: Waitable;
  readonly events: number;
}

/** A socket option's value, decoded from (or encoded to) its ABI form by the syscall layer. */
export type OptionValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'linger'; readonly on: boolean; readonly seconds: number }
  /** A timeout in nanoseconds; 0 waits forever. */
  | { readonly kind: 'timeout'; readonly ns: bigint }
  | { readonly kind: 'ucred'; readonly cred: Ucred }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

export interface Socket extends Waitable {
  readonly family: number;
  /** SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW. */
  readonly type: number;
  readonly protocol: number;

  bind(address: SocketAddress, caller: SocketCaller): void;
  listen(backlog: number, caller: SocketCaller): void;
  /**
   * connect(2). Returns undefined once connected (or associated, for datagrams); a
   * PendingConnect when a blocking caller must wait. A non-blocking caller gets
   * EINPROGRESS or EAGAIN instead, as the protocol answers.
   */
  connect(address: SocketAddress, caller: SocketCaller, nonBlocking: boolean): PendingConnect | undefined;
  /** After a 'finish' wait: the outcome (throws the connection's error). */
  finishConnect(): void;
  /** A connection waiting in the accept queue; EAGAIN when there is none. */
  accept(caller: SocketCaller): Socket;
  /** Bytes taken: a stream may take part of data, a datagram all or nothing. */
  send(message: OutgoingMessage, caller: SocketCaller): number;
  receive(request: ReceiveRequest): IncomingMessage;
  shutdown(how: number): void;
  localAddress(): SocketAddress;
  /** ENOTCONN when there is no peer. */
  peerAddress(): SocketAddress;
  getOption(level: number, name: number): OptionValue;
  setOption(level: number, name: number, value: OptionValue): void;
  /** Bytes the next reads can take (FIONREAD, SIOCINQ). */
  readonly inQueue: number;
  /** Bytes sent and not yet read by the peer (SIOCOUTQ). */
  readonly outQueue: number;
  /** SO_RCVTIMEO and SO_SNDTIMEO in nanoseconds (0: no timeout), for blocking callers. */
  readonly receiveTimeoutNs: bigint;
  readonly sendTimeoutNs: bigint;
  /** The last reference went (close of the last fd naming it). */
  release(): void;
  /** The inode number of the socket's file (sockfs), as /proc/net/* and /proc/PID/fd name it. */
  inodeNumber: number;
}

/** One address family (AF_UNIX, AF_INET, ...), registered with a NetworkStack. */
export interface SocketFamily {
  /** socket(2): ESOCKTNOSUPPORT or EPROTONOSUPPORT for types and protocols it lacks. */
  create(type: number, protocol: number, caller: SocketCaller): Socket;
  /** socketpair(2): EOPNOTSUPP where the family has none. */
  pair(type: number, protocol: number, caller: SocketCaller): [Socket, Socket];
}
