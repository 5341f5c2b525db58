// User namespaces (user_namespaces(7)), as Linux's kernel/user_namespace.c builds them. The
// sandbox's own namespace is the initial one: its ids are the "kernel ids" every other
// namespace maps onto (the host never sees any of them). A credential holds the sandbox's
// ids and the namespace it lives in; a syscall converts at its boundary, in and out, with
// the helpers below and nowhere else.

import { E, fail } from '../../../abi/errno.js';

/** create_user_ns refuses a new namespace below one at a deeper level than this (ENOSPC, as for too many). */
const MAX_PARENT_LEVEL = 32;
/** What an id with no mapping in the viewer's namespace shows as (/proc/sys/kernel/overflowuid). */
export const OVERFLOW_ID = 65534;
/** Linux's UID_GID_MAP_MAX_EXTENTS. */
const MAX_EXTENTS = 340;
const NO_ID = 0xffffffff;

/** One line of a map: ids first..first+count-1 of the namespace are lowerFirst.. of the sandbox. */
export interface IdExtent {
  readonly first: number;
  /** In the sandbox's (the initial namespace's) ids. */
  readonly lowerFirst: number;
  readonly count: number;
}

/** A uid or gid map: the identity over every valid id in the initial namespace, written once elsewhere. */
export class IdMap {
  constructor(readonly extents: readonly IdExtent[]) {}

  /** map_id_down: the sandbox id of id in the namespace, or undefined when unmapped. */
  down(id: number, count = 1): number | undefined {
    for (const e of this.extents) if (id >= e.first && id + count - 1 <= e.first + e.count - 1) return e.lowerFirst + (id - e.first);
    return undefined;
  }

  /** map_id_up: the namespace's id for a sandbox id, or undefined when unmapped. */
  up(kernelId: number): number | undefined {
    for (const e of this.extents) if (kernelId >= e.lowerFirst && kernelId - e.lowerFirst < e.count) return e.first + (kernelId - e.lowerFirst);
    return undefined;
  }
}

const IDENTITY = new IdMap([{ first: 0, lowerFirst: 0, count: NO_ID }]);

export type IdKind = 'uid' | 'gid' | 'projid';

export class UserNamespace {
  readonly level: number;
  private readonly maps: Record<IdKind, IdMap | undefined>;
  /** /proc/PID/setgroups: "deny" turns it off for good, before gid_map is written. */
  setgroupsAllowed = true;
  /** Namespaces made in it and alive, for the max_user_namespaces count. */
  private children = 0;

  constructor(
    readonly parent: UserNamespace | undefined,
    /** The creator's euid and egid (sandbox ids): that user has every capability in it from the parent. */
    readonly owner: number,
    readonly group: number,
    /** The creator had CAP_SETFCAP when it made it (it may then map the parent's root). */
    readonly parentCouldSetfcap: boolean,
  ) {
    this.level = parent ? parent.level + 1 : 0;
    this.maps = parent ? { uid: undefined, gid: undefined, projid: undefined } : { uid: IDENTITY, gid: IDENTITY, projid: IDENTITY };
  }

  map(kind: IdKind): IdMap | undefined {
    return this.maps[kind];
  }

  /** make_kuid/make_kgid: a namespace's id as a sandbox id, undefined when it has no mapping. */
  toKernel(kind: IdKind, id: number): number | undefined {
    if (id < 0 || id >= NO_ID) return undefined;
    return this.maps[kind]?.down(id);
  }

  /** from_kuid: a sandbox id as this namespace sees it, undefined when unmapped. */
  fromKernel(kind: IdKind, kernelId: number): number | undefined {
    return this.maps[kind]?.up(kernelId);
  }

  /** from_kuid_munged: unmapped ids show as the overflow id. */
  view(kind: IdKind, kernelId: number): number {
    return this.fromKernel(kind, kernelId) ?? OVERFLOW_ID;
  }

  /** The sandbox id of this namespace's root, undefined when 0 is not mapped. */
  get rootUid(): number | undefined {
    return this.toKernel('uid', 0);
  }

  /** This namespace or one of its ancestors is ns (in_userns). */
  isWithin(ns: UserNamespace): boolean {
    for (let n: UserNamespace | undefined = this; n; n = n.parent) if (n === ns) return true;
    return false;
  }

  /** The user namespace a new one made by owner/group in this one (create_user_ns), counted against limit. */
  child(owner: number, group: number, couldSetfcap: boolean, limit: number): UserNamespace {
    if (this.level > MAX_PARENT_LEVEL) fail(E.ENOSPC);
    if (this.fromKernel('uid', owner) === undefined || this.fromKernel('gid', group) === undefined) fail(E.EPERM);
    for (let n: UserNamespace | undefined = this; n; n = n.parent) if (n.children >= limit) fail(E.ENOSPC);
    for (let n: UserNamespace | undefined = this; n; n = n.parent) n.children++;
    const made = new UserNamespace(this, owner, group, couldSetfcap);
    endOfNamespace.register(made, this);
    return made;
  }

  /** Called when a child namespace is gone. */
  released(): void {
    for (let n: UserNamespace | undefined = this; n; n = n.parent) n.children = Math.max(0, n.children - 1);
  }

  /**
   * map_write's last step: the map, once its lines passed the checks, with lower ids
   * translated through the parent's map (EPERM where the parent cannot express them).
   * EPERM when it is written already.
   */
  setMap(kind: IdKind, extents: readonly IdExtent[]): void {
    const parent = this.parent ?? fail(E.EPERM);
    if (this.maps[kind]) fail(E.EPERM);
    const parentMap = parent.maps[kind] ?? fail(E.EPERM);
    const lowered = extents.map((e) => ({ ...e, lowerFirst: parentMap.down(e.lowerFirst, e.count) ?? fail(E.EPERM) }));
    this.maps[kind] = new IdMap(lowered);
  }
}

/** Counts a namespace out of its parent's when the last reference to it goes. */
const endOfNamespace = new FinalizationRegistry<UserNamespace>((parent) => parent.released());

/** The sandbox's own namespace: identity maps, no parent, every id valid. Immutable, so one serves every sandbox. */
export const INITIAL_USER_NAMESPACE = new UserNamespace(undefined, 0, 0, true);

/**
 * The lines of a uid_map/gid_map/projid_map write: "first lower count" each, at most 340,
 * no count 0, no range past 2^32-1 and no two ranges overlapping on either side (EINVAL).
 */
export function parseIdMap(text: string): IdExtent[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0 || lines.length > MAX_EXTENTS) fail(E.EINVAL);
  const extents = lines.map((line) => {
    const fields = line.trim().split(/[ \t]+/);
    if (fields.length !== 3 || !fields.every((f) => /^\d+$/.test(f))) fail(E.EINVAL);
    const [first, lowerFirst, count] = fields.map(Number) as [number, number, number];
    if (count === 0 || first + count > NO_ID || lowerFirst + count > NO_ID) fail(E.EINVAL);
    return { first, lowerFirst, count };
  });
  const overlaps = (a: number, an: number, b: number, bn: number): boolean => a < b + bn && b < a + an;
  extents.forEach((e, i) => {
    for (const other of extents.slice(0, i)) {
      if (overlaps(e.first, e.count, other.first, other.count) || overlaps(e.lowerFirst, e.count, other.lowerFirst, other.count)) fail(E.EINVAL);
    }
  });
  return extents;
}

/** /proc/PID/{uid,gid,projid}_map as reader sees it: lower ids in the reader's namespace (its parent when it reads its own). */
export function showIdMap(ns: UserNamespace, kind: IdKind, reader: UserNamespace): string {
  const lowerNs = reader === ns && ns.parent ? ns.parent : reader;
  const pad = (n: number): string => String(n).padStart(10);
  return (ns.map(kind)?.extents ?? [])
    .map((e) => `${pad(e.first)} ${pad(lowerNs.fromKernel(kind, e.lowerFirst) ?? NO_ID)} ${pad(e.count)}\n`)
    .join('');
}

/**
 * The namespace that owns another kind of namespace (a mount, uts, ipc, net or cgroup one):
 * the user namespace of the task that made it. Kept beside the namespaces rather than in
 * them so the VFS and netstack need not know user namespaces; weak, so it goes with them.
 * Every namespace the sandbox starts with, absent here, is owned by the initial one.
 */
const owners = new WeakMap<object, UserNamespace>();

export function recordOwner(namespace: object, owner: UserNamespace): void {
  owners.set(namespace, owner);
}

export function ownerOf(namespace: object): UserNamespace {
  return owners.get(namespace) ?? INITIAL_USER_NAMESPACE;
}
