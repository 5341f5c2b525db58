// A tssc command's end of the control channel: one request to a container's sentry.
import net from 'node:net';
import { TsscError } from '../errors.js';
import type { ControlReply, ControlRequest } from './protocol.js';
import { withSocketPath } from './socket-path.js';

/** The sentry is gone (no socket, nobody listening) or did not answer in time. */
export class SentryUnreachableError extends TsscError {
  constructor(
    message: string,
    /** True when the sentry is there but did not answer (it may be stuck). */
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'SentryUnreachableError';
  }
}

/** The sentry's answer to request; its refusal is thrown as a TsscError with its words. */
export async function callSentry(socketPath: string, request: ControlRequest, timeoutMs: number): Promise<unknown> {
  const reply = await withSocketPath(socketPath, (usable) => exchange(usable, request, timeoutMs));
  if (!reply.ok) throw new TsscError(reply.error);
  return reply.value;
}

function exchange(socketPath: string, request: ControlRequest, timeoutMs: number): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const connection = net.connect(socketPath);
    let received = '';
    const timer = setTimeout(() => {
      connection.destroy();
      reject(new SentryUnreachableError(`the sentry did not answer "${request.op}" within ${timeoutMs / 1000}s`, true));
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException).code;
      const gone = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
      reject(gone ? new SentryUnreachableError(`the sentry is gone (${code})`, false) : error);
    };
    connection.setEncoding('utf8');
    connection.on('error', fail);
    connection.on('connect', () => connection.write(JSON.stringify(request) + '\n'));
    connection.on('data', (chunk: string) => (received += chunk));
    connection.on('end', () => {
      clearTimeout(timer);
      const line = received.split('\n')[0] ?? '';
      try {
        resolve(JSON.parse(line) as ControlReply);
      } catch {
        reject(new SentryUnreachableError(line === '' ? 'the sentry closed the control channel without an answer' : 'the sentry sent a malformed answer', false));
      }
    });
  });
}
