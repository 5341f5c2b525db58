// `tssc delete [--force] ID`: forgets a stopped container (`--force` kills a live one first).
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

export function registerDelete(program: Command, context: CliContext): void {
  program
    .command('delete')
    .alias('rm')
    .summary('delete a stopped container and everything tssc kept for it')
    .option('-f, --force', 'kill the container first if it is still running')
    .argument('<container-id>')
    .action(async (id: string, options: { force?: boolean }) => {
      await operationsOf(context).delete(id, options.force === true);
      context.log().debug(`deleted container ${id}`);
    });
}
