import { Command } from 'commander';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('tssc');
  program.description('a user-space sandbox runtime for OCI bundles');
  await program.parseAsync([...argv]);
  return 0;
}
