// `tssc kill [--all] ID [SIGNAL]`: a signal delivered inside the sandbox, to the container's
// init (or with --all to every process), by its sentry. SIGKILL of init ends the container.
import type { Command } from 'commander';
import { parseSignal } from '../oci/lifecycle/signal-names.js';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

export function registerKill(program: Command, context: CliContext): void {
  program
    .command('kill')
    .summary('send a signal to the init process of a container')
    .option('-a, --all', 'send the signal to every process of the container')
    .argument('<container-id>')
    .argument('[signal]', 'signal name or number', 'SIGTERM')
    .action(async (id: string, signal: string, options: { all?: boolean }) => {
      await operationsOf(context).kill(id, parseSignal(signal), options.all === true);
    });
}
