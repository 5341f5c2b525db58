// The resource limits only the host kernel can enforce on a task's real process (its CPU
// time, its address space, data and stack, its locked memory): the sandbox keeps its own
// values (getrlimit shows them), and whenever it sets one the sentry sets it on the host
// process too, with prlimit on the host pid. The host values never go above tssc's own
// hard limits, so a sandbox with CAP_SYS_RESOURCE cannot raise what tssc itself was given;
// RLIMIT_DATA never goes above the sandbox's memory limit either, a hard per-process bound
// on the anonymous memory a task can have (the memory monitor bounds the sum). Files,
// fds and everything else are the sentry's own to check. RLIMIT_CORE stays the sandbox's:
// on the host it is 1, at which no core pattern dumps (core-dump.ts). RLIMIT_RTPRIO and
// RLIMIT_NICE are the sandbox's too: on the host they are 0, so that, with no capability
// (tracer.c), a call the host runs for the workload never gets a real-time policy or a nice
// value below its own, whatever limits tssc itself has.

import { hostCoreLimit } from './core-dump.js';
import { STACK_SIZE } from '../platform/ptrace/load.js';
import { RLIM_INFINITY, RLIMIT, type RlimitTable } from './rlimits.js';
import type { Rlimit, Rlimits } from './syscall.js';
import type { ThreadGroup } from './thread-group.js';

const HOST_ENFORCED: readonly number[] = [RLIMIT.CPU, RLIMIT.DATA, RLIMIT.STACK, RLIMIT.MEMLOCK, RLIMIT.AS];
const EPERM = 1;

/**
 * prlimit(2) on a host pid (0: tssc itself), limits as [soft, hard]: 0 or -errno
 * (the platform's: the ptrace helper runs it).
 */
export type HostPrlimit = (pid: number, resource: number, limit?: BigUint64Array, old?: BigUint64Array) => number;

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export class HostRlimits {
  /** tssc's own hard limit of each host-enforced resource. */
  private readonly ceilings = new Map<number, bigint>();
  private readonly scratch = new BigUint64Array(2);

  /** memoryLimit: the sandbox's memory limit in bytes (RLIM_INFINITY for none). */
  constructor(
    private readonly prlimit: HostPrlimit,
    private readonly memoryLimit: bigint,
  ) {
    for (const resource of HOST_ENFORCED) {
      this.ceilings.set(resource, prlimit(0, resource, undefined, this.scratch) === 0 ? this.scratch[1]! : RLIM_INFINITY);
    }
  }

  /** The limits the sandbox's first process starts with: [resource, soft, hard] (-1 unlimited) for spawn. */
  initial(rlimits: RlimitTable): [number, number, number][] {
    const toHost = (v: bigint): number => (v >= BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v));
    const enforced = HOST_ENFORCED.map((resource): [number, number, number] => {
      const { cur, max } = this.hostValue(resource, rlimits.get(resource));
      return [resource, toHost(cur), toHost(max)];
    });
    const core = hostCoreLimit(rlimits.get(RLIMIT.CORE));
    return [...enforced, [RLIMIT.CORE, toHost(core.cur), toHost(core.max)], [RLIMIT.RTPRIO, 0, 0], [RLIMIT.NICE, 0, 0]];
  }

  /** group's limits as its tasks and prlimit64 see them: setting one also sets it on its host process. */
  of(group: ThreadGroup): Rlimits {
    return {
      get: (resource) => group.rlimits.get(resource),
      set: (resource, limit) => {
        group.rlimits.set(resource, limit);
        if (HOST_ENFORCED.includes(resource) && group.hostPid > 0) this.apply(group.hostPid, resource, limit);
      },
    };
  }

  private hostValue(resource: number, limit: Rlimit): Rlimit {
    const ceiling = this.ceilings.get(resource) ?? RLIM_INFINITY;
    if (resource !== RLIMIT.DATA) return { cur: min(limit.cur, ceiling), max: min(limit.max, ceiling) };
    // The host counts the loader's stack where Linux counts none of a program's stack.
    const data = (v: bigint): bigint => {
      const bounded = min(v, this.memoryLimit);
      return bounded === RLIM_INFINITY ? min(v, ceiling) : min(bounded + STACK_SIZE, ceiling);
    };
    return { cur: data(limit.cur), max: data(limit.max) };
  }

  private apply(hostPid: number, resource: number, limit: Rlimit): void {
    const value = this.hostValue(resource, limit);
    const slots = this.scratch;
    slots[0] = value.cur;
    slots[1] = value.max;
    if (this.prlimit(hostPid, resource, slots) !== -EPERM) return;
    // An unprivileged tssc cannot raise a hard limit it lowered before (the sandbox's root
    // may): the host keeps the lower hard limit and takes the soft one under it.
    if (this.prlimit(hostPid, resource, undefined, slots) !== 0) return;
    slots[0] = min(value.cur, slots[1]!);
    this.prlimit(hostPid, resource, slots);
  }
}
