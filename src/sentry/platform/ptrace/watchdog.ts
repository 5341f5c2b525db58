// A stuck sentry still dies. Only the event loop forwards the signals that end tssc to the
// sandbox; stuck (a native call that does not return, a loop that does not yield), it would
// take none, or take one and stick before it acted, and the sandbox would run on. The addon's
// watchdog (native/ptrace/src/watchdog.c) notes each such signal; the loop pets it every
// PET_MS while it runs; once one of them came, WATCHDOG_GRACE_MS without a pet ends the
// process with 128 + the signal's number (what tssc exits with when that signal ends the
// container's init), and every task with it (PTRACE_O_EXITKILL).

import { constants } from 'node:os';
import { loadTracer, type Tracer } from '../../../native/ptrace.js';

export const WATCHDOG_GRACE_MS = 5000;
const PET_MS = 500;

/** Watches names (each with a process.on listener already) until the returned function is called. */
export function armWatchdog(names: readonly NodeJS.Signals[]): () => void {
  let tracer: Tracer;
  try {
    tracer = loadTracer();
  } catch {
    // No native helper (a wasm-only install): no watchdog either.
    return () => {};
  }
  const armed = tracer.armWatchdog(names.map((name) => constants.signals[name]), WATCHDOG_GRACE_MS);
  if (armed < 0) process.stderr.write(`tssc: the watchdog cannot watch signals (errno ${-armed}): a stuck sentry would not die of them\n`);
  // Unref'd: the pets must not keep the process alive.
  const pets = setInterval(() => tracer.petWatchdog(), PET_MS).unref();
  return () => {
    clearInterval(pets);
    tracer.disarmWatchdog();
  };
}
