// `tssc pause ID` and `tssc resume ID`: freeze and thaw every task of the sandbox.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

export function registerPause(program: Command, context: CliContext): void {
  for (const [name, summary] of [
    ['pause', 'suspend every process of a container'],
    ['resume', 'resume every process of a paused container'],
  ] as const) {
    program
      .command(name)
      .summary(summary)
      .argument('<container-id>')
      .action(async (id: string) => {
        await operationsOf(context).freeze(id, name);
      });
  }
}
