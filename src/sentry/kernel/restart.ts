// What becomes of a syscall whose wait a signal ended (Linux's handling of the
// -ERESTART* codes in its signal delivery): restarted after the handler, or EINTR.

import { E, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../../abi/errno.js';
import { SA, type SignalActions } from './signals.js';

/** 'restart': make the same call again once the signal is handled; else the result to give. */
export function interruptedOutcome(errno: number, sig: number, actions: SignalActions): 'restart' | number {
  const handled = actions.effect(sig) === 'handler';
  switch (errno) {
    case ERESTARTNOINTR:
      return 'restart';
    case ERESTARTSYS:
      return !handled || (actions.get(sig).flags & SA.RESTART) !== 0 ? 'restart' : -E.EINTR;
    case ERESTARTNOHAND:
      return handled ? -E.EINTR : 'restart';
    case ERESTART_RESTARTBLOCK:
      // Restarting needs the call's own restart block (nanosleep's remaining time): the
      // sentry's sleeps answer EINTR themselves, so this only reaches here as EINTR.
      return -E.EINTR;
    default:
      return -errno;
  }
}

export function isRestartCode(errno: number): boolean {
  return errno === ERESTARTSYS || errno === ERESTARTNOINTR || errno === ERESTARTNOHAND || errno === ERESTART_RESTARTBLOCK;
}
