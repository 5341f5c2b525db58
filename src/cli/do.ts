// `tssc do [--network=none|sandbox|host] [-- CMD ARGS...]`: a host command in a sandbox with
// no bundle, as `runsc do`; tssc's exit status is the command's. The spec is written to a
// private temporary bundle directory (so it is checked as any config.json is) that goes
// with the sandbox.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isatty } from 'node:tty';
import type { Command } from 'commander';
import { CONFIG_FILE } from '../oci/bundle-files.js';
import { formatSpec } from '../oci/default-spec.js';
import { doSpec } from '../oci/lifecycle/do-spec.js';
import { parseNetworkMode } from '../oci/network.js';
import { runContainer } from '../oci/lifecycle/run.js';
import type { CliContext } from './context.js';

export function registerDo(program: Command, context: CliContext): void {
  program
    .command('do')
    .summary('run a host command in a sandbox: the host\'s root read-only, writes in memory')
    .description(
      'Runs CMD (default $SHELL) in a sandbox whose root is the host\'s, read-only under an\n' +
        'in-memory layer, in the current directory, as the calling user, with its environment\n' +
        'and terminal. Exits with the command\'s exit status.',
    )
    .option('--network <mode>', 'none: loopback only; sandbox: outbound through the sentry; host: the host\'s sockets', 'sandbox')
    .argument('[command...]', 'the command and its arguments, after "--"')
    .action(async (command: string[], options: { network: string }) => {
      const spec = doSpec({
        args: command,
        cwd: process.cwd(),
        env: process.env,
        uid: process.getuid?.() ?? 0,
        gid: process.getgid?.() ?? 0,
        groups: process.getgroups?.() ?? [],
        terminal: isatty(0),
        network: parseNetworkMode(options.network),
      });
      const bundleDir = mkdtempSync(path.join(tmpdir(), 'tssc-do-'));
      try {
        writeFileSync(path.join(bundleDir, CONFIG_FILE), formatSpec(spec), { mode: 0o600 });
        const code = await runContainer({
          id: path.basename(bundleDir),
          bundleDir,
          store: context.store(),
          overlay: 'memory',
          warn: (message) => context.log().warn(message),
        });
        context.setExitCode(code);
      } finally {
        rmSync(bundleDir, { recursive: true, force: true });
      }
    });
}
