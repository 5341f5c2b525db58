// What every command gets from main: the global options (parsed before the command runs),
// output streams, the log, the state store, and a way to fail without throwing.
import path from 'node:path';
import type { Command } from 'commander';
import { ContainerStore } from '../oci/state/store.js';
import { prepareStateRoot } from '../oci/state/state-root.js';
import type { LogFormat, Logger } from './logger.js';

export interface GlobalOptions {
  /** State root from `--root`; undefined means the per-user default. */
  root?: string;
  log?: string;
  logFormat: LogFormat;
  debug: boolean;
}

export interface CliContext {
  globals(): GlobalOptions;
  stdout(text: string): void;
  stderr(text: string): void;
  log(): Logger;
  /** The container store of the state root, created on first use. */
  store(): ContainerStore;
  /** For commands that report a failure themselves (e.g. `validate`): the exit code to return. */
  setExitCode(code: number): void;
  /** The command line that runs this tssc again (node and the script), for the sentry. */
  self: readonly string[];
}

/** A command module adds its command(s) to the program. */
export type RegisterCommand = (program: Command, context: CliContext) => void;

export function storeFor(globals: GlobalOptions): ContainerStore {
  return new ContainerStore(prepareStateRoot(globals.root));
}

/** This tssc with the same state root and log, running `args` (a detached sentry's command line). */
export function selfCommand(context: CliContext, args: readonly string[]): string[] {
  const globals = context.globals();
  return [
    ...context.self,
    '--root',
    context.store().root,
    ...(globals.log !== undefined ? ['--log', path.resolve(globals.log), '--log-format', globals.logFormat] : []),
    ...(globals.debug ? ['--debug'] : []),
    ...args,
  ];
}
