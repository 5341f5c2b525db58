// The tssc command line: global options as runc and runsc take them (containerd passes
// --root, --log and --log-format before the command), then one command from COMMANDS.
// Every failure ends as `tssc: <message>` on stderr, an error entry in --log, and exit
// code 1, usage errors included, as with runc.
import { Command, CommanderError, Option } from 'commander';
import { isSysError } from '../abi/errno.js';
import { TsscError } from '../oci/errors.js';
import { COMMANDS } from './commands.js';
import { storeFor, type CliContext, type GlobalOptions } from './context.js';
import { scanLogOptions, touchLog } from './global-log-options.js';
import { createLogger, type Logger } from './logger.js';
import { VERSION } from './version.js';

export const EXIT_FAILURE = 1;

export interface MainIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: MainIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * tssc's own stdout and stderr may go away under it (a reader that closed its pipe, a
 * terminal hung up): what cannot be written is dropped. Unhandled, the write's error
 * reached the sentry's report of uncaught errors, which wrote to the same stream, failed
 * again, and so on for ever, with the sandbox starved of its event loop.
 */
function dropUnwritableOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') === 0) stream.on('error', () => {});
  }
}

/** Runs tssc with a full argv (node, script, args...) and returns the exit code. */
export async function main(argv: readonly string[], io: MainIo = processIo): Promise<number> {
  if (io === processIo) dropUnwritableOutput();
  const program = buildProgram(io);
  const logOptions = scanLogOptions(argv.slice(2));
  let exitCode = 0;
  let logger: Logger | undefined;
  const context: CliContext = {
    globals: () => globalOptions(program),
    stdout: io.stdout,
    stderr: io.stderr,
    log: () =>
      (logger ??= createLogger({
        ...(logOptions.file !== undefined && { file: logOptions.file }),
        format: logOptions.format,
        debug: program.opts<{ debug?: boolean }>().debug === true,
        stderr: io.stderr,
      })),
    store: () => storeFor(globalOptions(program)),
    setExitCode: (code) => {
      exitCode = code;
    },
    self: [process.execPath, ...process.execArgv, argv[1] ?? ''],
  };
  for (const register of COMMANDS) register(program, context);

  try {
    if (logOptions.file !== undefined) touchLog(logOptions.file);
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end here too, with their own exit code 0; commander has already
      // printed a usage error on stderr.
      if (error.exitCode === 0) return 0;
      logFailure(error.message.replace(/^error: /, ''), context, logOptions.file);
      return EXIT_FAILURE;
    }
    report(error, context, io, logOptions.file);
    return EXIT_FAILURE;
  }
}

function buildProgram(io: MainIo): Command {
  const program = new Command('tssc');
  program
    .description('a user-space sandbox runtime for OCI bundles')
    .version(VERSION, '-v, --version')
    .addOption(new Option('--root <dir>', 'root directory for container state (default: /run/tssc for root, else $XDG_RUNTIME_DIR/tssc or /tmp/tssc-UID)'))
    .addOption(new Option('--log <file>', 'log file (default: stderr)'))
    .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']).default('text'))
    .option('--debug', 'log debug messages')
    // Accepted as runc accepts them: tssc uses no cgroups and needs no privilege anyway.
    .option('--systemd-cgroup', 'accepted for runc compatibility (tssc uses no cgroups)')
    .addOption(new Option('--rootless <value>', 'accepted for runc compatibility (tssc needs no privilege)').choices(['true', 'false', 'auto']))
    .addOption(new Option('--criu <path>', 'accepted for runc compatibility (no checkpoints)').hideHelp())
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(true)
    // Commands created after this point inherit these settings (commander copies them).
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Commander's own "error: ..." lines, reworded to the tssc convention.
      outputError: (text, write) => write(`tssc: ${text.replace(/^error: /, '')}`),
    });
  return program;
}

function globalOptions(program: Command): GlobalOptions {
  const options = program.opts<{ root?: string; log?: string; logFormat: 'text' | 'json'; debug?: boolean }>();
  return {
    ...(options.root !== undefined && { root: options.root }),
    ...(options.log !== undefined && { log: options.log }),
    logFormat: options.logFormat,
    debug: options.debug === true,
  };
}

/** What failed, in words: Errors and the sentry's SysErrors (not Errors: stackless) carry a message. */
function messageOf(error: unknown): string {
  if (error instanceof Error || isSysError(error)) return error.message;
  return String(error);
}

function report(error: unknown, context: CliContext, io: MainIo, logFile: string | undefined): void {
  const message = messageOf(error);
  // A TsscError is meant for users; anything else is a tssc bug and shows its stack with --debug.
  const detail = !(error instanceof TsscError) && context.globals().debug && error instanceof Error ? `\n${error.stack ?? ''}` : '';
  io.stderr(`tssc: ${message}${detail}\n`);
  logFailure(message, context, logFile);
}

/** The failure's entry in --log (the message is already on stderr). */
function logFailure(message: string, context: CliContext, logFile: string | undefined): void {
  if (logFile === undefined) return;
  try {
    context.log().error(message);
  } catch {
    // An unwritable log file must not hide the error already printed.
  }
}
