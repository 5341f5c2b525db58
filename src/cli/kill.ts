// `tssc kill ID [SIGNAL]`: sends a signal to a running container. The recorded pid is the
// container's sentry, which forwards the signal to the container's init (SIGKILL ends the
// sentry, and with it every task: they cannot outlive their tracer).
import type { Command } from 'commander';
import { constants } from 'node:os';
import { TsscError } from '../oci/errors.js';
import type { CliContext } from './context.js';

function parseSignal(text: string): NodeJS.Signals {
  const upper = text.toUpperCase();
  if (/^\d+$/.test(upper)) {
    const byNumber = Object.entries(constants.signals).find(([, n]) => n === Number(upper));
    if (byNumber) return byNumber[0] as NodeJS.Signals;
  } else {
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (name in constants.signals) return name as NodeJS.Signals;
  }
  throw new TsscError(`invalid signal: ${text}`);
}

export function registerKill(program: Command, context: CliContext): void {
  program
    .command('kill')
    .summary('send a signal to the init process of a container')
    .argument('<container-id>')
    .argument('[signal]', 'signal name or number', 'SIGTERM')
    .action((id: string, signal: string) => {
      const sig = parseSignal(signal);
      const record = context.store().read(id);
      if (record.status !== 'running' && record.status !== 'created') {
        throw new TsscError(`container ${id} is not running`);
      }
      process.kill(record.pid, sig);
    });
}
