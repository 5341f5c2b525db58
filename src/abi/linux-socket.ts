// Linux x86-64 values of the socket API: address families, socket types, levels and
// options, message flags, control message types, and the sizes of the structs that carry
// them (linux/socket.h, linux/in.h, linux/in6.h, linux/tcp.h, linux/un.h, asm-generic/socket.h).

export const AF = {
  UNSPEC: 0,
  UNIX: 1,
  INET: 2,
  INET6: 10,
  NETLINK: 16,
  PACKET: 17,
} as const;

/** socket(2) types; SOCK_NONBLOCK and SOCK_CLOEXEC ride in the same argument. */
export const SOCK = {
  STREAM: 1,
  DGRAM: 2,
  RAW: 3,
  RDM: 4,
  SEQPACKET: 5,
  PACKET: 10,
  TYPE_MASK: 0xf,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
} as const;

export const SOL = {
  IP: 0,
  SOCKET: 1,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  RAW: 255,
  NETLINK: 270,
} as const;

export const IPPROTO = {
  IP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ICMPV6: 58,
  RAW: 255,
} as const;

/** SOL_SOCKET options. */
export const SO = {
  DEBUG: 1,
  REUSEADDR: 2,
  TYPE: 3,
  ERROR: 4,
  DONTROUTE: 5,
  BROADCAST: 6,
  SNDBUF: 7,
  RCVBUF: 8,
  KEEPALIVE: 9,
  OOBINLINE: 10,
  NO_CHECK: 11,
  PRIORITY: 12,
  LINGER: 13,
  BSDCOMPAT: 14,
  REUSEPORT: 15,
  PASSCRED: 16,
  PEERCRED: 17,
  RCVLOWAT: 18,
  SNDLOWAT: 19,
  RCVTIMEO_OLD: 20,
  SNDTIMEO_OLD: 21,
  BINDTODEVICE: 25,
  ATTACH_FILTER: 26,
  DETACH_FILTER: 27,
  PEERNAME: 28,
  TIMESTAMP_OLD: 29,
  ACCEPTCONN: 30,
  PEERSEC: 31,
  SNDBUFFORCE: 32,
  PASSSEC: 34,
  TIMESTAMPNS_OLD: 35,
  MARK: 36,
  TIMESTAMPING_OLD: 37,
  PROTOCOL: 38,
  DOMAIN: 39,
  RXQ_OVFL: 40,
  PEEK_OFF: 42,
  NOFCS: 43,
  BUSY_POLL: 46,
  INCOMING_CPU: 49,
  COOKIE: 57,
  PEERGROUPS: 59,
  ZEROCOPY: 60,
  TXTIME: 61,
  BINDTOIFINDEX: 62,
  RCVTIMEO_NEW: 66,
  SNDTIMEO_NEW: 67,
  PASSPIDFD: 76,
  PEERPIDFD: 77,
} as const;

/** IPPROTO_TCP options. */
export const TCP_OPT = {
  NODELAY: 1,
  MAXSEG: 2,
  CORK: 3,
  KEEPIDLE: 4,
  KEEPINTVL: 5,
  KEEPCNT: 6,
  SYNCNT: 7,
  LINGER2: 8,
  DEFER_ACCEPT: 9,
  WINDOW_CLAMP: 10,
  INFO: 11,
  QUICKACK: 12,
  CONGESTION: 13,
  USER_TIMEOUT: 18,
  FASTOPEN: 23,
  NOTSENT_LOWAT: 25,
} as const;

/** IPPROTO_IP options. */
export const IP_OPT = {
  TOS: 1,
  TTL: 2,
  HDRINCL: 3,
  OPTIONS: 4,
  PKTINFO: 8,
  RECVERR: 11,
  RECVTTL: 12,
  RECVTOS: 13,
  MTU_DISCOVER: 10,
  MULTICAST_TTL: 33,
  MULTICAST_LOOP: 34,
  ADD_MEMBERSHIP: 35,
} as const;

/** IPPROTO_IPV6 options. */
export const IPV6_OPT = {
  UNICAST_HOPS: 16,
  MULTICAST_LOOP: 19,
  V6ONLY: 26,
  RECVPKTINFO: 49,
  PKTINFO: 50,
  TCLASS: 67,
} as const;

/** send/recv flags. */
export const MSG = {
  OOB: 0x1,
  PEEK: 0x2,
  DONTROUTE: 0x4,
  CTRUNC: 0x8,
  PROXY: 0x10,
  TRUNC: 0x20,
  DONTWAIT: 0x40,
  EOR: 0x80,
  WAITALL: 0x100,
  FIN: 0x200,
  SYN: 0x400,
  CONFIRM: 0x800,
  RST: 0x1000,
  ERRQUEUE: 0x2000,
  NOSIGNAL: 0x4000,
  MORE: 0x8000,
  WAITFORONE: 0x10000,
  BATCH: 0x40000,
  ZEROCOPY: 0x4000000,
  FASTOPEN: 0x20000000,
  CMSG_CLOEXEC: 0x40000000,
} as const;

/** SOL_SOCKET control message types. */
export const SCM = {
  RIGHTS: 1,
  CREDENTIALS: 2,
  SECURITY: 3,
  PIDFD: 4,
} as const;

/** shutdown(2) how. */
export const SHUT = {
  RD: 0,
  WR: 1,
  RDWR: 2,
} as const;

/** Netlink protocols. */
export const NETLINK = {
  ROUTE: 0,
  AUDIT: 9,
  KOBJECT_UEVENT: 15,
} as const;

/** struct sockaddr_storage: the most bytes an address may have (move_addr_to_kernel). */
export const SOCKADDR_STORAGE_SIZE = 128;
/** offsetof(struct sockaddr_un, sun_path) and sizeof(struct sockaddr_un). */
export const SUN_PATH_OFFSET = 2;
export const SOCKADDR_UN_SIZE = 110;
export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;
export const SOCKADDR_NL_SIZE = 12;

/** struct msghdr and struct mmsghdr on x86-64. */
export const MSGHDR_SIZE = 56;
export const MMSGHDR_SIZE = 64;
/** struct cmsghdr: size_t len, int level, int type; data aligned to 8. */
export const CMSGHDR_SIZE = 16;
/** struct ucred: pid_t pid, uid_t uid, gid_t gid. */
export const UCRED_SIZE = 12;
/** struct linger: int l_onoff, int l_linger. */
export const LINGER_SIZE = 8;

/** SCM_MAX_FD: the most fds one SCM_RIGHTS message may carry. */
export const SCM_MAX_FD = 253;

/** Socket ioctls (linux/sockios.h). */
export const SIOC = {
  INQ: 0x541b, // = FIONREAD
  OUTQ: 0x5411, // = TIOCOUTQ
  OUTQNSD: 0x894b,
  ATMARK: 0x8905,
  GSTAMP: 0x8906,
  GIFNAME: 0x8910,
  GIFCONF: 0x8912,
  GIFFLAGS: 0x8913,
  SIFFLAGS: 0x8914,
  GIFADDR: 0x8915,
  GIFDSTADDR: 0x8917,
  GIFBRDADDR: 0x8919,
  GIFNETMASK: 0x891b,
  GIFMETRIC: 0x891d,
  GIFMTU: 0x8921,
  GIFHWADDR: 0x8927,
  GIFINDEX: 0x8933,
  GIFTXQLEN: 0x8942,
} as const;
