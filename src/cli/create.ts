// `tssc create --bundle DIR [--pid-file F] [--console-socket SOCK] ID`: a container held
// before its first instruction, as runc creates one; `tssc start ID` lets it run.
import type { Command } from 'commander';
import path from 'node:path';
import { parseNetworkMode, type NetworkRequest } from '../oci/network.js';
import { createContainer } from '../oci/lifecycle/create.js';
import { parsePreserveFds, preservedFdsOf } from '../oci/lifecycle/preserved-fds.js';
import { selfCommand, type CliContext } from './context.js';

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  network?: string;
  publish: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** --network and -p as the lifecycle takes them (undefined: the spec decides). */
export function networkRequestOf(options: { network?: string; publish: string[] }): NetworkRequest | undefined {
  const mode = options.network === undefined ? undefined : parseNetworkMode(options.network);
  if (mode === undefined && options.publish.length === 0) return undefined;
  return { ...(mode ? { mode } : {}), ...(options.publish.length > 0 ? { publish: options.publish } : {}) };
}

/** The same request as arguments of the detached `tssc sentry`. */
export function networkArguments(options: { network?: string; publish: string[] }): string[] {
  return [...(options.network !== undefined ? ['--network', options.network] : []), ...options.publish.flatMap((p) => ['--publish', p])];
}

/** The options create and run share, named as runc names them. */
export function addCreateOptions(command: Command): Command {
  return command
    .option('-b, --bundle <dir>', 'path to the root of the bundle directory', '.')
    .option('--pid-file <file>', 'file to write the pid of the container\'s process to (its exit status is the container\'s)')
    .option('--console-socket <path>', 'unix socket to send the pty master of a process.terminal container to')
    .option('--no-pivot', 'accepted for runc compatibility (the sandbox root is the sentry\'s own)')
    .option('--no-new-keyring', 'accepted for runc compatibility (keyctl is refused in the sandbox)')
    .option('--preserve-fds <n>', "pass tssc's fds 3 .. 3+n-1 to the container's process as the same fds", '0')
    .option('--network <mode>', "none: loopback only; sandbox: its own stack, out through the sentry (default with a network namespace in the spec); host: the host's sockets (default without one)")
    .option('-p, --publish <[ip:]hostport:port[/udp]>', 'listen on the host and forward into the sandbox (repeatable; needs --network=sandbox)', collect, []);
}

export function registerCreate(program: Command, context: CliContext): void {
  addCreateOptions(program.command('create').summary('create a container, held before its first instruction'))
    .argument('<container-id>')
    .action(async (id: string, options: CreateOptions & { preserveFds: string }) => {
      const preserved = preservedFdsOf(parsePreserveFds(options.preserveFds));
      networkRequestOf(options);
      const bundle = path.resolve(options.bundle);
      const pid = await createContainer({
        id,
        bundleDir: bundle,
        store: context.store(),
        ...(options.pidFile !== undefined && { pidFile: options.pidFile }),
        ...(options.consoleSocket !== undefined && { consoleSocket: path.resolve(options.consoleSocket) }),
        preservedFds: preserved,
        sentryCommand: selfCommand(context, [
          'sentry',
          '--bundle',
          bundle,
          ...(options.consoleSocket !== undefined ? ['--console-socket', path.resolve(options.consoleSocket)] : []),
          ...preserveArguments(preserved),
          ...networkArguments(options),
          id,
        ]),
      });
      context.log().debug(`created container ${id}: sentry pid ${pid}`);
    });
}

/** --preserve-fds for the detached `tssc sentry`, which has the fds after its readiness fd. */
export function preserveArguments(preserved: readonly number[]): string[] {
  return preserved.length > 0 ? ['--preserve-fds', String(preserved.length)] : [];
}
