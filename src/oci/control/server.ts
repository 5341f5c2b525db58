// The sentry's end of the control channel: a unix socket only its owner may connect to
// (mode 0600, made under a umask so it is never reachable by others, even for a moment).
// A request is read by the console addon, not by Node, so that the fds it carries (an
// exec's stdio, SCM_RIGHTS) arrive: libuv would read past them and the kernel close them.
import { closeSync, rmSync } from 'node:fs';
import net from 'node:net';
import { E, isSysError, SysError } from '../../abi/errno.js';
import { loadConsole } from '../../native/console.js';
import { parseRequest, type ControlReply, type ControlRequest } from './protocol.js';
import { withSocketPath } from './socket-path.js';

/** The fds that came with a request: the handler takes them, or they are closed once it answered. */
export class ReceivedFds {
  private taken = false;

  constructor(private readonly fds: readonly number[]) {}

  get count(): number {
    return this.fds.length;
  }

  /** The fds, now the caller's to close. */
  take(): number[] {
    this.taken = true;
    return [...this.fds];
  }

  closeUntaken(): void {
    if (this.taken) return;
    this.taken = true;
    for (const fd of this.fds) closeSync(fd);
  }
}

/**
 * An answer whose connection stays open after its first line (an exec): each JSON line
 * the client sends meanwhile goes to onLine, and the connection ends with the line last
 * resolves with.
 */
export class FollowedAnswer {
  constructor(
    readonly value: unknown,
    readonly last: Promise<unknown>,
    readonly onLine: (message: unknown) => void,
  ) {}
}

/**
 * A request's answer (any JSON value, or a FollowedAnswer), or a thrown Error whose message
 * goes back to the caller.
 */
export type ControlHandler = (request: ControlRequest, fds: ReceivedFds) => unknown;

/** The longest request line accepted (an exec's process with a large environment fits). */
const MAX_REQUEST_BYTES = 1 << 20;

/** How long a closing server waits for the answers it still has to send. */
const DRAIN_MS = 2_000;

/** What one read of a request takes at most. */
const RECEIVE_CHUNK_BYTES = 64 * 1024;

/** How long a client may take to send its request line once connected. */
const REQUEST_TIMEOUT_MS = 5_000;

/** Waits between reads of a request that has not fully arrived (the client writes it at once). */
const RECEIVE_RETRY_MS = [0, 1, 2, 5, 10, 20, 50];

export interface ControlServer {
  /**
   * Stops listening, removes the socket, and resolves once the answers already being
   * sent are out (a `kill 9` or `start` whose container ended meanwhile still gets its
   * answer before the sentry exits).
   */
  close(): Promise<void>;
}

export async function listenControl(socketPath: string, handler: ControlHandler): Promise<ControlServer> {
  const open = new Set<net.Socket>();
  // Paused: nothing of a connection is read by libuv (see receiveRequest).
  const server = net.createServer({ pauseOnConnect: true }, (connection) => {
    open.add(connection);
    connection.on('close', () => open.delete(connection));
    void serve(connection, handler);
  });
  // A socket left by a sentry that crashed would make listen fail with EADDRINUSE.
  rmSync(socketPath, { force: true });
  const umask = process.umask(0o177);
  try {
    await withSocketPath(
      socketPath,
      (usable) =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(usable, () => {
            server.off('error', reject);
            resolve();
          });
        }),
    );
  } finally {
    process.umask(umask);
  }
  // The sandbox keeps the process alive while it runs; the socket must not outlive it.
  server.unref();
  return {
    async close() {
      server.close();
      rmSync(socketPath, { force: true });
      const closed = [...open].map((connection) => new Promise((resolve) => connection.once('close', resolve)));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)));
      await Promise.race([Promise.all(closed), deadline]);
      clearTimeout(timer);
    },
  };
}

interface ReceivedRequest {
  line: string;
  /** What the client sent after the request line. */
  rest: Buffer;
  fds: number[];
}

/** The fd of a connection's socket (the addon reads it), or undefined. */
function socketFd(connection: net.Socket): number | undefined {
  const fd = (connection as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The request line and the fds sent with it, read from the paused connection without
 * blocking the event loop (a client that sends nothing is given up after REQUEST_TIMEOUT_MS).
 */
async function receiveRequest(connection: net.Socket): Promise<ReceivedRequest> {
  const addon = loadConsole();
  const chunks: Buffer[] = [];
  const fds: number[] = [];
  const deadline = Date.now() + REQUEST_TIMEOUT_MS;
  try {
    for (let attempt = 0; ; ) {
      const fd = socketFd(connection);
      if (fd === undefined || connection.destroyed) throw new Error('the control connection closed');
      const got = addon.receiveFds(fd, RECEIVE_CHUNK_BYTES);
      if (typeof got === 'number') {
        if (got !== -E.EAGAIN) throw new SysError(-got);
        if (Date.now() > deadline) throw new Error('control request incomplete');
        await new Promise((resolve) => setTimeout(resolve, RECEIVE_RETRY_MS[Math.min(attempt++, RECEIVE_RETRY_MS.length - 1)]));
        continue;
      }
      const [bytes, passed] = got;
      fds.push(...passed);
      if (bytes.length === 0) throw new Error('the control connection closed before a request');
      chunks.push(bytes);
      const all = Buffer.concat(chunks);
      const end = all.indexOf(0x0a);
      if (end >= 0) return { line: all.subarray(0, end).toString('utf8'), rest: all.subarray(end + 1), fds };
      if (all.length > MAX_REQUEST_BYTES) throw new Error('control request too long');
    }
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
}

async function serve(connection: net.Socket, handler: ControlHandler): Promise<void> {
  connection.on('error', () => connection.destroy());
  let received: ReceivedRequest;
  try {
    received = await receiveRequest(connection);
  } catch (error) {
    reply(connection, { ok: false, error: messageOf(error) });
    return;
  }
  const fds = new ReceivedFds(received.fds);
  const request = parseRequest(received.line);
  if (!request) {
    fds.closeUntaken();
    reply(connection, { ok: false, error: 'malformed control request' });
    return;
  }
  const answered = await answer(handler, request, fds);
  if (!(answered instanceof FollowedAnswer)) {
    reply(connection, answered);
    return;
  }
  follow(connection, answered, received.rest);
}

async function answer(handler: ControlHandler, request: ControlRequest, fds: ReceivedFds): Promise<ControlReply | FollowedAnswer> {
  try {
    const value = await handler(request, fds);
    if (value instanceof FollowedAnswer) return value;
    return value === undefined ? { ok: true } : { ok: true, value };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  } finally {
    fds.closeUntaken();
  }
}

/** A followed answer: its first line, the client's lines as they come, then its last line. */
function follow(connection: net.Socket, answered: FollowedAnswer, rest: Buffer): void {
  if (connection.destroyed) return;
  connection.write(JSON.stringify({ ok: true, value: answered.value } satisfies ControlReply) + '\n');
  let buffered = rest.toString('utf8');
  const takeLines = (): void => {
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      try {
        answered.onLine(JSON.parse(line));
      } catch {
        // A malformed line from the client is dropped; the process goes on.
      }
    }
    if (buffered.length > MAX_REQUEST_BYTES) connection.destroy();
  };
  connection.setEncoding('utf8');
  connection.on('data', (chunk: string) => {
    buffered += chunk;
    takeLines();
  });
  connection.resume();
  takeLines();
  void answered.last.then(
    (message) => reply(connection, message),
    (error: unknown) => reply(connection, { ok: false, error: messageOf(error) }),
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error || isSysError(error) ? error.message : String(error);
}

/** The last line: the connection ends once the client's end is read (it is paused until then). */
function reply(connection: net.Socket, message: unknown): void {
  if (connection.destroyed) return;
  connection.end(JSON.stringify(message) + '\n');
  connection.resume();
}
