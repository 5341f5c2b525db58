// The errno a sentry call throws, for tests that check refusals.
import { SysError } from '../../src/abi/errno.js';

/** The errno of the SysError fn throws; undefined when it returns. Other errors propagate. */
export function errnoOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return undefined;
}
