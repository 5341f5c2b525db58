// `tssc exec [--process FILE | ARGS...] ID`: a new process in a running container, with
// runc's options (containerd's shim calls `exec --process F --detach --pid-file P`).
import type { Command } from 'commander';
import path from 'node:path';
import { checkConsoleSocket } from '../oci/lifecycle/console.js';
import { processFromFlags, readProcessFile } from '../oci/lifecycle/exec-process.js';
import { checkPidFile } from '../oci/lifecycle/pid-file.js';
import type { CliContext } from './context.js';
import { checkPreserveFds } from './create.js';
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
    .option('--preserve-fds <n>', 'accepted for runc compatibility; only 0 is supported', '0')
    .argument('<container-id>')
    .argument('[command...]', 'the command and its arguments, after "--"')
    .action(async (id: string, command: string[], options: ExecOptions) => {
      checkPreserveFds(options.preserveFds);
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
      await operations.exec(id, {
        op: 'exec',
        process,
        detach: options.detach === true,
        ...(options.consoleSocket !== undefined && { consoleSocket: path.resolve(options.consoleSocket) }),
      });
    });
}
