// `tssc update --resources FILE|- ID`: new linux.resources for a running container, as
// runc takes them (containerd's shim pipes the JSON on stdin). tssc honours what its
// sentry enforces and names what it cannot.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TsscError } from '../oci/errors.js';
import type { LinuxResources } from '../oci/spec.js';
import type { CliContext } from './context.js';
import { operationsOf } from './operations.js';

export function registerUpdate(program: Command, context: CliContext): void {
  program
    .command('update')
    .summary('update the resource limits of a running container')
    .option('-r, --resources <file>', 'a linux.resources JSON document ("-": standard input)')
    .option('--pids-limit <n>', 'the most processes and threads the container may have at once')
    .argument('<container-id>')
    .action(async (id: string, options: { resources?: string; pidsLimit?: string }) => {
      if (options.resources === undefined && options.pidsLimit === undefined) throw new TsscError('nothing to update: give --resources or --pids-limit');
      const resources = options.resources === undefined ? {} : readResources(options.resources);
      if (options.pidsLimit !== undefined) {
        if (!/^-?\d+$/.test(options.pidsLimit)) throw new TsscError(`--pids-limit ${options.pidsLimit}: not an integer`);
        resources.pids = { limit: Number(options.pidsLimit) };
      }
      await operationsOf(context).update(id, resources);
    });
}

function readResources(source: string): LinuxResources {
  let text: string;
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    throw new TsscError(`cannot read resources ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TsscError(`resources ${source}: invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsscError(`resources ${source}: not a JSON object`);
  const pids = (value as LinuxResources).pids;
  if (pids !== undefined && (typeof pids !== 'object' || pids === null || !Number.isInteger(pids.limit))) {
    throw new TsscError(`resources ${source}: /pids/limit must be an integer`);
  }
  return value as LinuxResources;
}
