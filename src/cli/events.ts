// `tssc events [--stats] [--interval D] ID`: the container's resource use, one JSON object
// per line as runc prints them ({"type":"stats","id":...,"data":{cpu,memory,pids}}), every
// interval until the container stops, or once with --stats.
import type { Command } from 'commander';
import { TsscError } from '../oci/errors.js';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as runc takes it ("5s", "250ms", "1m30s"). */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new TsscError(`invalid duration: ${text}`);
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0);
  if (ms <= 0) throw new TsscError(`duration must be greater than 0: ${text}`);
  return ms;
}

export function registerEvents(program: Command, context: CliContext): void {
  program
    .command('events')
    .summary('display container events such as resource usage')
    .option('--stats', 'display the container\'s stats once, then exit')
    .option('--interval <duration>', 'how often to print stats', '5s')
    .argument('<container-id>')
    .action(async (id: string, options: { stats?: boolean; interval: string }) => {
      const interval = parseDuration(options.interval);
      const operations = operationsOf(context);
      for (;;) {
        let data;
        try {
          data = await operations.stats(id);
        } catch (error) {
          // The stream ends with the container.
          if (options.stats !== true && error instanceof TsscError && error.message === 'container not running') return;
          throw error;
        }
        context.stdout(JSON.stringify({ type: 'stats', id, data }) + '\n');
        if (options.stats === true) return;
        await new Promise((resolve) => setTimeout(resolve, interval));
      }
    });
}
