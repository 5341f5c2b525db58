// A read-only cgroup2 filesystem for a spec's cgroup mount (runc's and containerd's specs
// mount the container's cgroup, as a cgroup namespace shows it, at /sys/fs/cgroup): the
// sandbox's own limits and usage in the files programs size themselves by (memory.max,
// memory.current, pids.max, the OOM kills in memory.events). A "cgroup" (v1) mount shows
// the same, as runc gives a container on a cgroup2 host.

import type { MemoryAccount } from '../../accounting/memory-account.js';
import type { FilesystemType, MountRequest, SandboxProviders } from '../api.js';
import { SynthFs, buildTree } from '../synthetic/nodes.js';

export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** What the cgroup files show: the sandbox's memory account and its pids.limit. */
export interface CgroupFacts {
  readonly memory: MemoryAccount;
  readonly pidsLimit: number | undefined;
}

function lines(values: readonly (string | number)[]): string {
  return values.map((v) => `${v}\n`).join('');
}

function threads(providers: SandboxProviders): number[] {
  return providers.processes().flatMap((pid) => providers.process(pid)?.tids ?? []);
}

function mountCgroup(request: MountRequest, facts: CgroupFacts): SynthFs {
  const { providers } = request;
  const { memory } = facts;
  return new SynthFs('cgroup2', request.dev, CGROUP2_SUPER_MAGIC, (fs) =>
    buildTree(fs, {
      'cgroup.controllers': () => 'memory pids\n',
      'cgroup.subtree_control': () => '\n',
      'cgroup.procs': () => lines(providers.processes()),
      'cgroup.threads': () => lines(threads(providers)),
      'memory.current': () => lines([Math.round(memory.usage)]),
      'memory.max': () => lines([memory.limited ? memory.limit : 'max']),
      'memory.events': () => `low 0\nhigh 0\nmax ${memory.oomKills}\noom ${memory.oomKills}\noom_kill ${memory.oomKills}\noom_group_kill 0\n`,
      'memory.swap.max': () => '0\n',
      'pids.current': () => lines([threads(providers).length]),
      'pids.max': () => lines([facts.pidsLimit ?? 'max']),
      'cpu.max': () => 'max 100000\n',
    }),
  );
}

/** The types a spec's cgroup mounts name: cgroup2, and cgroup (shown as cgroup2). */
export function cgroupTypes(facts: CgroupFacts): FilesystemType[] {
  return ['cgroup2', 'cgroup'].map((name) => ({ name, mount: (request: MountRequest) => mountCgroup(request, facts) }));
}
