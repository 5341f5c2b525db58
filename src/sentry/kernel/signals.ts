// The per-process signal dispositions the sentry must know: the host kernel delivers
// signals (rt_sigaction runs on the host), the sentry mirrors the dispositions to decide
// whether a signal ends a blocking wait and whether the call restarts.

import { SIG } from '../../abi/linux-signal.js';

export const NSIG = 64;

export const SA = { NOCLDSTOP: 1, NOCLDWAIT: 2, SIGINFO: 4, ONSTACK: 0x08000000, RESTART: 0x10000000, NODEFER: 0x40000000, RESETHAND: 0x80000000 } as const;

export const SIG_DFL = 0n;
export const SIG_IGN = 1n;

/** Signals whose default action is to do nothing (they never interrupt a wait). */
const DEFAULT_IGNORED = new Set<number>([SIG.CHLD, SIG.URG, SIG.WINCH, SIG.CONT]);
/** Signals whose default action is to stop the process. */
const DEFAULT_STOP = new Set<number>([SIG.STOP, SIG.TSTP, SIG.TTIN, SIG.TTOU]);

export function isValidSignal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= 1 && sig <= NSIG;
}

export function signalName(sig: number): string {
  const name = Object.entries(SIG).find(([, n]) => n === sig)?.[0];
  return name ? `SIG${name}` : sig >= 34 && sig <= 64 ? `SIGRT_${sig - 32}` : `${sig}`;
}

export interface SignalAction {
  readonly handler: bigint;
  readonly flags: number;
}

/** What a delivered signal will do in the workload. */
export type SignalEffect = 'ignore' | 'handler' | 'terminate' | 'stop';

/** A process's dispositions (Linux's sighand_struct), shared by CLONE_SIGHAND threads. */
export class SignalActions {
  private readonly actions = new Map<number, SignalAction>();

  get(sig: number): SignalAction {
    return this.actions.get(sig) ?? { handler: SIG_DFL, flags: 0 };
  }

  set(sig: number, action: SignalAction): void {
    if (action.handler === SIG_DFL && action.flags === 0) this.actions.delete(sig);
    else this.actions.set(sig, action);
  }

  effect(sig: number): SignalEffect {
    const { handler } = this.get(sig);
    if (sig === SIG.KILL) return 'terminate';
    if (sig === SIG.STOP) return 'stop';
    if (handler === SIG_IGN) return 'ignore';
    if (handler !== SIG_DFL) return 'handler';
    if (DEFAULT_IGNORED.has(sig)) return 'ignore';
    return DEFAULT_STOP.has(sig) ? 'stop' : 'terminate';
  }

  copy(): SignalActions {
    const out = new SignalActions();
    for (const [sig, action] of this.actions) out.actions.set(sig, action);
    return out;
  }

  /**
   * execve and CLONE_CLEAR_SIGHAND (flush_signal_handlers): caught signals go back to
   * default; ignored ones stay ignored; no action keeps its flags.
   */
  resetHandled(): void {
    for (const [sig, action] of [...this.actions]) {
      if (action.handler !== SIG_IGN) this.actions.delete(sig);
      else this.actions.set(sig, { handler: SIG_IGN, flags: 0 });
    }
  }
}
