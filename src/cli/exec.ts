// `tssc exec [--process FILE | ARGS...] ID`: a new process in a running container, with
// runc's options (containerd's shim calls `exec --process F --detach --pid-file P`). Its
// stdio are this tssc's; without --detach tssc waits and exits with its status; with
// --detach --pid-file the pid-file names a process that does that (exec-monitor.ts).
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { closeSync } from 'node:fs';
import path from 'node:path';
import { followExec } from '../oci/control/exec-client.js';
import { TsscError } from '../oci/errors.js';
import { exitCodeOf } from '../oci/lifecycle/exit-code.js';
import { forwardEndingSignals } from '../oci/lifecycle/signal-proxy.js';
import { awaitReadiness, READY_FD, type ReadinessRole } from '../oci/lifecycle/readiness.js';
import type { Readable } from 'node:stream';
import { checkConsoleSocket } from '../oci/lifecycle/console.js';
import { processFromFlags, readProcessFile } from '../oci/lifecycle/exec-process.js';
import { checkPidFile, writePidFile } from '../oci/lifecycle/pid-file.js';
import { parsePreserveFds, preservedFdsOf } from '../oci/lifecycle/preserved-fds.js';
import { selfCommand, type CliContext } from './context.js';
import { operationsOf } from './operations.js';

interface ExecOptions {
  process?: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  tty?: boolean;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: string[];
  preserveFds: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerExec(program: Command, context: CliContext): void {
  program
    .command('exec')
    .summary('execute a new process inside a running container')
    .option('-p, --process <file>', 'the process to run, as config.json\'s process object')
    .option('-d, --detach', 'return at once; the --pid-file process reports the exit status')
    .option('--pid-file <file>', 'file to write the pid of the process that reports the exec\'d process\'s exit')
    .option('--console-socket <path>', 'unix socket to send the pty master of a --tty process to')
    .option('-t, --tty', 'give the process a terminal')
    .option('--cwd <path>', 'working directory of the process (absolute)')
    .option('-e, --env <NAME=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'the user to run as')
    .option('-g, --additional-gids <gid>', 'an additional group (repeatable)', collect, [])
    .option('--preserve-fds <n>', "pass tssc's fds 3 .. 3+n-1 to the process as the same fds", '0')
    .argument('<container-id>')
    .argument('[command...]', 'the command and its arguments')
    // As runc: what follows the container id is the command's, options included.
    .passThroughOptions()
    .action(async (id: string, command: string[], options: ExecOptions) => {
      const preserved = preservedFdsOf(parsePreserveFds(options.preserveFds));
      if (options.pidFile !== undefined) checkPidFile(options.pidFile);
      if (options.consoleSocket !== undefined) checkConsoleSocket(options.consoleSocket);
      const operations = operationsOf(context);
      const record = context.store().read(id);
      const process =
        options.process !== undefined
          ? readProcessFile(options.process)
          : processFromFlags(record.bundle, {
              args: command,
              env: options.env,
              additionalGids: options.additionalGids,
              tty: options.tty === true,
              ...(options.cwd !== undefined && { cwd: options.cwd }),
              ...(options.user !== undefined && { user: options.user }),
            });
      checkExecTerminal(process.terminal === true, options.consoleSocket, options.detach === true);
      const started = operations.exec(
        id,
        {
          op: 'exec',
          process,
          detach: options.detach === true,
          ...(preserved.length > 0 && { preserveFds: preserved.length }),
          ...(options.consoleSocket !== undefined && { consoleSocket: path.resolve(options.consoleSocket) }),
        },
        [...STDIO, ...preserved],
      );
      context.log().debug(`exec in ${id}: pid ${started.pid}`);
      if (options.detach !== true) {
        // Without a console socket the process's terminal is tssc's own: what it raises reaches tssc.
        context.setExitCode(await followToEnd(started.socket, process.terminal === true && options.consoleSocket === undefined));
        return;
      }
      if (options.pidFile !== undefined) {
        // The pid-file names a process that follows the exec to its end (exec-monitor.ts).
        const command = selfCommand(context, ['exec-monitor']);
        const monitor = spawn(command[0]!, command.slice(1), { detached: true, cwd: '/', stdio: ['ignore', 'ignore', 'ignore', 'pipe', started.socket] });
        try {
          await awaitReadiness(monitor, MONITOR_ROLE);
        } catch (error) {
          if (monitor.exitCode === null) monitor.kill('SIGKILL');
          throw error;
        }
        writePidFile(options.pidFile, monitor.pid!);
        (monitor.stdio[READY_FD] as Readable).destroy();
        monitor.unref();
      }
      closeSync(started.socket);
    });
}

/** What the pid-file process reports once it passes signals on. */
const MONITOR_ROLE: ReadinessRole = { name: "the exec's pid-file process", goal: 'follow the exec' };

/** The fds of this tssc that become the exec'd process's stdin, stdout and stderr. */
const STDIO = [0, 1, 2];

/** The terminal options runc refuses together. */
function checkExecTerminal(terminal: boolean, consoleSocket: string | undefined, detach: boolean): void {
  if (consoleSocket !== undefined && !terminal) throw new TsscError('cannot use a console socket: the process has no terminal (--tty)');
  if (terminal && detach && consoleSocket === undefined) throw new TsscError('a detached exec with a terminal needs --console-socket for it');
}

/**
 * Follows an exec to its end, forwarding the signals that would end this process to the
 * exec'd one (with onTerminal, the ones tssc's terminal raises to that terminal's
 * foreground group inside); resolves with its exit code (128 + the signal that ended it).
 */
export async function followToEnd(socket: number, onTerminal = false): Promise<number> {
  const followed = followExec(socket);
  const stop = forwardEndingSignals(
    (sig) => followed.signal(sig),
    onTerminal ? (sig) => followed.signal(sig, true) : undefined,
  );
  try {
    return exitCodeOf(await followed.exited);
  } finally {
    stop();
  }
}
