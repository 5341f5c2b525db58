// Resource limits of a thread group, from the spec's process.rlimits and Linux's defaults.

import { E, fail } from '../../abi/errno.js';
import type { Rlimit, Rlimits } from './syscall.js';

export const RLIM_INFINITY = (1n << 64n) - 1n;

export const RLIMIT = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8,
  AS: 9, LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
} as const;
export const RLIM_NLIMITS = 16;

const RLIMIT_BY_NAME = new Map(Object.entries(RLIMIT).map(([name, n]) => [`RLIMIT_${name}`, n]));

/** Linux's defaults for a fresh init (NOFILE as runc gives containers). */
function defaults(): Rlimit[] {
  const inf = { cur: RLIM_INFINITY, max: RLIM_INFINITY };
  const limits: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ ...inf }));
  limits[RLIMIT.STACK] = { cur: 8n << 20n, max: RLIM_INFINITY };
  limits[RLIMIT.CORE] = { cur: 0n, max: RLIM_INFINITY };
  limits[RLIMIT.NOFILE] = { cur: 1024n, max: 1024n * 1024n };
  limits[RLIMIT.MEMLOCK] = { cur: 8n << 20n, max: 8n << 20n };
  limits[RLIMIT.NPROC] = { cur: 63_000n, max: 63_000n };
  limits[RLIMIT.SIGPENDING] = { cur: 63_000n, max: 63_000n };
  limits[RLIMIT.MSGQUEUE] = { cur: 819_200n, max: 819_200n };
  limits[RLIMIT.NICE] = { cur: 0n, max: 0n };
  limits[RLIMIT.RTPRIO] = { cur: 0n, max: 0n };
  return limits;
}

export class RlimitTable implements Rlimits {
  private constructor(private readonly limits: Rlimit[]) {}

  static fromSpec(spec: readonly { type: string; hard: number; soft: number }[] | undefined): RlimitTable {
    const limits = defaults();
    for (const { type, hard, soft } of spec ?? []) {
      const resource = RLIMIT_BY_NAME.get(type);
      if (resource !== undefined) limits[resource] = { cur: BigInt(soft), max: BigInt(hard) };
    }
    return new RlimitTable(limits);
  }

  get(resource: number): Rlimit {
    const limit = this.limits[resource];
    if (!limit) fail(E.EINVAL);
    return limit;
  }

  set(resource: number, limit: Rlimit): void {
    if (!this.limits[resource]) fail(E.EINVAL);
    this.limits[resource] = { ...limit };
  }

  copy(): RlimitTable {
    return new RlimitTable(this.limits.map((l) => ({ ...l })));
  }
}
