// `tssc run [--bundle DIR] ID`: creates and runs a container in the foreground; tssc
// exits with the container's exit code.
import type { Command } from 'commander';
import { runContainer } from '../oci/lifecycle/run.js';
import type { CliContext } from './context.js';

export function registerRun(program: Command, context: CliContext): void {
  program
    .command('run')
    .summary('create and run a container')
    .option('-b, --bundle <dir>', 'path to the root of the bundle directory', '.')
    .option('--strace', 'print every syscall the sentry answers, with decoded arguments and result')
    .option('--overlay <mode>', 'memory: writes to the root go to an in-memory layer; none: to the host rootfs', 'memory')
    .argument('<container-id>')
    .action(async (id: string, options: { bundle: string; strace?: boolean; overlay: string }) => {
      const overlay = options.overlay === 'none' ? 'none' : 'memory';
      const code = await runContainer({
        id,
        bundleDir: options.bundle,
        store: context.store(),
        overlay,
        ...(context.globals().log !== undefined ? { log: (message: string) => context.log().error(message) } : {}),
        ...(options.strace ? { strace: (line: string) => context.stderr(`${line}\n`) } : {}),
      });
      context.setExitCode(code);
    });
}
