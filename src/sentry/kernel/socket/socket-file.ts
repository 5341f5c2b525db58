// A socket as a file: the sockfs inode a socket's file description holds (fstat shows
// S_IFSOCK, /proc/PID/fd shows socket:[INODE]), reads and writes that are recv and send
// without flags, readiness from the socket, and the ioctls every socket answers.

import { E, fail } from '../../../abi/errno.js';
import { IOCTL } from '../../../abi/linux-ioctl.js';
import { O } from '../../../abi/linux-fcntl.js';
import { SIOC } from '../../../abi/linux-socket.js';
import type { Socket, SocketCaller } from '../../../netstack/socket.js';
import { S, type Credentials, type FileDescription, type FileImpl, type FsContext, type Inode, type Stat, type UserMemory, type Vfs } from '../../../vfs/api.js';
import { now } from '../../../vfs/time.js';
import { allocateIno, anonFilesystem } from '../files/anon-fs.js';
import { HostFileInode } from '../files/host-file.js';
import { HostStdioSocket } from './host-stdio-socket.js';

const SOCKFS_MAGIC = 0x534f434b;
const sockfs = anonFilesystem('sockfs', SOCKFS_MAGIC);

/** What an ioctl a socket's family answers gets (interface requests need the stack). */
export type SocketIoctl = (socket: Socket, request: number, arg: bigint, memory: UserMemory) => number;

export class SocketInode implements Inode {
  readonly fs = sockfs;
  readonly ino = allocateIno();
  private readonly attrs: Stat;

  constructor(
    readonly socket: Socket,
    owner: Credentials,
    /** Whose credentials a plain write(2) sends with when no task is known (splice). */
    private readonly opener: SocketCaller,
    private readonly familyIoctl: SocketIoctl | undefined,
  ) {
    socket.inodeNumber = this.ino;
    const t = now();
    // Linux's sock_alloc: mode S_IFSOCK | 0777, owned by the creator's fs ids.
    this.attrs = { dev: sockfs.dev, ino: this.ino, mode: S.IFSOCK | 0o777, nlink: 1, uid: owner.uid, gid: owner.gid, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
  }

  stat(): Stat {
    return { ...this.attrs };
  }

  open(): FileImpl {
    const socket = this.socket;
    return {
      seekable: false,
      read: (buf) => {
        const message = socket.receive({ length: buf.length, flags: 0 });
        // read(2) has nowhere to put passed files: they are closed, as Linux does.
        message.rights?.discard();
        buf.set(message.data);
        return message.data.length;
      },
      write: (buf) => socket.send({ data: buf, flags: 0 }, this.opener),
      readiness: (mask) => socket.readiness(mask),
      subscribe: (mask, callback) => socket.subscribe(mask, callback),
      ioctl: (request, arg, memory) => this.ioctl(request, arg, memory),
      release: () => socket.release(),
    };
  }

  private ioctl(request: number, arg: bigint, memory: UserMemory): number {
    switch (request) {
      case IOCTL.FIONREAD:
        writeInt(memory, arg, this.socket.inQueue);
        return 0;
      case SIOC.OUTQ:
        writeInt(memory, arg, this.socket.outQueue);
        return 0;
      default:
        if (this.familyIoctl) return this.familyIoctl(this.socket, request, arg, memory);
        return fail(E.ENOTTY);
    }
  }
}

function writeInt(memory: UserMemory, addr: bigint, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  memory.write(addr, b);
}

/** A file description for socket: O_RDWR, non-blocking when asked (SOCK_NONBLOCK). */
export function openSocketFile(vfs: Vfs, ctx: FsContext, socket: Socket, nonBlocking: boolean, opener: SocketCaller, familyIoctl?: SocketIoctl): FileDescription {
  const inode = new SocketInode(socket, ctx.creds, opener, familyIoctl);
  return vfs.openAnonymous(inode, `socket:[${inode.ino}]`, O.RDWR | (nonBlocking ? O.NONBLOCK : 0), ctx);
}

/** The socket behind a file description, or undefined for any other file. */
export function socketOf(file: FileDescription): Socket | undefined {
  return file.inode instanceof SocketInode ? file.inode.socket : undefined;
}

/** What socket calls on host stdio that is a host socket see, one per description. */
const hostStdioSockets = new WeakMap<FileDescription, Socket>();

/**
 * The socket behind a file description for the socket syscalls: a sandbox socket, or
 * tssc's own stdio when it is a host socket (host-stdio-socket.ts); ENOTSOCK otherwise.
 */
export function requireSocket(file: FileDescription): Socket {
  const socket = socketOf(file);
  if (socket) return socket;
  if (!(file.inode instanceof HostFileInode) || !file.inode.isSocket) fail(E.ENOTSOCK);
  let stdio = hostStdioSockets.get(file);
  if (!stdio) hostStdioSockets.set(file, (stdio = new HostStdioSocket(file)));
  return stdio;
}
