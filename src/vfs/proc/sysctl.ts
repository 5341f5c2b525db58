// /proc/sys: the kernel tunables programs read to size themselves (pid_max, ngroups_max,
// pipe-max-size, somaxconn, overcommit...). Read-only: the sandbox's kernel is not tuned
// from inside.

import { randomUUID } from 'node:crypto';
import { AIO_MAX_NR } from '../../abi/linux-aio.js';
import { INOTIFY_LIMITS } from '../../abi/linux-inotify.js';
import { MSG_LIMITS, SEM_LIMITS, SHM_LIMITS } from '../../abi/linux-ipc.js';
import { KERNEL_IDENTITY } from '../synthetic/machine.js';
import { buildTree, type DirNode, type SynthFs } from '../synthetic/nodes.js';
import { PTY_MAX } from '../devpts/table.js';
import type { ProcDeps } from './deps.js';

const value = (text: string | number) => () => `${text}\n`;

export function sysctlDir(fs: SynthFs, deps: ProcDeps): DirNode {
  const mq = deps.mqueues.limits;
  return buildTree(fs, {
    kernel: {
      hostname: () => `${deps.providers.hostname()}\n`,
      domainname: () => `${deps.providers.domainname()}\n`,
      ostype: value(KERNEL_IDENTITY.sysname),
      osrelease: value(KERNEL_IDENTITY.release),
      version: value(KERNEL_IDENTITY.version),
      pid_max: value(4194304),
      'threads-max': value(4194304),
      ngroups_max: value(65536),
      cap_last_cap: value(40),
      overflowuid: value(65534),
      overflowgid: value(65534),
      randomize_va_space: value(2),
      core_pattern: value('core'),
      shmmax: value(String(SHM_LIMITS.shmmax)),
      shmall: value(String(SHM_LIMITS.shmall)),
      shmmni: value(SHM_LIMITS.shmmni),
      msgmax: value(MSG_LIMITS.msgmax),
      msgmnb: value(MSG_LIMITS.msgmnb),
      msgmni: value(MSG_LIMITS.msgmni),
      sem: value(`${SEM_LIMITS.semmsl}\t${SEM_LIMITS.semmns}\t${SEM_LIMITS.semopm}\t${SEM_LIMITS.semmni}`),
      pty: {
        max: value(PTY_MAX),
        nr: () => `${deps.ptys.opened}\n`,
      },
      random: {
        boot_id: value(deps.bootId),
        uuid: () => `${randomUUID()}\n`,
        entropy_avail: value(256),
        poolsize: value(256),
      },
    },
    fs: {
      'file-max': value('9223372036854775807'),
      nr_open: value(1048576),
      'pipe-max-size': value(1048576),
      'aio-max-nr': value(AIO_MAX_NR),
      overflowuid: value(65534),
      overflowgid: value(65534),
      inotify: {
        max_queued_events: value(INOTIFY_LIMITS.maxQueuedEvents),
        max_user_instances: value(INOTIFY_LIMITS.maxUserInstances),
        max_user_watches: value(INOTIFY_LIMITS.maxUserWatches),
      },
      mqueue: {
        msg_max: value(mq.msgMax),
        msgsize_max: value(mq.msgsizeMax),
        msg_default: value(mq.msgDefault),
        msgsize_default: value(mq.msgsizeDefault),
        queues_max: value(mq.queuesMax),
      },
    },
    vm: {
      overcommit_memory: value(0),
      overcommit_ratio: value(50),
      max_map_count: value(65530),
      mmap_min_addr: value(65536),
      swappiness: value(60),
    },
    // The sandbox's own stack has a stock kernel's values (src/netstack/limits.ts).
    net: {
      core: {
        somaxconn: value(4096),
        rmem_default: value(212992),
        wmem_default: value(212992),
        rmem_max: value(212992),
        wmem_max: value(212992),
        optmem_max: value(131072),
      },
      ipv4: {
        ip_local_port_range: value('32768\t60999'),
        ip_unprivileged_port_start: value(1024),
        ping_group_range: value('1\t0'),
        ip_forward: value(0),
        tcp_rmem: value('4096\t131072\t6291456'),
        tcp_wmem: value('4096\t16384\t4194304'),
        tcp_fin_timeout: value(60),
        tcp_keepalive_time: value(7200),
        tcp_keepalive_intvl: value(75),
        tcp_keepalive_probes: value(9),
        tcp_syncookies: value(1),
        tcp_max_syn_backlog: value(4096),
      },
      ipv6: {
        bindv6only: value(0),
        conf: {
          all: { disable_ipv6: value(0) },
          default: { disable_ipv6: value(0) },
          lo: { disable_ipv6: value(0) },
        },
      },
      unix: {
        max_dgram_qlen: value(10),
      },
    },
  });
}
