// System V shared memory (Linux's struct shmid_kernel and its namespace's shm_ids): each
// segment's pages are one memory file of the sandbox (charged to its memory account, and
// moved into a host memory file when first attached), so every process that attaches it
// maps the same pages. A process's attachments are counted in shm_nattch: shmat adds one,
// fork copies them, shmdt, exec and exit drop them; a segment removed with IPC_RMID lives
// on (SHM_DEST, its key private) until its last attachment is gone, as Linux keeps it.
// munmap and mremap run on the host without the sentry: whoever reads shm_nattch (or
// removes a segment) first checks the attachments against the host's mappings, by the
// segment's host memory file, so an unmapped attachment is dropped then (with the time
// of that check as shm_dtime) and a moved one is found where it went.

import { SHM, SHM_LIMITS } from '../../../abi/linux-ipc.js';
import { PAGE_SIZE } from '../../../abi/linux-mman.js';
import type { FileDescription } from '../../../vfs/api.js';
import { IpcObject, type IpcPerm } from './perm.js';
import { IpcRegistry } from './registry.js';

/** A segment's memory file, opened for shmat with and without SHM_RDONLY. */
export interface SegmentFiles {
  readonly readWrite: FileDescription;
  readonly readOnly: FileDescription;
}

/** A host mapping as /proc/PID/maps shows it: where, at which offset of which host file. */
export interface HostVma {
  readonly start: bigint;
  readonly end: bigint;
  readonly offset: bigint;
  readonly device: string;
  readonly inode: string;
}

/** Which host file a mapping maps ("device inode"; inode 0: none). */
function hostFileOf(vma: HostVma): string | undefined {
  return vma.inode === '0' ? undefined : `${vma.device} ${vma.inode}`;
}

export class ShmSegment extends IpcObject {
  nattch = 0;
  /** Its host memory file as the host's maps name it, learned at its first attachment. */
  hostFile: string | undefined;
  lpid = 0;
  atime = 0;
  dtime = 0;
  ctime: number;

  constructor(
    perm: IpcPerm,
    /** shm_segsz: the size asked for, in bytes. */
    readonly size: number,
    private readonly files: SegmentFiles,
    readonly cpid: number,
    now: number,
  ) {
    super(perm);
    this.ctime = now;
  }

  /** Pages the segment takes (what shmall and shm_tot count). */
  get pages(): number {
    return Math.ceil(this.size / Number(PAGE_SIZE));
  }

  /** Removed with IPC_RMID while attached: it goes with its last attachment. */
  get destroyPending(): boolean {
    return (this.perm.mode & SHM.DEST) !== 0;
  }

  /** The description shmat maps: read-only for SHM_RDONLY, so no mprotect can make it writable. */
  file(readOnly: boolean): FileDescription {
    return readOnly ? this.files.readOnly : this.files.readWrite;
  }

  /** Pages that hold memory now (shm_rss). */
  get residentPages(): number {
    return Math.ceil((this.files.readWrite.stat().blocks * 512) / Number(PAGE_SIZE));
  }

  /** The pages go back to the sandbox's memory account. */
  release(): void {
    this.files.readWrite.unref();
    this.files.readOnly.unref();
  }
}

/** One shmat of a process: the segment and the range of the mapping. */
export interface ShmAttachment {
  readonly segment: ShmSegment;
  /** Where it starts (mremap may have moved it since shmat). */
  start: bigint;
  readonly length: bigint;
}

export class SharedMemory {
  readonly segments = new IpcRegistry<ShmSegment>(SHM_LIMITS.shmmni);
  /** Pages of all segments (shm_tot). */
  totalPages = 0;
  /** Each process's attachments, by virtual pid. */
  private readonly attached = new Map<number, ShmAttachment[]>();

  /** A new segment counts against shmall. */
  added(segment: ShmSegment): void {
    this.totalPages += segment.pages;
  }

  /**
   * shmat, before the mapping: the segment is held (shm_nattch) so nothing destroys it
   * while it is being mapped; attached or unheld then follows.
   */
  hold(segment: ShmSegment): void {
    segment.nattch++;
  }

  /** The mapping is there: the hold is pid's attachment now (vmas: pid's host mappings, where its host file shows). */
  attach(pid: number, segment: ShmSegment, start: bigint, length: bigint, now: number, vmas?: readonly HostVma[]): void {
    const vma = vmas?.find((v) => v.start <= start && v.end > start);
    if (segment.hostFile === undefined && vma) segment.hostFile = hostFileOf(vma);
    let list = this.attached.get(pid);
    if (!list) this.attached.set(pid, (list = []));
    list.push({ segment, start, length });
    segment.atime = now;
    segment.lpid = pid;
    segment.changed();
  }

  /** The mapping failed: the hold ends (and a removed segment may go with it). */
  unheld(segment: ShmSegment): void {
    segment.nattch--;
    this.destroyIfDone(segment);
  }

  /** shmdt: pid's attachment that starts at start, taken off its list; undefined when there is none. */
  detach(pid: number, start: bigint, now: number): ShmAttachment | undefined {
    const list = this.attached.get(pid);
    const index = list?.findIndex((a) => a.start === start) ?? -1;
    if (!list || index < 0) return undefined;
    const [attachment] = list.splice(index, 1);
    if (list.length === 0) this.attached.delete(pid);
    this.dropped(attachment!.segment, pid, now);
    return attachment;
  }

  /** fork: the child's address space has the parent's attachments too. */
  forked(parent: number, child: number, now: number): void {
    const list = this.attached.get(parent);
    if (!list) return;
    this.attached.set(child, list.map((attachment) => ({ ...attachment })));
    for (const { segment } of list) {
      segment.nattch++;
      segment.atime = now;
      segment.lpid = parent;
    }
  }

  /** exec or exit: the address space with every attachment of pid is gone. */
  detachAll(pid: number, now: number): void {
    const list = this.attached.get(pid);
    if (!list) return;
    this.attached.delete(pid);
    for (const { segment } of list) this.dropped(segment, pid, now);
  }

  /**
   * The host ran munmap or mremap without the sentry: each process's attachments are
   * checked against its host mappings (vmasOf; undefined for a process that is gone, whose
   * exit drops them). An attachment is kept while a mapping of its segment's host file
   * overlaps it; else it is found where mremap moved it (its file's offset 0, not another
   * attachment's), or dropped. A sibling thread racing the check is seen before or after
   * its munmap, as a reader on Linux sees it.
   */
  reconcile(vmasOf: (pid: number) => readonly HostVma[] | undefined, now: number): void {
    for (const [pid, list] of [...this.attached]) {
      const vmas = vmasOf(pid);
      if (!vmas) continue;
      const claimed = new Set<HostVma>();
      const lost: ShmAttachment[] = [];
      for (const attachment of list) {
        const file = attachment.segment.hostFile;
        if (file === undefined) continue;
        const end = attachment.start + attachment.length;
        const overlapping = vmas.filter((v) => hostFileOf(v) === file && v.start < end && v.end > attachment.start);
        if (overlapping.length === 0) lost.push(attachment);
        for (const v of overlapping) claimed.add(v);
      }
      for (const attachment of lost) {
        const moved = vmas.find((v) => !claimed.has(v) && v.offset === 0n && hostFileOf(v) === attachment.segment.hostFile);
        if (moved) {
          claimed.add(moved);
          attachment.start = moved.start;
          continue;
        }
        list.splice(list.indexOf(attachment), 1);
        this.dropped(attachment.segment, pid, now);
      }
      if (list.length === 0) this.attached.delete(pid);
    }
  }

  /** IPC_RMID: gone now when nothing is attached, else at the last detach; no shmget finds it again. */
  remove(segment: ShmSegment): void {
    segment.perm.mode |= SHM.DEST;
    segment.perm.key = 0;
    this.destroyIfDone(segment);
  }

  private dropped(segment: ShmSegment, pid: number, now: number): void {
    segment.nattch--;
    segment.lpid = pid;
    segment.dtime = now;
    segment.changed();
    this.destroyIfDone(segment);
  }

  private destroyIfDone(segment: ShmSegment): void {
    if (!segment.destroyPending || segment.nattch > 0 || segment.removed) return;
    this.segments.remove(segment);
    this.totalPages -= segment.pages;
    segment.release();
  }
}
