// The sentry's end of the control channel: a unix socket only its owner may connect to
// (mode 0600, made under a umask so it is never reachable by others, even for a moment).
import { rmSync } from 'node:fs';
import net from 'node:net';
import { isSysError } from '../../abi/errno.js';
import { parseRequest, type ControlReply, type ControlRequest } from './protocol.js';
import { withSocketPath } from './socket-path.js';

/** A request's answer (any JSON value), or a thrown Error whose message goes back to the caller. */
export type ControlHandler = (request: ControlRequest) => unknown;

/** The longest request line accepted (an exec's process with a large environment fits). */
const MAX_REQUEST_BYTES = 1 << 20;

/** How long a closing server waits for the answers it still has to send. */
const DRAIN_MS = 2_000;

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
  const server = net.createServer((connection) => {
    open.add(connection);
    connection.on('close', () => open.delete(connection));
    serve(connection, handler);
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

function serve(connection: net.Socket, handler: ControlHandler): void {
  let buffered = '';
  connection.setEncoding('utf8');
  connection.on('error', () => connection.destroy());
  connection.on('data', (chunk: string) => {
    buffered += chunk;
    const end = buffered.indexOf('\n');
    if (end < 0) {
      if (buffered.length > MAX_REQUEST_BYTES) reply(connection, { ok: false, error: 'control request too long' });
      return;
    }
    connection.removeAllListeners('data');
    const request = parseRequest(buffered.slice(0, end));
    if (!request) {
      reply(connection, { ok: false, error: 'malformed control request' });
      return;
    }
    void answer(handler, request).then((message) => reply(connection, message));
  });
}

async function answer(handler: ControlHandler, request: ControlRequest): Promise<ControlReply> {
  try {
    const value = await handler(request);
    return value === undefined ? { ok: true } : { ok: true, value };
  } catch (error) {
    return { ok: false, error: error instanceof Error || isSysError(error) ? error.message : String(error) };
  }
}

function reply(connection: net.Socket, message: ControlReply): void {
  if (!connection.destroyed) connection.end(JSON.stringify(message) + '\n');
}
