// `tssc validate`: every problem of a bundle at once; exit 0 only for a bundle tssc can run.
import type { Command } from 'commander';
import { formatProblem } from '../oci/errors.js';
import type { CliContext } from './context.js';

export function registerValidate(program: Command, context: CliContext): void {
  program
    .command('validate')
    .summary('check a bundle (config.json and rootfs) and list every problem')
    .option('-b, --bundle <dir>', 'path to the root of the OCI bundle', '.')
    .action(async (options: { bundle: string }) => {
      // Loaded on use: the schema compiler is the slowest import of tssc.
      const { checkBundle } = await import('../oci/bundle.js');
      const result = checkBundle(options.bundle);
      if (result.ok) {
        context.stdout(`${result.bundle.dir}: valid\n`);
        return;
      }
      for (const problem of result.problems) context.stderr(formatProblem(problem) + '\n');
      const count = result.problems.length;
      context.stderr(`tssc: ${result.dir}: ${count} problem${count === 1 ? '' : 's'}\n`);
      context.setExitCode(1);
    });
}
