// The host network addon (native/ptrace/src/hostnet.c): host sockets for the sandbox's
// network modes, opened in the sentry's network namespace or a given one, their
// non-blocking calls, and their readiness on Node's loop. Loaded on first use. Every call
// returns -errno on failure, as the kernel does.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** uv_poll's event bits. */
export const UV_POLL = { READABLE: 1, WRITABLE: 2, DISCONNECT: 4 } as const;

/** One getifaddrs entry: [name, index, flags, family, address, netmask] (AF_PACKET: the hardware address). */
export type InterfaceRow = [string, number, number, number, Buffer | null, Buffer | null];

export interface HostnetAddon {
  openNamespace(path: string): number;
  /** A non-blocking, close-on-exec socket in the namespace nsFd (-1: the sentry's own). */
  socket(domain: number, type: number, protocol: number, nsFd: number): number;
  bind(fd: number, address: Buffer): number;
  connect(fd: number, address: Buffer): number;
  listen(fd: number, backlog: number): number;
  /** [fd, address length] or -errno. */
  accept(fd: number, addressOut: Buffer | null): [number, number] | number;
  send(fd: number, data: Uint8Array, flags: number, address: Buffer | null): number;
  /** [bytes, msg_flags, address length] or -errno. */
  recv(fd: number, into: Uint8Array, flags: number, addressOut: Buffer | null): [number, number, number] | number;
  shutdown(fd: number, how: number): number;
  getSockOpt(fd: number, level: number, name: number, out: Buffer): number;
  setSockOpt(fd: number, level: number, name: number, value: Buffer): number;
  sockName(fd: number, out: Buffer): number;
  peerName(fd: number, out: Buffer): number;
  /** SIOCINQ (outgoing 0) or SIOCOUTQ (1). */
  queued(fd: number, outgoing: number): number;
  poll(fd: number, events: number): number;
  onReady(callback: (fd: number, events: number) => void): number;
  watch(fd: number, uvEvents: number): number;
  close(fd: number): number;
  interfaces(nsFd: number): InterfaceRow[] | number;
}

const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'ptrace', 'build', 'Release');

let addon: HostnetAddon | undefined;

export function loadHostnet(): HostnetAddon {
  if (addon) return addon;
  const addonPath = join(buildDir, 'tssc_hostnet.node');
  if (!existsSync(addonPath)) throw new Error(`the host network helper is not built (${addonPath}); run \`npm run build:native\``);
  addon = createRequire(import.meta.url)(addonPath) as HostnetAddon;
  return addon;
}
