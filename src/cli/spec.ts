// `tssc spec`: writes a starter config.json, as `runsc spec` does.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { CONFIG_FILE } from '../oci/bundle-files.js';
import { defaultSpec, formatSpec } from '../oci/default-spec.js';
import { TsscError } from '../oci/errors.js';
import type { CliContext } from './context.js';

interface SpecOptions {
  bundle: string;
  cwd: string;
  netns?: string;
}

export function registerSpec(program: Command, context: CliContext): void {
  program
    .command('spec')
    .summary('create a new OCI bundle specification file (config.json)')
    .description(
      'Writes BUNDLE/config.json: a starter spec that runs ARGS (default "sh") in the bundle\'s\n' +
        'rootfs, read-only, with runsc\'s defaults. An existing config.json is never overwritten.',
    )
    .option('-b, --bundle <dir>', 'path to the root of the OCI bundle', '.')
    .option('--cwd <path>', 'working directory of the process; must be absolute', '/')
    .addOption(new Option('--netns <path>', 'network namespace path'))
    .argument('[args...]', 'command to run in the container, after "--"')
    .action((args: string[], options: SpecOptions) => {
      writeStarterSpec(args, options);
      context.log().debug(`wrote ${path.join(options.bundle, CONFIG_FILE)}`);
    });
}

function writeStarterSpec(args: string[], options: SpecOptions): void {
  if (!path.isAbsolute(options.cwd)) {
    throw new TsscError(`--cwd must be an absolute path, got ${JSON.stringify(options.cwd)}`);
  }
  const configPath = path.join(options.bundle, CONFIG_FILE);
  const text = formatSpec(defaultSpec({ args, cwd: options.cwd, ...(options.netns !== undefined && { netns: options.netns }) }));
  try {
    // 'wx' fails if anything (even a dangling symlink) is already there: no overwrite race.
    writeFileSync(configPath, text, { flag: 'wx', mode: 0o664 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new TsscError(`${configPath} already exists; refusing to overwrite it`);
    if (code === 'ENOENT') throw new TsscError(`bundle directory ${options.bundle} does not exist`);
    throw new TsscError(`cannot write ${configPath}: ${(error as Error).message}`);
  }
}
