// /proc/PID and /proc/PID/task/TID: one directory per sandbox process and thread.

import { E, fail } from '../../abi/errno.js';
import type { Location, ProcessView, UserNamespaceFiles } from '../api.js';
import { DirNode, FixedChildren, GeneratedFile, MagicLink, NumberedChildren, type Content, type Owner, type SynthFs, type SynthNode } from '../synthetic/nodes.js';
import { checkInspect, checkReaderInspects, processOf, readerContext, type ProcDeps } from './deps.js';
import { fdDir, fdinfoDir } from './fd-dir.js';
import { MemFile } from './mem-file.js';
import { mountinfoText, mountsText } from './mounts.js';
import { statText, statmText, statusText } from './pid-text.js';

const ID_MAP = `${'0'.padStart(10)} ${'0'.padStart(10)} ${'4294967295'.padStart(10)}\n`;
/** Linux takes a map in one write smaller than a page, at offset 0. */
const MAP_WRITE_MAX = 4096;

/**
 * The directory of process pid; with tid, the directory of that thread under task/
 * (the same files, minus task/, with the thread's id where Linux shows it).
 */
export function processDir(fs: SynthFs, deps: ProcDeps, pid: number, tid?: number): DirNode {
  const view = () => processOf(deps, pid);
  const owner = (): Owner => {
    const p = deps.providers.process(pid);
    return p ? { uid: p.euid, gid: p.egid } : { uid: 0, gid: 0 };
  };
  const shownTid = tid ?? pid;
  const file = (generate: (v: ProcessView) => Content, perm = 0o444) => new GeneratedFile(fs, perm, () => generate(view()), owner);
  const privateFile = (generate: (v: ProcessView) => Content) =>
    new GeneratedFile(
      fs,
      0o400,
      () => {
        const v = view();
        checkReaderInspects(deps, v);
        return generate(v);
      },
      owner,
    );
  const link = (where: (v: ProcessView) => Location | undefined) =>
    new MagicLink(
      fs,
      () => {
        const v = view();
        const reader = readerContext(deps);
        checkInspect(reader, v);
        const loc = where(v);
        if (!loc) fail(E.ENOENT);
        return deps.vfs.pathOf(reader, loc);
      },
      (ctx) => {
        const v = view();
        checkInspect(ctx, v);
        const loc = where(v);
        if (!loc) fail(E.ENOENT);
        return loc;
      },
      () => 0o777,
      owner,
    );

  const entries: [string, SynthNode][] = [];
  if (tid === undefined) {
    const tasks = new NumberedChildren(
      () => view().tids,
      (t) => processDir(fs, deps, pid, t),
    );
    entries.push(['task', new DirNode(fs, 0o555, tasks, owner, false)]);
  }
  entries.push(
    ['fd', fdDir(fs, deps, pid, owner)],
    ['fdinfo', fdinfoDir(fs, deps, pid, owner)],
    ['environ', privateFile((v) => v.environ)],
    ['status', file((v) => statusText(deps, v, shownTid))],
    ['cmdline', file((v) => v.cmdline)],
    ['stat', file((v) => statText(deps, v, shownTid))],
    ['statm', file((v) => statmText(v))],
    ['comm', commFile(fs, deps, pid, shownTid, owner)],
  );
  const sample = deps.providers.process(pid);
  if (sample?.maps) entries.push(['maps', privateFile((v) => v.maps?.() ?? '')]);
  // Both stay listed whatever the process runs now (an exec sets the auxv, a wasm module has no memory to give).
  if (sample?.maps) entries.push(['mem', new MemFile(fs, view, owner)], ['auxv', privateFile((v) => v.auxv ?? new Uint8Array())]);
  entries.push(
    ...(sample?.namespaces ? [['ns', namespaceDir(fs, deps, pid, sample.namespaces().keys(), owner)] as [string, SynthNode]] : []),
    ['mounts', file((v) => mountsText(deps, v))],
    ['mountinfo', file((v) => mountinfoText(deps, v))],
    ['cwd', link((v) => v.fsContext.cwd)],
    ['root', link((v) => v.fsContext.root)],
    ['exe', link((v) => v.exe)],
    ['cgroup', file(() => '0::/\n')],
    ['oom_score', file(() => '0\n')],
    ['oom_score_adj', file(() => '0\n')],
    ['loginuid', file(() => '4294967295')],
    ['sessionid', file(() => '4294967295')],
    ['uid_map', idMapFile(fs, view, owner, 'uid')],
    ['gid_map', idMapFile(fs, view, owner, 'gid')],
    ['projid_map', idMapFile(fs, view, owner, 'projid')],
    ['setgroups', userNamespaceFile(fs, view, owner, 'allow\n', (files) => files.readSetgroups(), (files, text) => files.writeSetgroups(text))],
    ['personality', privateFile((v) => `${(v.personality?.() ?? 0).toString(16).padStart(8, '0')}\n`)],
    ['wchan', file(() => '0')],
  );
  return new DirNode(fs, 0o555, new FixedChildren(entries), owner, false);
}

/**
 * /proc/PID/ns: a magic link per namespace, readable and followed only by who may inspect
 * the process; following one lands on the namespace's nsfs inode, never on a path.
 */
function namespaceDir(fs: SynthFs, deps: ProcDeps, pid: number, names: Iterable<string>, owner: () => Owner): DirNode {
  const linkOf = (name: string) => {
    const view = processOf(deps, pid);
    checkReaderInspects(deps, view);
    return view.namespaces?.().get(name) ?? fail(E.ENOENT);
  };
  const link = (name: string) =>
    new MagicLink(
      fs,
      () => linkOf(name).name,
      () => {
        const { inode, name: shown } = linkOf(name);
        return deps.vfs.anonymousLocation(inode, shown);
      },
      () => 0o777,
      owner,
    );
  return new DirNode(fs, 0o511, new FixedChildren([...names].map((name) => [name, link(name)])), owner, false);
}

/**
 * A file of the process's user namespace (initial: what it shows of the sandbox's own
 * when the process has no view of one): read as the reader sees it, written once with the
 * writer's privileges (one write at offset 0 below a page, else EINVAL).
 */
function userNamespaceFile(fs: SynthFs, view: () => ProcessView, owner: () => Owner, initial: string, read: (files: UserNamespaceFiles) => string, write: (files: UserNamespaceFiles, text: string) => void): GeneratedFile {
  return new GeneratedFile(
    fs,
    0o644,
    () => {
      const files = view().userNamespace?.();
      return files ? read(files) : initial;
    },
    owner,
    (data, position) => {
      const files = view().userNamespace?.() ?? fail(E.EPERM);
      if (position !== 0 || data.length >= MAP_WRITE_MAX) fail(E.EINVAL);
      write(files, Buffer.from(data).toString('latin1'));
    },
  );
}

function idMapFile(fs: SynthFs, view: () => ProcessView, owner: () => Owner, kind: 'uid' | 'gid' | 'projid'): GeneratedFile {
  return userNamespaceFile(fs, view, owner, ID_MAP, (files) => files.readMap(kind), (files, text) => files.writeMap(kind, text));
}

/** Linux keeps this many bytes of a name (TASK_COMM_LEN less the NUL). */
const COMM_MAX = 15;

/**
 * comm of a process (its leader) or of one thread: the name, and a write renames it, as
 * pthread_setname_np does through task/TID/comm; only from the same process (EINVAL).
 */
function commFile(fs: SynthFs, deps: ProcDeps, pid: number, tid: number, owner: () => Owner): GeneratedFile {
  return new GeneratedFile(
    fs,
    0o644,
    () => `${processOf(deps, pid).threadComm(tid)}\n`,
    owner,
    (data) => {
      const view = processOf(deps, pid);
      if (deps.providers.currentPid() !== pid) fail(E.EINVAL);
      const name = Buffer.from(data.subarray(0, COMM_MAX)).toString('latin1');
      const nul = name.indexOf('\0');
      view.setThreadComm(tid, nul < 0 ? name : name.slice(0, nul));
    },
  );
}
