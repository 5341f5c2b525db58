// The kernel's networking tunables as the sandbox's stack has them (and as /proc/sys/net
// shows them): the defaults of a stock Linux.

export const NET_LIMITS = {
  /** net.core.wmem_default / rmem_default: SO_SNDBUF and SO_RCVBUF of a new socket. */
  wmemDefault: 212992,
  rmemDefault: 212992,
  /** net.core.wmem_max / rmem_max: the most setsockopt grants (then doubled). */
  wmemMax: 212992,
  rmemMax: 212992,
  /** net.core.somaxconn: listen(2)'s backlog is capped there. */
  somaxconn: 4096,
  /** net.unix.max_dgram_qlen: datagrams a unix socket queues before senders wait. */
  unixMaxDgramQlen: 10,
  /** net.ipv4.tcp_wmem / tcp_rmem: min, default, max. */
  tcpWmem: [4096, 16384, 4194304] as const,
  tcpRmem: [4096, 131072, 6291456] as const,
  /** net.ipv4.ip_local_port_range: where ephemeral ports come from. */
  localPortRange: [32768, 60999] as const,
} as const;

/** The least SO_SNDBUF and SO_RCVBUF may be (SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF). */
export const SOCK_MIN_SNDBUF = 4608;
export const SOCK_MIN_RCVBUF = 2304;
