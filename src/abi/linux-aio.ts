// Linux AIO (linux/aio_abi.h, fs/aio.c): struct aio_ring's header and io_event, struct
// iocb, its commands and flags, and the sandbox's aio-max-nr (Linux's default).

/** struct aio_ring's header (32 bytes) and the io_events after it (32 bytes each). */
export const AIO_RING = {
  headerSize: 32, eventSize: 32, magic: 0xa10a10a1,
  offset: { id: 0, nr: 4, head: 8, tail: 12, magic: 16, compatFeatures: 20, incompatFeatures: 24, headerLength: 28 },
} as const;

/** /proc/sys/fs/aio-max-nr: requests all contexts may reserve together. */
export const AIO_MAX_NR = 65536;

export const IOCB_CMD = { PREAD: 0, PWRITE: 1, FSYNC: 2, FDSYNC: 3, POLL: 5, NOOP: 6, PREADV: 7, PWRITEV: 8 } as const;
export const IOCB_FLAG_RESFD = 1;
/** struct iocb (64 bytes): field offsets. */
export const IOCB = { size: 64, data: 0, key: 8, rwFlags: 12, opcode: 16, fildes: 20, buf: 24, nbytes: 32, offset: 40, reserved2: 48, flags: 56, resfd: 60 } as const;
