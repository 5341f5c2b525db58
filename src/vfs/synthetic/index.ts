// Registers the synthesized filesystems (proc, sysfs, devpts, mqueue, cgroup, the /dev tree) and
// the character devices of one sandbox with its FilesystemRegistry. The sentry calls
// registerSyntheticFilesystems once per sandbox, before createVfs, and keeps the
// returned handle for the terminal and message-queue syscalls.

import { randomUUID } from 'node:crypto';
import { makedev, type FilesystemRegistry, type Inode, type SandboxProviders } from '../api.js';
import { devType } from '../dev/fs.js';
import { registerDevices } from '../dev/devices.js';
import { devptsType } from '../devpts/fs.js';
import type { JobControl } from '../devpts/job-control.js';
import { PtyTable } from '../devpts/table.js';
import { MQUEUE_MAGIC, MqueueRoot, mqueueType } from '../mqueue/fs.js';
import { MqueueNamespace, type MqLimits, type MqueueEntry } from '../mqueue/namespace.js';
import { procType } from '../proc/fs.js';
import { sysfsType } from '../sys/fs.js';
import { hostMachineFacts, type MachineFacts } from './machine.js';
import { cgroupTypes } from '../cgroup/fs.js';
import { MemoryAccount } from '../../accounting/memory-account.js';
import { SynthFs } from './nodes.js';

export interface SyntheticOptions {
  /** The same providers given to createVfs (terminals read the calling process from them). */
  providers: SandboxProviders;
  /** Signals for terminal job control (SIGINT from ^C, SIGWINCH, SIGHUP on hangup...). */
  jobControl: JobControl;
  /** CPUs and memory the sandbox is shown; defaults to the machine it runs on, with memory's limit. */
  machine?: MachineFacts;
  /** The sandbox's memory: its limit for /proc/meminfo and cgroup mounts, and what queued messages charge. */
  memory?: MemoryAccount;
  /** linux.resources.pids.limit, for cgroup mounts. */
  pidsLimit?: number;
  mqueueLimits?: MqLimits;
}

/** What the sentry keeps for the syscalls that reach these objects without a path. */
/** One IPC namespace's POSIX message queues, and the internal mount mq_open reaches them through. */
export interface MessageQueues {
  readonly mqueues: MqueueNamespace;
  mqueueInode(entry: MqueueEntry): Inode;
  fresh(): MessageQueues;
}

export interface SyntheticFilesystems extends MessageQueues {
  readonly ptys: PtyTable;
  readonly mqueues: MqueueNamespace;
  /** An inode for an mq_open'd queue, to open with Vfs.openAnonymous. */
  mqueueInode(entry: MqueueEntry): Inode;
  /** The empty queues of a new IPC namespace (unshare(CLONE_NEWIPC)), with the same limits. */
  fresh(): MessageQueues;
}

export function registerSyntheticFilesystems(registry: FilesystemRegistry, options: SyntheticOptions): SyntheticFilesystems {
  const memory = options.memory ?? new MemoryAccount();
  const machine = options.machine ?? hostMachineFacts(memory);
  const ptys = new PtyTable(options.providers, options.jobControl, registry);
  const mqueues = new MqueueNamespace(memory.buffers, options.mqueueLimits);
  registerDevices(registry, ptys);
  registry.register(procType({ providers: options.providers, machine, ptys, mqueues, bootId: randomUUID() }));
  registry.register(sysfsType(machine));
  registry.register(devptsType(ptys));
  // A mount shows the queues of the mounting task's IPC namespace.
  registry.register(mqueueType(() => options.providers.currentMqueues?.() ?? mqueues));
  registry.register(devType(ptys));
  for (const type of cgroupTypes({ memory, pidsLimit: options.pidsLimit })) registry.register(type);

  return {
    ptys,
    ...messageQueues(mqueues, () => new MqueueNamespace(memory.buffers, options.mqueueLimits)),
  };
}

function messageQueues(mqueues: MqueueNamespace, makeNamespace: () => MqueueNamespace): MessageQueues {
  // mq_open reaches queues without a mount, as Linux does through its internal one; its
  // anonymous-device minor sits far above the ones createVfs hands out to mounts.
  const internalMqueue = new SynthFs('mqueue', makedev(0, 0xfff00), MQUEUE_MAGIC, (fs) => new MqueueRoot(fs, mqueues));
  return {
    mqueues,
    mqueueInode: (entry: MqueueEntry): Inode => internalMqueue.root.inodeFor(entry),
    fresh: () => messageQueues(makeNamespace(), makeNamespace),
  };
}
