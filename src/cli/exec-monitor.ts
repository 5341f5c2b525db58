// `tssc exec-monitor` (internal, started by `exec --detach --pid-file`): the process the
// pid-file names, as the container's sentry is for its init. It follows the exec on its
// fd 4 (the open exec connection), forwards the signals sent to it to the exec'd process,
// and exits with its status, so a subreaper that adopts it (containerd's shim, conmon)
// sees the exec end.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { reportReadiness } from '../oci/lifecycle/readiness.js';
import { followToEnd } from './exec.js';

/** The exec connection's fd in the monitor (fd 3 is its readiness report). */
const EXEC_FD = 4;

export function registerExecMonitor(program: Command, context: CliContext): void {
  program.command('exec-monitor', { hidden: true }).action(async () => {
    const ended = followToEnd(EXEC_FD);
    // Its signal handlers are in place: the pid-file may name it.
    reportReadiness({ ok: true });
    const code = await ended;
    context.log().debug(`exec'd process exited: ${code}`);
    process.exit(code);
  });
}
