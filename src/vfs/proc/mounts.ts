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

/** The per-mount flags, in the order show_mnt_opts prints them. */
const FLAG_WORDS: readonly [number, string][] = [
  [MS.NOSUID, 'nosuid'],
  [MS.NODEV, 'nodev'],
  [MS.NOEXEC, 'noexec'],
  [MS.NOATIME, 'noatime'],
  [MS.NODIRATIME, 'nodiratime'],
  [MS.RELATIME, 'relatime'],
  [MS.NOSYMFOLLOW, 'nosymfollow'],
];

function flagText(flags: number): string {
  return [flags & MS.RDONLY ? 'ro' : 'rw', ...FLAG_WORDS.filter(([flag]) => flags & flag).map(([, word]) => word)].join(',');
}

/** The mount's source (host paths were made "none" when the spec's mounts were made). */
function sourceText(source: string): string {
  return escapePath(source);
}

function dataOptions(options: readonly string[]): string[] {
  return options.filter((option) => !NOT_SHOWN.has(option));
}

/** The visible mounts with their mount points relative to the process's root. */
function visibleMounts(deps: ProcDeps, view: ProcessView): MountInfo[] {
  const rootPath = deps.vfs.pathOf(undefined, view.fsContext.root);
  const prefix = rootPath === '/' ? '' : rootPath;
  const shown: MountInfo[] = [];
  for (const mount of deps.vfs.mounts(view.fsContext)) {
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
      const superOptions = [m.superReadonly ? 'ro' : 'rw', ...dataOptions(m.options)].join(',');
      const optional = m.propagation === '' ? '' : ` ${m.propagation}`;
      return `${m.id} ${m.parentId} ${major}:${minor} ${escapePath(m.root)} ${escapePath(m.mountPoint)} ${flagText(m.flags)}${optional} - ${m.fsType} ${sourceText(m.source)} ${superOptions}\n`;
    })
    .join('');
}
