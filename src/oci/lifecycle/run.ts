// `run`: a container from a bundle, in the foreground. The container is recorded in the
// state dir while it runs (pid = this sentry process, as runsc records its sandbox), the
// signals a terminal or `tssc kill` send to tssc are forwarded to the container's init
// (runc's signal proxy; with process.terminal, the keys typed go to the terminal's
// foreground process group instead), and the record goes when the container has exited.

import { SIG } from '../../abi/linux-signal.js';
import { armWatchdog } from '../../sentry/watchdog.js';
import { isSysError } from '../../abi/errno.js';
import { formatSyscall } from '../../syscalls/linux/strace.js';
import { linuxX86_64Table } from '../../syscalls/linux/table.js';
import { loadBundle } from '../bundle.js';
import type { ContainerStore } from '../state/store.js';
import { exitCodeOf } from './exit-code.js';
import { TsscError } from '../errors.js';
import { controllingTerminalOf, createSandbox, type AnySandbox } from './linux-sandbox.js';

/** The signals runc's signal proxy forwards to a foreground container (SIGTSTP: with a terminal). */
const NUMBERS = {
  SIGINT: SIG.INT, SIGTERM: SIG.TERM, SIGHUP: SIG.HUP, SIGQUIT: SIG.QUIT, SIGUSR1: SIG.USR1, SIGUSR2: SIG.USR2, SIGWINCH: SIG.WINCH, SIGTSTP: SIG.TSTP,
} as const satisfies Partial<Record<NodeJS.Signals, number>>;
type ForwardedSignal = keyof typeof NUMBERS;

export interface RunRequest {
  id: string;
  bundleDir: string;
  store: ContainerStore;
  /** Print each trapped syscall (runsc --strace) to this sink. */
  strace?: (line: string) => void;
  overlay?: 'memory' | 'none';
  /** The runtime log (--log): internal errors of the sentry go there too. */
  log?: (message: string) => void;
}

/** The forwarded signals whose default action ends a process: a stuck sentry dies of them (watchdog.ts). */
const ENDING: ForwardedSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** The signals a terminal raises for the keys its user types (^C, ^\\, ^Z). */
const TERMINAL_GENERATED = new Set<ForwardedSignal>(['SIGINT', 'SIGQUIT', 'SIGTSTP']);

/**
 * Sends sig where it belongs: a signal the terminal raised goes to the foreground process
 * group of the sandbox's controlling terminal (as the tty driver would send it, so a
 * shell's init without a handler is spared); anything else to init.
 */
function forward(sandbox: AnySandbox, name: ForwardedSignal, sig: number): void {
  const terminal = controllingTerminalOf(sandbox);
  if (TERMINAL_GENERATED.has(name) && terminal?.signalForeground && terminal.foreground !== undefined) {
    terminal.signalForeground(sig);
    return;
  }
  const init = sandbox.initGroup;
  if (init) sandbox.signalProcess(init, sig, true);
}

function forwardSignals(sandbox: AnySandbox): () => void {
  // ^Z would stop tssc itself; with a controlling terminal it is the workload's.
  const terminal = controllingTerminalOf(sandbox) !== undefined;
  const names = (Object.keys(NUMBERS) as ForwardedSignal[]).filter((name) => terminal || name !== 'SIGTSTP');
  const handlers = names.map((name) => {
    const handler = (): void => forward(sandbox, name, NUMBERS[name]);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return () => handlers.forEach((off) => off());
}

/** Runs the container to its end; resolves with tssc's exit code (init's, or 128 + signal). */
export async function runContainer(request: RunRequest): Promise<number> {
  const bundle = loadBundle(request.bundleDir);
  const strace = request.strace;
  const sandbox = createSandbox(bundle, {
    stdioFds: [0, 1, 2],
    onTrap: (pid, reason) => process.stderr.write(`tssc: pid ${pid}: ${reason}\n`),
    ...(request.log ? { onInternalError: request.log } : {}),
    ...(request.overlay ? { overlay: request.overlay } : {}),
    ...(strace
      ? {
          observer: {
            syscall: (task, nr, args, result) => strace(formatSyscall(linuxX86_64Table, task, nr, args, result)),
            exit: (task, status) => strace(`[${String(task.pid).padStart(4)}:${String(task.tid).padStart(4)}] exited: status ${exitCodeOf(status)}`),
          },
        }
      : {}),
  });
  await request.store.create({
    id: request.id,
    bundle: bundle.dir,
    rootfs: bundle.rootfs,
    ...(bundle.spec.annotations ? { annotations: bundle.spec.annotations } : {}),
    status: 'running',
    pid: process.pid,
  });
  const stopForwarding = forwardSignals(sandbox);
  const stopWatchdog = armWatchdog(ENDING);
  try {
    return exitCodeOf(await sandbox.run());
  } catch (error) {
    // The init program itself could not start (ENOENT, EACCES, ENOEXEC ...).
    if (isSysError(error)) throw new TsscError(`${bundle.spec.process.args[0]}: ${error.message}`);
    throw error;
  } finally {
    stopWatchdog();
    stopForwarding();
    // The recorded pid is this process: mark the container stopped rather than have
    // remove() kill it.
    await request.store.update(request.id, { status: 'stopped' });
    await request.store.remove(request.id);
  }
}
