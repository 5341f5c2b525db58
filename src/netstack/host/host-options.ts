// Which socket options of a sandbox socket reach the host socket behind it, and in what
// form. Only options an unprivileged socket may set go through: the sentry may run as
// root, and a host setsockopt made for the workload must not lend it the sentry's
// privileges (SO_MARK, SO_PRIORITY above 6, SO_*BUFFORCE, IP_TRANSPARENT, TCP_REPAIR ...
// stay out). SO_LINGER never goes as set: a lingering close would block the sentry's
// thread; a close with SO_LINGER 0 sends its reset (host-fd's owners do that at close).

import { IPV6_OPT, IP_OPT, SO, SOL, TCP_OPT } from '../../abi/linux-socket.js';
import type { OptionValue } from '../socket.js';

const PASSED = new Map<number, ReadonlySet<number>>([
  [SOL.SOCKET, new Set<number>([SO.REUSEADDR, SO.REUSEPORT, SO.KEEPALIVE, SO.SNDBUF, SO.RCVBUF, SO.RCVLOWAT, SO.BROADCAST, SO.OOBINLINE, SO.DONTROUTE])],
  [
    SOL.TCP,
    new Set<number>([
      TCP_OPT.NODELAY,
      TCP_OPT.MAXSEG,
      TCP_OPT.CORK,
      TCP_OPT.KEEPIDLE,
      TCP_OPT.KEEPINTVL,
      TCP_OPT.KEEPCNT,
      TCP_OPT.SYNCNT,
      TCP_OPT.LINGER2,
      TCP_OPT.DEFER_ACCEPT,
      TCP_OPT.WINDOW_CLAMP,
      TCP_OPT.QUICKACK,
      TCP_OPT.CONGESTION,
      TCP_OPT.USER_TIMEOUT,
      TCP_OPT.FASTOPEN,
      TCP_OPT.NOTSENT_LOWAT,
    ]),
  ],
  [SOL.IP, new Set<number>([IP_OPT.TOS, IP_OPT.TTL, IP_OPT.MTU_DISCOVER, IP_OPT.MULTICAST_TTL, IP_OPT.MULTICAST_LOOP])],
  [SOL.IPV6, new Set<number>([IPV6_OPT.UNICAST_HOPS, IPV6_OPT.MULTICAST_LOOP, IPV6_OPT.V6ONLY, IPV6_OPT.TCLASS])],
]);

/** Whether (level, name) is set on the host socket too. */
export function passesToHost(level: number, name: number): boolean {
  return PASSED.get(level)?.has(name) === true;
}

/** The option's value as setsockopt takes it (an int, or the bytes of a name). */
export function hostOptionBytes(value: OptionValue): Buffer | undefined {
  if (value.kind === 'int') {
    const out = Buffer.alloc(4);
    out.writeInt32LE(value.value | 0, 0);
    return out;
  }
  if (value.kind === 'bytes') return Buffer.from(value.bytes);
  return undefined;
}

/** SO_LINGER on, zero seconds: the host close that sends a reset. */
export const LINGER_RESET = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
