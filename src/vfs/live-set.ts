// A set that holds its members weakly and iterates over the ones still alive: the
// namespaces of a sandbox, which live as long as a task, an open file or a mount holds
// them (as Linux frees a namespace with its last reference), while the sandbox can still
// reach every one in use.

export class LiveSet<T extends object> implements Iterable<T> {
  private readonly refs = new Set<WeakRef<T>>();

  constructor(members: Iterable<T> = []) {
    for (const member of members) this.add(member);
  }

  add(member: T): void {
    this.refs.add(new WeakRef(member));
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const ref of this.refs) {
      const member = ref.deref();
      if (member) yield member;
      else this.refs.delete(ref);
    }
  }
}
