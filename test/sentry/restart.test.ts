// Restart or EINTR after a signal ends a blocking call, as Linux's signal delivery decides.
import { describe, expect, it } from 'vitest';
import { E, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../../src/abi/errno.js';
import { interruptedOutcome } from '../../src/sentry/kernel/restart.js';
import { SIG } from '../../src/abi/linux-signal.js';
import { SA, SignalActions } from '../../src/sentry/kernel/signals.js';

function actions(flags: number | undefined): SignalActions {
  const a = new SignalActions();
  if (flags !== undefined) a.set(SIG.USR1, { handler: 0x401000n, flags });
  return a;
}

describe('interrupted syscalls', () => {
  it('restart after a SA_RESTART handler and fail with EINTR after any other', () => {
    expect(interruptedOutcome(ERESTARTSYS, SIG.USR1, actions(SA.RESTART))).toBe('restart');
    expect(interruptedOutcome(ERESTARTSYS, SIG.USR1, actions(0))).toBe(-E.EINTR);
  });

  it('restart when no handler runs (the signal stopped or was ignored)', () => {
    expect(interruptedOutcome(ERESTARTSYS, SIG.USR1, actions(undefined))).toBe('restart');
    expect(interruptedOutcome(ERESTARTNOHAND, SIG.USR1, actions(undefined))).toBe('restart');
  });

  it('never restart poll-like calls after a handler, always restart fork-like ones', () => {
    expect(interruptedOutcome(ERESTARTNOHAND, SIG.USR1, actions(SA.RESTART))).toBe(-E.EINTR);
    expect(interruptedOutcome(ERESTARTNOINTR, SIG.USR1, actions(0))).toBe('restart');
    expect(interruptedOutcome(ERESTART_RESTARTBLOCK, SIG.USR1, actions(SA.RESTART))).toBe(-E.EINTR);
  });
});
