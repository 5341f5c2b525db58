// `tssc list`: the containers of the state root, as a table or as JSON.
import { Option, type Command } from 'commander';
import { toOciState } from '../oci/state/record.js';
import type { CliContext } from './context.js';
import { formatTable } from './table.js';

interface ListOptions {
  format: 'table' | 'json';
  quiet?: boolean;
}

export function registerList(program: Command, context: CliContext): void {
  program
    .command('list')
    .alias('ls')
    .summary('list containers started by tssc with the given root')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'display only container IDs')
    .action((options: ListOptions) => {
      const records = context.store().list();
      if (options.quiet === true) {
        context.stdout(records.map((r) => r.id + '\n').join(''));
      } else if (options.format === 'json') {
        context.stdout(JSON.stringify(records.map(toOciState)) + '\n');
      } else {
        const header = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
        const rows = records.map((r) => {
          const state = toOciState(r);
          return [state.id, String(state.pid), state.status, state.bundle, state.created, state.owner];
        });
        context.stdout(formatTable([header, ...rows]));
      }
    });
}
