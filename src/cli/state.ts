// `tssc state ID`: the container's OCI state JSON.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

export function registerState(program: Command, context: CliContext): void {
  program
    .command('state')
    .summary('output the state of a container')
    .argument('<container-id>')
    .action(async (id: string) => {
      context.stdout(JSON.stringify(await operationsOf(context).state(id), null, 2) + '\n');
    });
}
