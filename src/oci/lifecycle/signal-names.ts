// Signals as runc's `kill` takes them: a name with or without SIG (any case) or a number.
import { constants } from 'node:os';
import { TsscError } from '../errors.js';

const LINUX_MAX_SIGNAL = 64;

/** The signal number of text ("TERM", "SIGKILL", "9", "SIGRTMIN+3"). */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const sig = Number(text);
    if (sig >= 1 && sig <= LINUX_MAX_SIGNAL) return sig;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const byName = (constants.signals as Record<string, number>)[name];
    if (byName !== undefined) return byName;
    const realtime = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
    if (realtime) {
      const sig = (realtime[1] === 'IN' ? 34 : 64) + Number(realtime[2] ?? 0);
      if (sig >= 34 && sig <= LINUX_MAX_SIGNAL) return sig;
    }
  }
  throw new TsscError(`invalid signal: ${text}`);
}
