// `tssc ps [--format table|json] ID [PS-ARGS...]`: the container's processes, as runc lists
// them: host pids as a JSON array, or the host's `ps` output (default `ps -ef`) cut down to
// the lines of those pids.
import { spawnSync } from 'node:child_process';
import { Option, type Command } from 'commander';
import { TsscError } from '../oci/errors.js';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

export function registerPs(program: Command, context: CliContext): void {
  program
    .command('ps')
    .summary('display the processes running inside a container')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .argument('<container-id>')
    .argument('[ps-args...]', 'options for ps(1), after "--" (default -ef)')
    .action(async (id: string, psArgs: string[], options: { format: 'table' | 'json' }) => {
      const pids = await operationsOf(context).ps(id);
      if (options.format === 'json') {
        context.stdout(JSON.stringify(pids) + '\n');
        return;
      }
      context.stdout(psTable(pids, psArgs.length > 0 ? psArgs : ['-ef']));
    });
}

/** ps(1)'s output: its header and the lines whose PID column is one of pids. */
function psTable(pids: readonly number[], args: readonly string[]): string {
  const result = spawnSync('ps', args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new TsscError(`ps ${args.join(' ')} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  const [header = '', ...lines] = result.stdout.split('\n');
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column < 0) throw new TsscError(`ps ${args.join(' ')}: no PID column in its output`);
  const wanted = new Set(pids);
  const kept = lines.filter((line) => wanted.has(Number(line.trim().split(/\s+/)[column])));
  return [header, ...kept].join('\n') + '\n';
}
