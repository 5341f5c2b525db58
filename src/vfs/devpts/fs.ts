// The devpts filesystem: `ptmx` and one character device per open pseudo-terminal
// (136:N), all views of the sandbox's PtyTable. Mount options as Linux takes them:
// mode= for slaves (default 0600), gid= for their group, ptmxmode= (default 0000).

import { E, fail } from '../../abi/errno.js';
import { S, makedev, type FileImpl, type FilesystemType, type MountRequest, type Stat } from '../api.js';
import { parseId, parseMountOptions, parseOctal } from '../options.js';
import { DirNode, FixedChildren, MergedChildren, NumberedChildren, SynthFs, SynthNode, type Owner } from '../synthetic/nodes.js';
import { PTY_SLAVE_MAJOR, type PtyTable } from './table.js';

export const DEVPTS_SUPER_MAGIC = 0x1cd1;
/** Major and minor of /dev/ptmx. */
export const PTMX_MAJOR = 5;
export const PTMX_MINOR = 2;

/** A character device node of devpts; opening it goes through the registry's driver. */
class DeviceNode extends SynthNode {
  constructor(
    fs: SynthFs,
    perm: number,
    private readonly rdev: number,
    owner: () => Owner,
  ) {
    super(fs, S.IFCHR | perm, owner);
  }

  override stat(): Stat {
    return { ...super.stat(), rdev: this.rdev };
  }

  protected override acceptsWrites(): boolean {
    return true;
  }

  open(): FileImpl {
    // The VFS opens character devices by rdev through the registry, never through here.
    return fail(E.ENXIO);
  }
}

export function devptsType(table: PtyTable): FilesystemType {
  return {
    name: 'devpts',
    mount(request: MountRequest): SynthFs {
      const where = `mount ${request.destination}`;
      const data = parseMountOptions(request.options).data;
      const mode = data.has('mode') ? parseOctal(data.get('mode') as string, where) : 0o600;
      const ptmxMode = data.has('ptmxmode') ? parseOctal(data.get('ptmxmode') as string, where) : 0o000;
      const gid = data.has('gid') ? parseId(data.get('gid') as string, where) : undefined;
      return new SynthFs('devpts', request.dev, DEVPTS_SUPER_MAGIC, (fs) => {
        const ptmx = new DeviceNode(fs, ptmxMode, makedev(PTMX_MAJOR, PTMX_MINOR), () => ({ uid: 0, gid: 0 }));
        const slaves = new NumberedChildren(
          () => table.indices(),
          (index) =>
            new DeviceNode(fs, mode, makedev(PTY_SLAVE_MAJOR, index), () => {
              const owner = table.ownerOf(index) ?? { uid: 0, gid: 0 };
              return { uid: owner.uid, gid: gid ?? owner.gid };
            }),
          // Cookies above ptmx's.
          4,
        );
        return new DirNode(fs, 0o755, new MergedChildren([new FixedChildren([['ptmx', ptmx]]), slaves]), undefined, false);
      });
    },
  };
}
