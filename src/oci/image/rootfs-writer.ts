// Unpacks tar streams (a rootfs tar, or image layers in order) into a rootfs directory
// without ever writing outside it: names are checked (entry-path.ts), every parent on the
// way is a real directory (never a symlink: a tar could plant one pointing outside and then
// write through it), files are created with O_EXCL so a final symlink is never followed,
// and hard links may only join two paths inside. What the host cannot hold for this user
// (ownership, devices, fifos, some modes) goes to the rootfs side file (rootfs-meta.ts).
// File system calls are synchronous on purpose: nothing else runs meanwhile, and a round
// trip through libuv's thread pool per call made unpacking about twice as slow.
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar, { type Header } from 'tar-stream';
import { TsscError } from '../errors.js';
import { entryName, hardlinkTarget, symlinkTarget } from './entry-path.js';
import type { RootfsMeta, SpecialFileType } from './rootfs-meta.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const PLACEHOLDER_MODE = 0o600;
const END_OF_ARCHIVE_BYTES = 1024;
// tar-stream reads this option, though its typings do not list it.
const LATIN1_NAMES = { filenameEncoding: 'latin1' } as unknown as Parameters<typeof tar.extract>[0];
const SPECIAL_TYPES: Partial<Record<Header['type'], SpecialFileType>> = {
  'character-device': 'c',
  'block-device': 'b',
  fifo: 'p',
};

export interface ApplyOptions {
  /** Layers of an image honour `.wh.` whiteouts; a plain rootfs tar does not. */
  whiteouts: boolean;
  /** Names the tar in error messages. */
  source: string;
}

/** An entry as tar-stream yields it: its header, and its content as chunks. */
type TarEntry = AsyncIterable<unknown> & { header: Header; resume(): void };

/** One tar entry, located: `rel` is rootfs-relative ("usr/bin/env"), bytes as latin1. */
interface Located {
  rel: string;
  key: string;
  host: Buffer;
  header: Header;
}

export class RootfsWriter {
  private readonly rootfs: Buffer;
  /** Relative paths already checked to be real directories (cleared whenever anything is removed). */
  private readonly checkedDirs = new Set<string>();
  /** Directory modes are set last, so a read-only directory does not stop later entries. */
  private readonly directoryModes = new Map<string, number>();

  constructor(
    rootfs: string,
    private readonly meta: RootfsMeta,
    /** True when the extracting user may chown (euid 0). */
    private readonly privileged: boolean,
  ) {
    this.rootfs = Buffer.from(rootfs);
  }

  async apply(input: Readable, options: ApplyOptions): Promise<void> {
    // latin1 keeps every byte of a name: sandbox paths are byte strings.
    const extract = tar.extract(LATIN1_NAMES);
    const layerPaths = new Set<string>();
    const ending = new EndOfArchiveCheck();
    const fed = pipeline(input, ending, extract as unknown as NodeJS.WritableStream);
    try {
      for await (const entry of extract) {
        await this.applyEntry(entry, options, layerPaths);
        entry.resume();
      }
      await fed;
      // tar-stream takes input that stops between two entries as a complete archive.
      if (!ending.sawEnd()) throw new TsscError('the archive is truncated (no end-of-archive marker)');
    } catch (error) {
      input.destroy();
      extract.destroy();
      await fed.catch(() => undefined);
      throw new TsscError(`${options.source}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Sets the deferred directory modes; call once after the last layer. */
  finish(): void {
    const deepestFirst = [...this.directoryModes.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [rel, mode] of deepestFirst) {
      const host = this.hostPath(rel);
      chmodSync(host, this.hostMode(mode, true));
      this.noteModeIfLost(lstatSync(host), '/' + rel, mode);
    }
  }

  /**
   * Makes the directory a mount will cover, as Docker's init layer does for /proc, /sys and
   * /dev, unless something is already there (then the runtime decides what to do with it).
   */
  addMountPoint(destination: string): void {
    const components = destination.split('/').filter((c) => c !== '' && c !== '.');
    if (components.includes('..')) return;
    for (let i = 1; i <= components.length; i++) {
      const host = this.hostPath(components.slice(0, i).join('/'));
      const stat = lstatIfExists(host);
      if (stat === undefined) mkdirSync(host, { mode: 0o755 });
      else if (!stat.isDirectory()) return;
    }
  }

  private async applyEntry(entry: TarEntry, options: ApplyOptions, layerPaths: Set<string>): Promise<void> {
    const { header } = entry;
    const components = entryName(header);
    if (components.length === 0) {
      if (header.type === 'directory') return; // "./": the rootfs itself
      throw new TsscError(`refusing tar entry ${JSON.stringify(header.name)}: names the rootfs itself`);
    }
    const base = components[components.length - 1] ?? '';
    const parent = components.slice(0, -1);
    for (let i = 1; i <= components.length; i++) layerPaths.add(components.slice(0, i).join('/'));

    if (options.whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
      this.ensureParents(parent, header.name);
      if (base === OPAQUE_MARKER) this.makeOpaque(parent.join('/'), layerPaths);
      else if (!base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) {
        // Other ".wh..wh." names are AUFS bookkeeping, not files of the image.
        const hidden = base.slice(WHITEOUT_PREFIX.length);
        if (hidden === '' || hidden === '.' || hidden === '..') {
          throw new TsscError(`refusing whiteout ${JSON.stringify(header.name)}: it names no file`);
        }
        this.removeTree([...parent, hidden].join('/'));
      }
      return;
    }

    this.ensureParents(parent, header.name);
    const rel = components.join('/');
    const located: Located = { rel, key: '/' + rel, host: this.hostPath(rel), header };
    switch (header.type) {
      case 'directory':
        return this.writeDirectory(located);
      case 'file':
      case 'contiguous-file':
        return this.writeFile(located, entry);
      case 'symlink':
        return this.writeSymlink(located);
      case 'link':
        return this.writeHardlink(located);
      case 'character-device':
      case 'block-device':
      case 'fifo':
        return this.writePlaceholder(located, SPECIAL_TYPES[header.type] ?? 'p');
      default:
        throw new TsscError(`tar entry ${JSON.stringify(header.name)}: unsupported type ${String(header.type)}`);
    }
  }

  /** Every parent must be a real directory inside the rootfs; missing ones are created. */
  private ensureParents(parent: string[], name: string): void {
    for (let i = 1; i <= parent.length; i++) {
      const rel = parent.slice(0, i).join('/');
      if (this.checkedDirs.has(rel)) continue;
      const host = this.hostPath(rel);
      const stat = lstatIfExists(host);
      if (stat === undefined) mkdirSync(host, { mode: 0o755 });
      else if (stat.isSymbolicLink()) {
        throw new TsscError(`refusing tar entry ${JSON.stringify(name)}: its parent /${rel} is a symbolic link`);
      } else if (!stat.isDirectory()) {
        throw new TsscError(`refusing tar entry ${JSON.stringify(name)}: its parent /${rel} is not a directory`);
      }
      this.checkedDirs.add(rel);
    }
  }

  private writeDirectory(at: Located): void {
    const existing = lstatIfExists(at.host);
    if (existing === undefined || !existing.isDirectory()) {
      if (existing !== undefined) this.removeTree(at.rel);
      // Owner rwx while unpacking; the image's mode comes in finish().
      mkdirSync(at.host, { mode: 0o700 });
    }
    // A directory entry again (later layers repeat parents) restates the directory only.
    this.meta.forget(at.key);
    this.checkedDirs.add(at.rel);
    this.settleOwner(at, (uid, gid) => lchownSync(at.host, uid, gid));
    this.directoryModes.set(at.rel, permissionBits(at.header));
  }

  private async writeFile(at: Located, content: AsyncIterable<unknown>): Promise<void> {
    this.removeTree(at.rel);
    // O_EXCL: fails rather than follow anything already at this name.
    const fd = openSync(at.host, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PLACEHOLDER_MODE);
    try {
      for await (const chunk of content) writeAll(fd, chunk as Uint8Array);
      this.settleOwner(at, (uid, gid) => fchownSync(fd, uid, gid));
      const mode = permissionBits(at.header);
      fchmodSync(fd, this.hostMode(mode, false));
      this.noteModeIfLost(fstatSync(fd), at.key, mode);
      futimesSync(fd, at.header.mtime, at.header.mtime);
    } finally {
      closeSync(fd);
    }
  }

  private writeSymlink(at: Located): void {
    this.removeTree(at.rel);
    symlinkSync(Buffer.from(symlinkTarget(at.header), 'latin1'), at.host);
    this.settleOwner(at, (uid, gid) => lchownSync(at.host, uid, gid));
  }

  private writeHardlink(at: Located): void {
    const target = hardlinkTarget(at.header);
    const targetRel = target.join('/');
    if (targetRel === at.rel) return;
    this.ensureParents(target.slice(0, -1), at.header.name);
    const targetHost = this.hostPath(targetRel);
    const stat = lstatIfExists(targetHost);
    const name = JSON.stringify(at.header.name);
    if (stat === undefined) throw new TsscError(`hard link ${name}: its target /${targetRel} is not in the rootfs`);
    if (stat.isDirectory()) throw new TsscError(`refusing hard link ${name}: its target /${targetRel} is a directory`);
    this.removeTree(at.rel);
    // link(2) does not follow a symlink target: a link to a symlink stays a symlink inside.
    linkSync(targetHost, at.host);
    const targetMeta = this.meta.get('/' + targetRel);
    if (targetMeta !== undefined) this.meta.merge(at.key, targetMeta);
  }

  /** Devices and fifos are never created on the host: an empty file stands in for them. */
  private writePlaceholder(at: Located, type: SpecialFileType): void {
    this.removeTree(at.rel);
    const fd = openSync(at.host, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PLACEHOLDER_MODE);
    try {
      const fields = { type, mode: permissionBits(at.header) };
      this.meta.merge(at.key, type === 'p' ? fields : { ...fields, major: at.header.devmajor, minor: at.header.devminor });
      this.settleOwner(at, (uid, gid) => fchownSync(fd, uid, gid));
    } finally {
      closeSync(fd);
    }
  }

  /** Puts the entry's owner on disk (privileged) or in the side file. */
  private settleOwner(at: Located, chown: (uid: number, gid: number) => void): void {
    const { uid, gid } = at.header;
    if (this.privileged) {
      try {
        chown(uid, gid);
        return;
      } catch {
        // e.g. an id outside this user namespace's map: keep it as metadata instead.
      }
    } else if (uid === 0 && gid === 0) {
      return; // the VFS presents the extracting user's files as 0:0 already
    }
    this.meta.merge(at.key, { uid, gid });
  }

  /** Without privilege the owner keeps read (and rwx on directories): the sentry must read, the user must delete. */
  private hostMode(mode: number, directory: boolean): number {
    if (this.privileged) return mode;
    return mode | (directory ? 0o700 : 0o400);
  }

  private noteModeIfLost(onDisk: Stats, key: string, mode: number): void {
    if ((onDisk.mode & 0o7777) !== mode) this.meta.merge(key, { mode });
  }

  /** Removes whatever is at `rel` (a directory with its contents), and its metadata. */
  private removeTree(rel: string): void {
    const host = this.hostPath(rel);
    const stat = lstatIfExists(host);
    if (stat === undefined) return;
    if (stat.isDirectory()) {
      // rm does not follow symlinks found inside; it only unlinks them.
      rmSync(host, { recursive: true, force: true });
      this.checkedDirs.clear();
      for (const dir of this.directoryModes.keys()) {
        if (dir === rel || dir.startsWith(rel + '/')) this.directoryModes.delete(dir);
      }
    } else {
      unlinkSync(host);
    }
    this.meta.forgetTree('/' + rel);
  }

  /** An opaque directory hides everything lower layers put in it. */
  private makeOpaque(dirRel: string, layerPaths: Set<string>): void {
    const names = readdirSync(dirRel === '' ? this.rootfs : this.hostPath(dirRel), { encoding: 'buffer' });
    for (const name of names) {
      const rel = (dirRel === '' ? '' : dirRel + '/') + name.toString('latin1');
      if (!layerPaths.has(rel)) this.removeTree(rel);
    }
  }

  private hostPath(rel: string): Buffer {
    return Buffer.concat([this.rootfs, Buffer.from('/' + rel, 'latin1')]);
  }
}

/** Passes a tar through, remembering its last bytes: a whole tar ends in two zero blocks. */
class EndOfArchiveCheck extends Transform {
  private tail: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.tail =
      chunk.length >= END_OF_ARCHIVE_BYTES
        ? chunk.subarray(-END_OF_ARCHIVE_BYTES)
        : Buffer.concat([this.tail, chunk]).subarray(-END_OF_ARCHIVE_BYTES);
    done(null, chunk);
  }

  sawEnd(): boolean {
    return this.tail.length === END_OF_ARCHIVE_BYTES && this.tail.every((byte) => byte === 0);
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset);
}

function lstatIfExists(host: Buffer): Stats | undefined {
  try {
    return lstatSync(host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function permissionBits(header: Header): number {
  return (header.mode ?? 0o644) & 0o7777;
}
