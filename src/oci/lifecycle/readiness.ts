// A detached helper process tells the tssc that started it that it is ready (or why it
// cannot be) on its fd 3, one JSON line, before that tssc writes a pid-file naming it and
// returns: the container's sentry once its init is held (create), the pid-file process of
// an exec once it passes signals on (exec --detach).
import { closeSync, writeSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { TsscError } from '../errors.js';

/** What a helper reports on READY_FD. */
export type Readiness = { ok: true } | { ok: false; error: string };

/** The fd of the helper on which it reports readiness. */
export const READY_FD = 3;

/** How long a helper may take (a sentry loading a large program, a busy machine). */
const READY_TIMEOUT_MS = 60_000;

/** Who reports, for the errors: "the sentry" that must "hold the container's init". */
export interface ReadinessRole {
  name: string;
  goal: string;
}

/** Waits for child's report on READY_FD; a child that dies first failed. */
export function awaitReadiness(child: ChildProcess, role: ReadinessRole): Promise<void> {
  return new Promise((resolve, reject) => {
    const channel = child.stdio[READY_FD] as Readable;
    let text = '';
    let ended: string | undefined;
    let closed = false;
    const timer = setTimeout(() => settle(new TsscError(`${role.name} did not ${role.goal} within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      channel.removeAllListeners('data');
      channel.removeAllListeners('close');
      child.removeAllListeners('exit');
      if (error) reject(error);
      else resolve();
    };
    // The report may still be in the pipe when the exit is seen: wait for both.
    const maybeDead = (): void => {
      if (ended !== undefined && closed) settle(new TsscError(`${role.name} exited before it could ${role.goal} (${ended})`));
    };
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      const report = parseReadiness(text.slice(0, end), role);
      settle(report.ok ? undefined : new TsscError(report.error));
    });
    channel.on('error', () => undefined);
    channel.on('close', () => {
      closed = true;
      maybeDead();
    });
    child.on('exit', (code, signal) => {
      ended = signal ?? `exit status ${code}`;
      maybeDead();
    });
    child.on('error', (error) => settle(new TsscError(`cannot start ${role.name}: ${error.message}`)));
  });
}

function parseReadiness(line: string, role: ReadinessRole): Readiness {
  try {
    const report = JSON.parse(line) as Readiness;
    if (report.ok === true || (report.ok === false && typeof report.error === 'string')) return report;
  } catch {
    // Reported below.
  }
  return { ok: false, error: `${role.name} sent a malformed report: ${line.slice(0, 200)}` };
}

/** The helper's side: its report, and the channel closed. */
export function reportReadiness(readiness: Readiness): void {
  try {
    writeSync(READY_FD, JSON.stringify(readiness) + '\n');
    closeSync(READY_FD);
  } catch {
    // Started by hand, without the report channel: nobody is waiting.
  }
}
