// The starter config.json `tssc spec` writes: runsc's defaults (runsc/cmd/spec.go), with
// tssc as the hostname. Image bundles start from the same spec.
import type { Spec, RunnableSpec } from './spec.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_ENV: readonly string[] = [DEFAULT_PATH, 'TERM=xterm'];
export const DEFAULT_ARGS: readonly string[] = ['sh'];
export const DEFAULT_HOSTNAME = 'tssc';
export const DEFAULT_CAPABILITIES: readonly string[] = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export interface DefaultSpecOptions {
  args?: readonly string[];
  cwd?: string;
  /** Path of a network namespace for the network entry of linux.namespaces. */
  netns?: string;
}

export function defaultSpec(options: DefaultSpecOptions = {}): RunnableSpec {
  const args = options.args !== undefined && options.args.length > 0 ? options.args : DEFAULT_ARGS;
  const caps = (): string[] => [...DEFAULT_CAPABILITIES];
  const network: { type: 'network'; path?: string } = { type: 'network' };
  // runsc writes the path only when one was given (omitempty).
  if (options.netns !== undefined && options.netns !== '') network.path = options.netns;
  return {
    ociVersion: '1.0.0',
    process: {
      user: { uid: 0, gid: 0 },
      args: [...args],
      env: [...DEFAULT_ENV],
      cwd: options.cwd ?? '/',
      capabilities: {
        bounding: caps(),
        effective: caps(),
        inheritable: caps(),
        permitted: caps(),
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    },
    root: { path: 'rootfs', readonly: true },
    hostname: DEFAULT_HOSTNAME,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, network, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    },
  };
}

/** config.json text as runsc writes it: four-space indent, trailing newline. */
export function formatSpec(spec: Spec): string {
  return JSON.stringify(spec, null, 4) + '\n';
}
