// The proc filesystem: the sandbox's processes (virtual pids from the providers, never
// the host's) and the system files. Each open takes a snapshot of the text, as seq_file
// does, and reads at offsets within it.

import type { FilesystemType, MountRequest } from '../api.js';
import { buildTree, DirNode, FixedChildren, GeneratedFile, MergedChildren, NumberedChildren, SymlinkNode, SynthFs, type Content, type SynthNode } from '../synthetic/nodes.js';
import type { ProcDeps } from './deps.js';
import { processDir } from './pid-dir.js';
import { netDir } from './net.js';
import { sysctlDir } from './sysctl.js';
import { msgText, semText, shmText } from './sysvipc.js';
import { cpuinfoText, filesystemsText, loadavgText, meminfoText, statText, uptimeText, versionText } from './system-text.js';

export const PROC_SUPER_MAGIC = 0x9fa0;

/** Pid directories list after the fixed entries: their cookies start above them all. */
const PID_COOKIE_BASE = 1000;

export function procType(deps: Omit<ProcDeps, 'vfs'>): FilesystemType {
  return {
    name: 'proc',
    mount(request: MountRequest): SynthFs {
      // A proc mount shows the pid namespace of the task that mounted it.
      const providers = request.providers.forProcMount?.() ?? request.providers;
      const full: ProcDeps = { ...deps, vfs: request.vfs, providers };
      return new SynthFs('proc', request.dev, PROC_SUPER_MAGIC, (fs) => procRoot(fs, full));
    },
  };
}

function procRoot(fs: SynthFs, deps: ProcDeps): DirNode {
  const { providers } = deps;
  const text = (generate: () => Content) => new GeneratedFile(fs, 0o444, generate);
  const fixed: [string, SynthNode][] = [
    ['self', new SymlinkNode(fs, () => String(providers.currentPid()))],
    ['thread-self', new SymlinkNode(fs, () => `${providers.currentPid()}/task/${providers.currentTid()}`)],
    ['mounts', new SymlinkNode(fs, () => 'self/mounts')],
    ['sys', sysctlDir(fs, deps)],
    ['net', netDir(fs, deps)],
    ['uptime', text(() => uptimeText(deps))],
    ['loadavg', text(() => loadavgText(deps))],
    ['meminfo', text(() => meminfoText(deps))],
    ['cpuinfo', text(() => cpuinfoText(deps))],
    ['stat', text(() => statText(deps))],
    ['version', text(() => versionText())],
    ['filesystems', text(() => filesystemsText())],
    ['cmdline', text(() => 'BOOT_IMAGE=/vmlinuz quiet\n')],
    ['swaps', text(() => 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n')],
    ['sysvipc', buildTree(fs, { sem: () => semText(deps), msg: () => msgText(deps), shm: () => shmText(deps) })],
  ];
  // A thread's id resolves under /proc without being listed, as on Linux.
  const isThread = (id: number) => providers.processes().some((pid) => providers.process(pid)?.tids.includes(id) ?? false);
  const pids = new NumberedChildren(
    () => providers.processes(),
    (pid) => processDir(fs, deps, ownerPid(deps, pid), pid === ownerPid(deps, pid) ? undefined : pid),
    PID_COOKIE_BASE,
    isThread,
  );
  return new DirNode(fs, 0o555, new MergedChildren([new FixedChildren(fixed), pids]), undefined, false);
}

/** The thread group a pid or tid belongs to. */
function ownerPid(deps: ProcDeps, id: number): number {
  const { providers } = deps;
  if (providers.process(id)) return id;
  return providers.processes().find((pid) => providers.process(pid)?.tids.includes(id)) ?? id;
}
