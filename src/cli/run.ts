// `tssc run [--bundle DIR] ID`: creates and runs a container. In the foreground tssc is the
// container's sentry and exits with its exit code; with --detach it is create + start.
import path from 'node:path';
import type { Command } from 'commander';
import { createContainer } from '../oci/lifecycle/create.js';
import { runContainer } from '../oci/lifecycle/run.js';
import { selfCommand, type CliContext } from './context.js';
import { parsePreserveFds, preservedFdsOf } from '../oci/lifecycle/preserved-fds.js';
import { addCreateOptions, networkArguments, networkRequestOf, preserveArguments, type CreateOptions } from './create.js';
import { operationsOf } from './operations.js';

interface RunOptions extends CreateOptions {
  detach?: boolean;
  strace?: boolean;
  overlay: string;
  preserveFds: string;
}

export function registerRun(program: Command, context: CliContext): void {
  addCreateOptions(program.command('run').summary('create and run a container'))
    .option('-d, --detach', 'return once the container runs (create + start)')
    .option('--strace', 'print every syscall the sentry answers, with decoded arguments and result')
    .option('--overlay <mode>', 'memory: writes to the root go to an in-memory layer; none: to the host rootfs', 'memory')
    .argument('<container-id>')
    .action(async (id: string, options: RunOptions) => {
      const preservedFds = preservedFdsOf(parsePreserveFds(options.preserveFds));
      const network = networkRequestOf(options);
      const overlay = options.overlay === 'none' ? 'none' : 'memory';
      const consoleSocket = options.consoleSocket === undefined ? undefined : path.resolve(options.consoleSocket);
      const shared = {
        id,
        bundleDir: path.resolve(options.bundle),
        store: context.store(),
        ...(options.pidFile !== undefined && { pidFile: options.pidFile }),
        ...(consoleSocket !== undefined && { consoleSocket }),
        preservedFds,
      };
      if (options.detach === true) {
        await createContainer({
          ...shared,
          sentryCommand: selfCommand(context, [
            'sentry',
            '--bundle',
            shared.bundleDir,
            ...(consoleSocket !== undefined ? ['--console-socket', consoleSocket] : []),
            ...(overlay === 'none' ? ['--overlay', 'none'] : []),
            ...preserveArguments(preservedFds),
            ...networkArguments(options),
            id,
          ]),
        });
        await operationsOf(context).start(id);
        return;
      }
      const code = await runContainer({
        ...shared,
        overlay,
        ...(network && { network }),
        ...(context.globals().log !== undefined ? { log: (message: string) => context.log().error(message) } : {}),
        warn: (message) => context.log().warn(message),
        ...(options.strace ? { strace: (line: string) => context.stderr(`${line}\n`) } : {}),
      });
      context.setExitCode(code);
    });
}
