// `tssc delete ID`: forgets a stopped container (`--force` kills a live one first).
import type { Command } from 'commander';
import { ContainerNotFoundError } from '../oci/state/not-found.js';
import type { CliContext } from './context.js';

export function registerDelete(program: Command, context: CliContext): void {
  program
    .command('delete')
    .alias('rm')
    .summary('delete the record of a stopped container')
    .option('-f, --force', 'kill the container first if it is still running')
    .argument('<container-id>')
    .action(async (id: string, options: { force?: boolean }) => {
      try {
        await context.store().remove(id, { force: options.force === true });
      } catch (error) {
        // As with runc, a forced delete of a container that is already gone succeeds.
        if (!(options.force === true && error instanceof ContainerNotFoundError)) throw error;
      }
      context.log().debug(`deleted container ${id}`);
    });
}
