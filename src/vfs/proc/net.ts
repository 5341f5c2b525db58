// /proc/net: the sandbox's own network (its sockets, its interfaces), as the providers
// describe it; never the host's. The files are the stack's to name, so the listing and
// each file's text are asked for when read.

import type { SynthFs, SynthNode, Children } from '../synthetic/nodes.js';
import { DirNode, GeneratedFile } from '../synthetic/nodes.js';
import type { ProcDeps } from './deps.js';

const FIRST_COOKIE = 3;

class NetChildren implements Children {
  /** One node per name for as long as the filesystem lives: an inode keeps its identity. */
  private readonly nodes = new Map<string, SynthNode>();

  constructor(
    private readonly fs: SynthFs,
    private readonly deps: ProcDeps,
  ) {}

  private names(): readonly string[] {
    return this.deps.providers.networkFiles?.() ?? [];
  }

  private node(name: string): SynthNode {
    let node = this.nodes.get(name);
    if (!node) {
      node = new GeneratedFile(this.fs, 0o444, () => this.deps.providers.networkFile?.(name) ?? '');
      this.nodes.set(name, node);
    }
    return node;
  }

  lookup(name: string): SynthNode | undefined {
    return this.names().includes(name) ? this.node(name) : undefined;
  }

  *list(): Iterable<readonly [string, SynthNode, number]> {
    let cookie = FIRST_COOKIE;
    for (const name of this.names()) yield [name, this.node(name), cookie++];
  }
}

export function netDir(fs: SynthFs, deps: ProcDeps): DirNode {
  return new DirNode(fs, 0o555, new NetChildren(fs, deps), undefined, false);
}
