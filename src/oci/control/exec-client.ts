// A tssc command's end of an exec: the request goes to the container's sentry with the
// caller's stdin, stdout and stderr attached (SCM_RIGHTS, by the console addon: Node's
// sockets cannot send fds), and the connection stays open until the process ends. The
// first answer is read byte by byte from the blocking socket, so nothing after it is
// taken: whoever follows the process next (this command, or the pid-file process of a
// detached exec) reads the rest.
import { closeSync, readSync } from 'node:fs';
import net from 'node:net';
import { E, SysError } from '../../abi/errno.js';
import { loadConsole } from '../../native/console.js';
import { TsscError } from '../errors.js';
import { SentryUnreachableError } from './client.js';
import type { ControlReply, ExecExited, ExecRequest, ExecStarted, ExecSignal } from './protocol.js';
import { withSocketPathSync } from './socket-path.js';

/** The longest first answer read (an error message included). */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface StartedExec {
  /** The process's pid inside the sandbox. */
  pid: number;
  /** The open exec connection (close-on-exec): its next line is the process's end. */
  socket: number;
}

/** Sends request with stdio attached; returns once the sentry started the process, or throws its refusal. */
export function startExec(socketPath: string, request: ExecRequest, stdio: readonly number[], timeoutMs: number): StartedExec {
  const payload = Buffer.from(JSON.stringify(request) + '\n');
  const socket = withSocketPathSync(socketPath, (usable) => loadConsole().sendFds(usable, payload, stdio, timeoutMs));
  if (socket < 0) {
    const gone = ([E.ENOENT, E.ECONNREFUSED, E.ECONNRESET, E.EPIPE] as number[]).includes(-socket);
    if (gone) throw new SentryUnreachableError(`the sentry is gone (${new SysError(-socket).message})`, false);
    throw new TsscError(`cannot send the exec request to the sentry: ${new SysError(-socket).message}`);
  }
  let reply: ControlReply;
  try {
    reply = parseAnswer(readLine(socket, timeoutMs));
  } catch (error) {
    closeSync(socket);
    throw error;
  }
  if (!reply.ok) {
    closeSync(socket);
    throw new TsscError(reply.error);
  }
  return { pid: (reply.value as ExecStarted).pid, socket };
}

/** One line from the blocking socket, without reading past it. */
function readLine(socket: number, timeoutMs: number): string {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(socket, one, 0, 1, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') throw new SentryUnreachableError(`the sentry did not answer "exec" within ${timeoutMs / 1000}s`, true);
      if (code === 'ECONNRESET') throw new SentryUnreachableError('the sentry is gone (ECONNRESET)', false);
      throw error;
    }
    if (n === 0) throw new SentryUnreachableError('the sentry closed the control channel without an answer', false);
    if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    if (bytes.length >= MAX_ANSWER_BYTES) throw new SentryUnreachableError('the sentry sent a malformed answer', false);
    bytes.push(one[0]!);
  }
}

function parseAnswer(line: string): ControlReply {
  try {
    return JSON.parse(line) as ControlReply;
  } catch {
    throw new SentryUnreachableError('the sentry sent a malformed answer', false);
  }
}

export interface FollowedExec {
  /** The process's raw wait status; a sentry that went away killed it (SIGKILL). */
  exited: Promise<number>;
  /** Delivers sig to the process inside the sandbox (with terminal: as its terminal raised it). */
  signal(sig: number, terminal?: boolean): void;
}

/** SIGKILL's raw wait status: a sentry's death kills every task (PTRACE_O_EXITKILL). */
const KILLED = 9;

/** Follows the exec on socket (from startExec) until the process ends; the socket is closed then. */
export function followExec(socket: number): FollowedExec {
  const connection = new net.Socket({ fd: socket, readable: true, writable: true });
  let received = '';
  const exited = new Promise<number>((resolve) => {
    connection.setEncoding('utf8');
    connection.on('data', (chunk: string) => (received += chunk));
    connection.on('error', () => connection.destroy());
    connection.on('close', () => {
      try {
        const message = JSON.parse(received.split('\n')[0] ?? '') as Partial<ExecExited>;
        resolve(typeof message.exit === 'number' ? message.exit : KILLED);
      } catch {
        resolve(KILLED);
      }
    });
  });
  return {
    exited,
    signal(sig, terminal = false) {
      const message: ExecSignal = { signal: sig, ...(terminal && { terminal }) };
      if (!connection.destroyed) connection.write(JSON.stringify(message) + '\n');
    },
  };
}
