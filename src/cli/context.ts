// What every command gets from main: the global options (parsed before the command runs),
// output streams, the log, the state store, and a way to fail without throwing.
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
}

/** A command module adds its command(s) to the program. */
export type RegisterCommand = (program: Command, context: CliContext) => void;

export function storeFor(globals: GlobalOptions): ContainerStore {
  return new ContainerStore(prepareStateRoot(globals.root));
}
