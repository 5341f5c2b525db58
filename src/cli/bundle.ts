// `tssc bundle create DIR --from SRC [-- ARGS...]`: a bundle from an image or a rootfs tar.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { progressBar } from './progress-bar.js';

export function registerBundle(program: Command, context: CliContext): void {
  const bundle = program.command('bundle').summary('make OCI bundles');
  bundle
    .command('create')
    .summary('create a bundle from a rootfs tar, an OCI image layout or a docker save tar')
    .description(
      'Unpacks SRC into DIR/rootfs and writes DIR/config.json from the image config (Env,\n' +
        'Entrypoint, Cmd, WorkingDir, User). ARGS after "--" replace the image\'s Cmd.\n' +
        'SRC: a rootfs tar (e.g. `docker export`), an OCI image layout directory or tar,\n' +
        'or a `docker save` tar; tars may be gzipped. SRC "-" reads standard input.',
    )
    .argument('<dir>', 'bundle directory to create (may exist, but must not hold a bundle)')
    .argument('[args...]', 'command to run in the container, after "--"')
    .requiredOption('--from <src>', 'the image or rootfs tar to unpack ("-": standard input)')
    .option('--ref <name>', 'which image, when SRC holds several: its ref name (OCI layout) or tag (docker save)')
    .action(async (dir: string, args: string[], options: { from: string; ref?: string }) => {
      // Loaded on use: extraction and the schema compiler are the slowest imports of tssc.
      const { createBundle } = await import('../oci/image/create-bundle.js');
      const progress = progressBar(process.stderr);
      const created = await createBundle({
        dir,
        from: options.from,
        args,
        ...(options.ref !== undefined && { ref: options.ref }),
        ...(progress !== undefined && { progress }),
      });
      context.log().debug(`bundle ${created.dir} from ${created.source}: ${created.metaEntries} metadata entries`);
      context.stdout(`${created.dir}\n`);
    });
}
