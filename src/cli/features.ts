// `tssc features`: the features document, as `runc features` prints it.
import type { Command } from 'commander';
import { features } from '../oci/lifecycle/features.js';
import type { CliContext } from './context.js';
import { VERSION } from './version.js';

export function registerFeatures(program: Command, context: CliContext): void {
  program
    .command('features')
    .summary('show the enabled features')
    .action(() => {
      context.stdout(JSON.stringify(features(VERSION), null, 4) + '\n');
    });
}
