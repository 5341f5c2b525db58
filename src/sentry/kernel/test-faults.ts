// Faults the end-to-end tests inject into a running sentry through TSSC_TEST_FAULT, to show
// that an internal error kills only the process that hit it while the sandbox goes on, and
// that a stuck sentry still dies when told to. Unset (always, outside those tests), nothing
// here does anything. The forms:
// - handler:NAME  NAME's handler throws an internal error;
// - async:NAME    NAME's handler waits, then its answer fails with one;
// - spin:NAME     NAME's handler never returns, looping in JavaScript;
// - block:NAME    NAME's handler never returns, its thread asleep in native code;
// - signal:N      the signal-delivery-stop of signal N fails with one, outside any handler;
// - keep:core-limit  workload processes keep the spec's RLIMIT_CORE on the host, the second
//                    line against host core dumps gone (core-dump.ts), to try the first alone.

import type { SyscallHandler } from './syscall.js';

const FAULT = /^(handler|async|spin|block|signal|keep):([\w-]+)$/.exec(process.env['TSSC_TEST_FAULT'] ?? '');
const kind = FAULT?.[1];
const target = FAULT?.[2];

function injected(where: string): Error {
  return new Error(`fault injected by TSSC_TEST_FAULT in ${where}`);
}

const FAULTY: Record<string, (name: string) => SyscallHandler> = {
  handler: (name) => () => {
    throw injected(name);
  },
  async: (name) => () => new Promise((_, reject) => setTimeout(() => reject(injected(name)), 10)),
  spin: () => () => {
    for (;;);
  },
  block: () => () => {
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
};

/** The handler that replaces syscall name's when the tests asked for a fault there. */
export function faultyHandler(name: string | undefined): SyscallHandler | undefined {
  const make = kind === undefined ? undefined : FAULTY[kind];
  return make && name !== undefined && name === target ? make(name) : undefined;
}

/** Throws when the tests asked for a fault at the signal-delivery-stop of sig. */
export function faultAtSignalStop(sig: number): void {
  if (kind === 'signal' && Number(target) === sig) throw injected(`the delivery of signal ${sig}`);
}

/** Whether the tests took away the host RLIMIT_CORE of 1 (keep:core-limit). */
export function keepsSpecCoreLimit(): boolean {
  return kind === 'keep' && target === 'core-limit';
}
