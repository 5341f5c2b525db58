// The character devices of the sandbox, registered by major:minor so that any node with
// that rdev opens them: the /dev tree's nodes, nodes made by mknod, and the device nodes
// the bundle's side file (tssc-rootfs-meta.json) presents (a /dev/null in the rootfs is
// the sandbox's null device; no host device node is ever opened).

import { randomFillSync } from 'node:crypto';
import { E, fail } from '../../abi/errno.js';
import type { FileImpl, FilesystemRegistry } from '../api.js';
import type { PtyTable } from '../devpts/table.js';
import { PTMX_MAJOR, PTMX_MINOR } from '../devpts/fs.js';

/** The devices /dev holds, with Linux's numbers and modes. */
export const DEVICES = {
  null: { major: 1, minor: 3 },
  zero: { major: 1, minor: 5 },
  full: { major: 1, minor: 7 },
  random: { major: 1, minor: 8 },
  urandom: { major: 1, minor: 9 },
  tty: { major: 5, minor: 0 },
  console: { major: 5, minor: 1 },
  ptmx: { major: PTMX_MAJOR, minor: PTMX_MINOR },
} as const;

function nullDevice(): FileImpl {
  return { seekable: true, read: () => 0, write: (buf) => buf.length };
}

/** The read of /dev/zero and /dev/full: as many zero bytes as asked for. */
function readZeros(buf: Uint8Array): number {
  buf.fill(0);
  return buf.length;
}

function zeroDevice(): FileImpl {
  return { seekable: true, read: readZeros, write: (buf) => buf.length };
}

function fullDevice(): FileImpl {
  return {
    seekable: true,
    read: readZeros,
    write: (buf) => (buf.length === 0 ? 0 : fail(E.ENOSPC)),
  };
}

/** random and urandom alike (as since Linux 5.6): never block; writes are accepted. */
function randomDevice(): FileImpl {
  return {
    seekable: true,
    read: (buf) => {
      randomFillSync(buf);
      return buf.length;
    },
    write: (buf) => buf.length,
  };
}

export function registerDevices(registry: FilesystemRegistry, ptys: PtyTable): void {
  const { null: nul, zero, full, random, urandom, tty, console, ptmx } = DEVICES;
  registry.registerCharDevice(nul.major, nul.minor, nullDevice);
  registry.registerCharDevice(zero.major, zero.minor, zeroDevice);
  registry.registerCharDevice(full.major, full.minor, fullDevice);
  registry.registerCharDevice(random.major, random.minor, randomDevice);
  registry.registerCharDevice(urandom.major, urandom.minor, randomDevice);
  registry.registerCharDevice(tty.major, tty.minor, (flags) => ptys.openControlling(flags));
  registry.registerCharDevice(console.major, console.minor, (flags) => ptys.openConsole(flags));
  registry.registerCharDevice(ptmx.major, ptmx.minor, (_flags, ctx) => ptys.openMaster(ctx));
}
