// `tssc validate`: every problem of a bundle at once; exit 0 only for a bundle tssc can run.
import { Option, type Command } from 'commander';
import { formatProblem } from '../oci/errors.js';
import type { CliContext } from './context.js';

interface ValidateOptions {
  bundle: string;
  format: 'text' | 'json';
}

export function registerValidate(program: Command, context: CliContext): void {
  program
    .command('validate')
    .summary('check a bundle (config.json and rootfs) and list every problem')
    .option('-b, --bundle <dir>', 'path to the root of the OCI bundle', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: ValidateOptions) => {
      // Loaded on use: the schema is the slowest import of tssc.
      const { checkBundle } = await import('../oci/bundle.js');
      const result = checkBundle(options.bundle);
      const problems = result.ok ? [] : result.problems;
      const dir = result.ok ? result.bundle.dir : result.dir;
      if (!result.ok) context.setExitCode(1);
      if (options.format === 'json') {
        context.stdout(JSON.stringify({ bundle: dir, valid: result.ok, problems }) + '\n');
        return;
      }
      if (result.ok) {
        context.stdout(`${dir}: valid\n`);
        return;
      }
      for (const problem of problems) context.stderr(formatProblem(problem) + '\n');
      context.stderr(`tssc: ${dir}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    });
}
