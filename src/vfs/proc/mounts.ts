// /proc/PID/mounts and /proc/PID/mountinfo: the sandbox's mount table as the process sees
// it (mounts outside its root are left out, paths start at its root).

import { MS, type MountInfo, type ProcessView } from '../api.js';
import type { ProcDeps } from './deps.js';

/** Options that only say how to mount; /proc shows the resulting state instead. */
const NOT_SHOWN = new Set(['bind', 'rbind', 'private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable', 'defaults', 'rw', 'ro', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'relatime', 'noatime', 'nodiratime', 'strictatime', 'atime', 'sync', 'async']);

/** The octal escapes the kernel's mangle() applies to paths in mount tables. */
function escapePath(text: string): string {
  return text.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

function flagText(flags: number): string {
  const parts = [flags & MS.RDONLY ? 'ro' : 'rw'];
  if (flags & MS.NOSUID) parts.push('nosuid');
  if (flags & MS.NODEV) parts.push('nodev');
  if (flags & MS.NOEXEC) parts.push('noexec');
  if (flags & MS.NOATIME) parts.push('noatime');
  else if (flags & MS.NODIRATIME) parts.push('nodiratime');
  else parts.push('relatime');
  return parts.join(',');
}

/**
 * The mount's source as the sandbox may see it: names such as "proc" or "tmpfs" as given,
 * host paths (the rootfs, bind sources) as "none", so no host path shows inside.
 */
function sourceText(source: string): string {
  return source.startsWith('/') ? 'none' : escapePath(source);
}

function dataOptions(options: readonly string[]): string[] {
  return options.filter((option) => !NOT_SHOWN.has(option));
}

/** The visible mounts with their mount points relative to the process's root. */
function visibleMounts(deps: ProcDeps, view: ProcessView): MountInfo[] {
  const rootPath = deps.vfs.pathOf(undefined, view.fsContext.root);
  const prefix = rootPath === '/' ? '' : rootPath;
  const shown: MountInfo[] = [];
  for (const mount of deps.vfs.mounts()) {
    const point = mount.mountPoint;
    if (prefix && point !== prefix && !point.startsWith(`${prefix}/`)) continue;
    shown.push({ ...mount, mountPoint: point.slice(prefix.length) || '/' });
  }
  return shown;
}

export function mountsText(deps: ProcDeps, view: ProcessView): string {
  return visibleMounts(deps, view)
    .map((m) => {
      const options = [flagText(m.flags), ...dataOptions(m.options)].join(',');
      return `${sourceText(m.source)} ${escapePath(m.mountPoint)} ${m.fsType} ${options} 0 0\n`;
    })
    .join('');
}

export function mountinfoText(deps: ProcDeps, view: ProcessView): string {
  return visibleMounts(deps, view)
    .map((m) => {
      const major = (m.dev >>> 8) & 0xfff;
      const minor = (m.dev & 0xff) | ((m.dev >>> 12) & 0xfff00);
      const superOptions = [m.flags & MS.RDONLY ? 'ro' : 'rw', ...dataOptions(m.options)].join(',');
      return `${m.id} ${m.parentId} ${major}:${minor} ${escapePath(m.root)} ${escapePath(m.mountPoint)} ${flagText(m.flags)} - ${m.fsType} ${sourceText(m.source)} ${superOptions}\n`;
    })
    .join('');
}
