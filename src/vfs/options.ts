// Mount options of an OCI mount entry: the MS_* flags the VFS keeps per mount and the
// data options (size=, mode=, uid=, gid=) a tmpfs takes.

import * as os from 'node:os';
import { MS } from './api.js';

const FLAG_OPTIONS: Record<string, [set: number, clear: number]> = {
  ro: [MS.RDONLY, 0],
  rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0],
  suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0],
  dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0],
  exec: [0, MS.NOEXEC],
  noatime: [MS.NOATIME, 0],
  nodiratime: [MS.NODIRATIME, 0],
  relatime: [MS.RELATIME, 0],
};

/** Options that say how to mount, not what: accepted and without effect here. */
const NEUTRAL_OPTIONS = new Set(['bind', 'rbind', 'private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable', 'strictatime', 'atime', 'sync', 'async', 'defaults']);

/** Every mount option tssc takes (flags, neutral ones, and the data options its filesystems read). */
export function knownMountOptions(): string[] {
  const data = ['size', 'mode', 'uid', 'gid', 'ptmxmode'].map((key) => `${key}=`);
  return [...Object.keys(FLAG_OPTIONS), ...NEUTRAL_OPTIONS, ...data].sort();
}

export interface ParsedOptions {
  flags: number;
  isBind: boolean;
  /** key=value options (tmpfs size/mode/uid/gid, devpts ptmxmode/gid ...). */
  data: Map<string, string>;
}

export function parseMountOptions(options: readonly string[]): ParsedOptions {
  let flags = 0;
  const data = new Map<string, string>();
  for (const option of options) {
    const known = FLAG_OPTIONS[option];
    if (known) {
      flags = (flags | known[0]) & ~known[1];
      continue;
    }
    const eq = option.indexOf('=');
    if (eq > 0) data.set(option.slice(0, eq), option.slice(eq + 1));
    else if (!NEUTRAL_OPTIONS.has(option)) data.set(option, '');
  }
  return { flags, isBind: options.includes('bind') || options.includes('rbind'), data };
}

/** A tmpfs without size= may hold half of the machine's memory, as Linux's does. */
export function defaultTmpfsSize(): number {
  return Math.floor(os.totalmem() / 2);
}

/** tmpfs size=: bytes with k/m/g suffix or a percentage of memory. */
export function parseSize(text: string, what: string): number {
  const match = /^(\d+)([kKmMgGtT%]?)$/.exec(text);
  if (!match) throw new Error(`${what}: invalid size "${text}"`);
  const value = Number(match[1]);
  const suffix = (match[2] ?? '').toLowerCase();
  if (suffix === '%') return Math.floor((os.totalmem() * value) / 100);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[suffix] ?? 1;
  return value * scale;
}

export function parseOctal(text: string, what: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw new Error(`${what}: invalid mode "${text}"`);
  return parseInt(text, 8);
}

export function parseId(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${what}: invalid id "${text}"`);
  return Number(text);
}
