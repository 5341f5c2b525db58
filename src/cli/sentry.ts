// `tssc sentry` (internal, started by `create`): the container's detached sentry. It holds
// the init at the start gate, reports on fd 3 that it did (or why it could not), serves
// the control socket, and exits with the container's exit status once every task is gone.
import type { Command } from 'commander';
import { isSysError } from '../abi/errno.js';
import { loadBundle } from '../oci/bundle.js';
import { launchSentry } from '../oci/lifecycle/container-sentry.js';
import { sentryPreservedFds } from '../oci/lifecycle/create.js';
import { parsePreserveFds } from '../oci/lifecycle/preserved-fds.js';
import { reportReadiness } from '../oci/lifecycle/readiness.js';
import type { CliContext } from './context.js';
import { networkRequestOf } from './create.js';

export function registerSentry(program: Command, context: CliContext): void {
  program
    .command('sentry', { hidden: true })
    .requiredOption('-b, --bundle <dir>')
    .option('--console-socket <path>')
    .option('--overlay <mode>', '', 'memory')
    .option('--preserve-fds <n>', '', '0')
    .option('--network <mode>')
    .option('--publish <port>', '', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .argument('<container-id>')
    .action(async (id: string, options: { bundle: string; consoleSocket?: string; overlay: string; preserveFds: string; network?: string; publish: string[] }) => {
      const log = context.log();
      let launched;
      try {
        const network = networkRequestOf(options);
        launched = await launchSentry({
          bundle: loadBundle(options.bundle),
          controlSocket: context.store().files(id).socket,
          warn: (message) => log.warn(message),
          ...(context.globals().log !== undefined && { log: (message: string) => log.error(message) }),
          overlay: options.overlay === 'none' ? 'none' : 'memory',
          preservedFds: sentryPreservedFds(parsePreserveFds(options.preserveFds)),
          ...(network && { network }),
          ...(options.consoleSocket !== undefined && { consoleSocket: options.consoleSocket }),
        });
      } catch (error) {
        // `create` reports it (on its stderr and in --log): this process's stderr is the container's.
        reportReadiness({ ok: false, error: error instanceof Error || isSysError(error) ? error.message : String(error) });
        context.setExitCode(1);
        return;
      }
      reportReadiness({ ok: true });
      const code = await launched.exit;
      log.debug(`container ${id} exited: ${code}`);
      // Nothing may keep a dead container's sentry alive (its pid says "running").
      process.exit(code);
    });
}
