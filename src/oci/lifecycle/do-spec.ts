// The spec `tssc do` runs a host command with, as `runsc do` does: the host's root read-only
// under an in-memory upper layer (writes vanish with the sandbox), synthesized /proc, /dev
// and /sys, the caller's working directory, user, groups, environment and terminal.
import { hostname } from 'node:os';
import type { NetworkMode } from '../../netstack/index.js';
import { defaultSpec } from '../default-spec.js';
import { NETWORK_ANNOTATION } from '../network.js';
import type { LinuxNamespace, RunnableSpec } from '../spec.js';

export interface DoOptions {
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  uid: number;
  gid: number;
  groups: readonly number[];
  terminal: boolean;
  network: NetworkMode;
}

export function doSpec(options: DoOptions): RunnableSpec {
  const args = options.args.length > 0 ? [...options.args] : [options.env.SHELL ?? '/bin/sh'];
  const spec = defaultSpec({ args, cwd: options.cwd });
  const env = Object.entries(options.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`);
  // As runsc do: root keeps its (default) capabilities, anyone else has none.
  const capabilities = options.uid === 0 ? spec.process.capabilities : { bounding: [], effective: [], inheritable: [], permitted: [] };
  // --network=host: the sandbox's sockets are the host's, so no network namespace.
  const namespaces: LinuxNamespace[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (options.network !== 'host') namespaces.push({ type: 'network' });
  return {
    ...spec,
    process: {
      ...spec.process,
      terminal: options.terminal,
      user: { uid: options.uid, gid: options.gid, additionalGids: options.groups.filter((g) => g !== options.gid) },
      env,
      ...(capabilities !== undefined && { capabilities }),
    },
    root: { path: '/', readonly: false },
    hostname: hostname(),
    mounts: [
      ...(spec.mounts ?? []),
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
    ],
    annotations: { [NETWORK_ANNOTATION]: options.network },
    linux: { ...spec.linux, namespaces },
  };
}
