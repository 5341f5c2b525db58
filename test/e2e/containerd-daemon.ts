// A private containerd for the end-to-end tests: its own config, root, state and socket in
// a scratch directory, optionally with the CRI plugin and a `tssc` runtime handler, as an
// operator sets containerd up for tssc (see docs/containerd.md).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const hasContainerd = (): boolean =>
  process.getuid?.() === 0 && spawnSync('containerd', ['--version']).status === 0 && spawnSync('ctr', ['--version']).status === 0;

export interface ContainerdOptions {
  /** With the CRI plugin: its runtime handler `tssc` runs this binary, pods use this pause image. */
  cri?: { tsscBinary: string; sandboxImage: string };
}

export class Containerd {
  readonly address: string;
  private readonly daemon: ChildProcess;

  private constructor(readonly dir: string, options: ContainerdOptions) {
    this.address = path.join(dir, 'containerd.sock');
    mkdirSync(dir, { recursive: true });
    const config = path.join(dir, 'config.toml');
    writeFileSync(config, configToml(dir, this.address, options));
    // Its log stays beside it, for a failing test's reader.
    const log = openSync(path.join(dir, 'containerd.log'), 'w');
    this.daemon = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
    closeSync(log);
  }

  static async start(dir: string, options: ContainerdOptions = {}): Promise<Containerd> {
    const containerd = new Containerd(dir, options);
    for (let i = 0; i < 200; i++) {
      if (existsSync(containerd.address) && containerd.ctr(['version']).status === 0) return containerd;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    containerd.stop();
    throw new Error('containerd did not start');
  }

  /** `ctr --address SOCK ARGS` to its end (input on stdin). */
  ctr(args: readonly string[], input = '') {
    return spawnSync('ctr', ['--address', this.address, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  }

  stop(): void {
    this.daemon.kill('SIGTERM');
  }
}

function configToml(dir: string, address: string, options: ContainerdOptions): string {
  const lines = [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    '[grpc]',
    `  address = "${address}"`,
    '[ttrpc]',
    `  address = "${address}.ttrpc"`,
  ];
  if (!options.cri) return ['disabled_plugins = ["io.containerd.grpc.v1.cri"]', ...lines].join('\n') + '\n';
  return [
    ...lines,
    // The RuntimeClass handler `tssc` beside the default runc, as docs/containerd.md configures it.
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = "${options.cri.sandboxImage}"`,
    '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '    runtime_type = "io.containerd.runc.v2"',
    '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.tssc]',
    '    runtime_type = "io.containerd.runc.v2"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.tssc.options]',
    `      BinaryName = "${options.cri.tsscBinary}"`,
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = "${dir}/cni-bin"`,
    `    conf_dir = "${dir}/cni-conf"`,
  ].join('\n') + '\n';
}
