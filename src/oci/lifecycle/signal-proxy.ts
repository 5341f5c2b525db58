// runc's signal proxy: the signals a terminal or a `kill` send to the sentry process go on
// to the container's init. With process.terminal, what the terminal's line discipline
// raises (a typed ^C, ^\\ or ^Z, a window resize) goes to the foreground process group of
// the sandbox's controlling terminal instead, as the tty driver would send it, so a
// shell's init without a handler is spared.

import { SIG } from '../../abi/linux-signal.js';
import { armWatchdog } from '../../sentry/platform/ptrace/watchdog.js';
import { controllingTerminalOf, raiseFromTerminal, type AnySandbox } from './linux-sandbox.js';

/** The signals runc's signal proxy forwards (SIGTSTP: only with a terminal). */
const NUMBERS = {
  SIGINT: SIG.INT, SIGTERM: SIG.TERM, SIGHUP: SIG.HUP, SIGQUIT: SIG.QUIT, SIGUSR1: SIG.USR1, SIGUSR2: SIG.USR2, SIGWINCH: SIG.WINCH, SIGTSTP: SIG.TSTP,
} as const satisfies Partial<Record<NodeJS.Signals, number>>;
type ForwardedSignal = keyof typeof NUMBERS;

/** The signals a terminal raises by itself: for the keys its user types, and a resize. */
const TERMINAL_GENERATED = new Set<ForwardedSignal>(['SIGINT', 'SIGQUIT', 'SIGTSTP', 'SIGWINCH']);

function forward(sandbox: AnySandbox, name: ForwardedSignal, sig: number): void {
  const terminal = controllingTerminalOf(sandbox);
  if (TERMINAL_GENERATED.has(name) && terminal && raiseFromTerminal(sandbox, terminal, sig)) return;
  const init = sandbox.initGroup;
  if (init) sandbox.signalProcess(init, sig, true);
}

/** The forwarded signals whose default action ends a process: a stuck sentry dies of them (watchdog.ts). */
const ENDING: ForwardedSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * The signals whose default action ends a process, as they reach a process that stands
 * for one inside the sandbox (`tssc exec` and its pid-file process), go to send until
 * the returned function is called. With onTerminal (an exec on tssc's own terminal),
 * the ones a terminal raises by itself (a typed ^C, ^\\ or ^Z, a resize) go there
 * instead, and ^Z no longer stops tssc.
 */
export function forwardEndingSignals(send: (sig: number) => void, onTerminal?: (sig: number) => void): () => void {
  const names = onTerminal ? [...new Set([...ENDING, ...TERMINAL_GENERATED])] : ENDING;
  const handlers = names.map((name) => {
    const handler = (): void => (onTerminal && TERMINAL_GENERATED.has(name) ? onTerminal : send)(NUMBERS[name]);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return () => handlers.forEach((off) => off());
}

/** Forwards the proxied signals, under the watchdog, until the returned function is called. */
export function forwardSignals(sandbox: AnySandbox): () => void {
  // ^Z would stop tssc itself; with a controlling terminal it is the workload's.
  const terminal = controllingTerminalOf(sandbox) !== undefined;
  const names = (Object.keys(NUMBERS) as ForwardedSignal[]).filter((name) => terminal || name !== 'SIGTSTP');
  const handlers = names.map((name) => {
    const handler = (): void => forward(sandbox, name, NUMBERS[name]);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  const stopWatchdog = armWatchdog(ENDING);
  return () => {
    stopWatchdog();
    handlers.forEach((off) => off());
  };
}
