// The control channel between tssc commands and a container's sentry: one request per
// connection on the unix socket ROOT/ID.tssc-sock, one JSON line each way. An exec's
// request carries the client's stdin, stdout and stderr and the fds it preserves
// (SCM_RIGHTS) and its connection stays open: the answer (ExecStarted) is followed by the
// process's end (ExecExited), and the client may send signals for the process
// (ExecSignal) meanwhile.
import type { LinuxResources, Process } from '../spec.js';

/** A process for `exec`, as runc's --process file or its command line describe it. */
export interface ExecRequest {
  op: 'exec';
  process: Process & { args: string[] };
  /** Where the pty master of a process.terminal goes (SCM_RIGHTS), as with create. */
  consoleSocket?: string;
  /** Keep running after the call returns: the pid-file process reports its exit. */
  detach: boolean;
  /** How many fds after stdio came with the request: the process's fds 3, 4, ... (--preserve-fds). */
  preserveFds?: number;
}

/** The answer to an exec: the process runs, with this pid inside the sandbox. */
export interface ExecStarted {
  pid: number;
}

/** The sentry's last line of an exec: the process ended with this raw wait status. */
export interface ExecExited {
  exit: number;
}

/**
 * A client's line during an exec: deliver this signal to the process; with terminal, it
 * is one the client's own terminal (the process's too) raised: it goes to that terminal's
 * foreground process group, as the tty driver sends it.
 */
export interface ExecSignal {
  signal: number;
  terminal?: boolean;
}

export type ControlRequest =
  | { op: 'start' }
  | { op: 'kill'; signal: number; all: boolean }
  | { op: 'ps' }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'state' }
  | { op: 'stats' }
  | { op: 'update'; resources: LinuxResources }
  | ExecRequest;

export type ControlOp = ControlRequest['op'];

export type ControlReply = { ok: true; value?: unknown } | { ok: false; error: string };

/** What the sentry knows of its container right now (`state` asks before trusting the record). */
export interface SentryState {
  status: 'created' | 'running' | 'paused' | 'stopped';
}

/** One sample of `events` (runc's stats event data, the fields tssc can tell). */
export interface ContainerStats {
  cpu: { usage: { total: number; kernel: number; user: number } };
  memory: { usage: { usage: number } };
  pids: { current: number; limit?: number };
}

export const CONTROL_OPS: readonly ControlOp[] = ['start', 'kill', 'ps', 'pause', 'resume', 'state', 'stats', 'update', 'exec'];

/** A request line from the wire, or undefined when it is not one. */
export function parseRequest(line: string): ControlRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const op = (value as { op?: unknown }).op;
  return typeof op === 'string' && (CONTROL_OPS as readonly string[]).includes(op) ? (value as ControlRequest) : undefined;
}
