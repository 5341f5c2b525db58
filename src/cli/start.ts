// `tssc start ID`: lets a created container's init run its program.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

export function registerStart(program: Command, context: CliContext): void {
  program
    .command('start')
    .summary('start a created container')
    .argument('<container-id>')
    .action(async (id: string) => {
      await operationsOf(context).start(id);
    });
}
