// A minimal read-only sysfs: what programs probe to size themselves (CPU lists, NUMA
// nodes, transparent huge pages) and the usual top-level directories, empty where the
// sandbox has nothing to show (no block devices, no host network interfaces).

import type { FilesystemType, MountRequest } from '../api.js';
import type { MachineFacts } from '../synthetic/machine.js';
import { SynthFs, buildTree, type TreeSpec } from '../synthetic/nodes.js';

export const SYSFS_MAGIC = 0x62656572;

function cpuRange(cpus: number): string {
  return cpus === 1 ? '0\n' : `0-${cpus - 1}\n`;
}

function cpuDirs(cpus: number): TreeSpec {
  const dirs: Record<string, TreeSpec> = {};
  for (let i = 0; i < cpus; i++) {
    // cpu0 cannot be taken offline, so Linux gives it no `online` file.
    dirs[`cpu${i}`] = i === 0 ? { topology: topology(i) } : { online: () => '1\n', topology: topology(i) };
  }
  return dirs;
}

function topology(cpu: number): TreeSpec {
  return {
    core_id: () => `${cpu}\n`,
    physical_package_id: () => '0\n',
  };
}

export function sysfsType(machine: MachineFacts): FilesystemType {
  return {
    name: 'sysfs',
    mount(request: MountRequest): SynthFs {
      const cpus = cpuRange(machine.cpus);
      return new SynthFs('sysfs', request.dev, SYSFS_MAGIC, (fs) =>
        buildTree(fs, {
          block: {},
          bus: {},
          class: { net: {}, tty: {} },
          dev: { block: {}, char: {} },
          devices: {
            system: {
              cpu: {
                online: () => cpus,
                possible: () => cpus,
                present: () => cpus,
                offline: () => '\n',
                kernel_max: () => '8191\n',
                ...cpuDirs(machine.cpus),
              },
              node: {
                online: () => '0\n',
                possible: () => '0\n',
                has_cpu: () => '0\n',
                node0: { cpulist: () => cpus },
              },
            },
          },
          firmware: {},
          fs: { cgroup: {} },
          kernel: {
            mm: {
              transparent_hugepage: {
                enabled: () => 'always [madvise] never\n',
                defrag: () => 'always defer defer+madvise [madvise] never\n',
                hpage_pmd_size: () => '2097152\n',
              },
            },
          },
          module: {},
        }),
      );
    },
  };
}
