import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { O } from '../../../src/abi/linux-fcntl.js';
import { POLL, S } from '../../../src/vfs/index.js';
import { MqueueNamespace, queueBytes } from '../../../src/vfs/mqueue/namespace.js';
import { MemoryAccount } from '../../../src/accounting/memory-account.js';
import { errnoOf, listDir, readAll, userCtx } from '../helpers.js';
import { ALL_CAPS } from '../helpers.js';
import { MQUEUE_MOUNT, SPEC_MOUNTS, bytes, makeSandbox, text } from './sandbox.js';

const root = { uid: 0, gid: 0, groups: [], caps: ALL_CAPS };
const user = { uid: 1000, gid: 1000, groups: [], caps: 0n };

function receive(ns: MqueueNamespace, name: string, size = 8192): [string, number] {
  const buf = new Uint8Array(size);
  const { length, priority } = (ns.get(name)!).queue.receive(buf);
  return [text(buf, length), priority];
}

describe('POSIX message queues', () => {
  it('deliver by priority, first in first out within one', () => {
    const ns = new MqueueNamespace(new MemoryAccount());
    const q = ns.open('q', O.CREAT | O.RDWR, 0o600, undefined, root).queue;
    q.send(bytes('low-1'), 1);
    q.send(bytes('high'), 9);
    q.send(bytes('low-2'), 1);
    q.send(bytes('zero'), 0);
    expect([receive(ns, 'q'), receive(ns, 'q'), receive(ns, 'q'), receive(ns, 'q')]).toEqual([
      ['high', 9],
      ['low-1', 1],
      ['low-2', 1],
      ['zero', 0],
    ]);
  });

  it('say EAGAIN when empty or full, EMSGSIZE and EINVAL on bad sizes and priorities', () => {
    const ns = new MqueueNamespace(new MemoryAccount());
    const q = ns.open('q', O.CREAT | O.RDWR, 0o600, { maxmsg: 2, msgsize: 4 }, root).queue;
    expect(errnoOf(() => q.receive(new Uint8Array(4)))).toBe(E.EAGAIN);
    expect(errnoOf(() => q.receive(new Uint8Array(3)))).toBe(E.EMSGSIZE);
    expect(errnoOf(() => q.send(bytes('12345'), 0))).toBe(E.EMSGSIZE);
    expect(errnoOf(() => q.send(bytes('a'), 32768))).toBe(E.EINVAL);
    q.send(bytes('a'), 0);
    q.send(bytes('b'), 0);
    expect(errnoOf(() => q.send(bytes('c'), 0))).toBe(E.EAGAIN);
  });

  it('report readiness and wake waiters', () => {
    const ns = new MqueueNamespace(new MemoryAccount());
    const q = ns.open('q', O.CREAT | O.RDWR, 0o600, { maxmsg: 1, msgsize: 8 }, root).queue;
    const both = POLL.IN | POLL.OUT;
    expect(q.readiness(both)).toBe(POLL.OUT);
    const events: number[] = [];
    q.subscribe(POLL.IN, (e) => events.push(e));
    q.send(bytes('x'), 0);
    expect(events).toEqual([POLL.IN]);
    expect(q.readiness(both)).toBe(POLL.IN);
  });

  it('check names, flags, limits and permissions like mq_open', () => {
    const ns = new MqueueNamespace(new MemoryAccount());
    expect(errnoOf(() => ns.open('q', O.RDWR, 0, undefined, root))).toBe(E.ENOENT);
    expect(errnoOf(() => ns.open('a/b', O.CREAT | O.RDWR, 0o600, undefined, root))).toBe(E.EACCES);
    expect(errnoOf(() => ns.open('q', O.CREAT | O.RDWR, 0o600, { maxmsg: 11, msgsize: 8 }, user))).toBe(E.EINVAL);
    expect(errnoOf(() => ns.open('q', O.CREAT | O.RDWR, 0o600, { maxmsg: 0, msgsize: 8 }, root))).toBe(E.EINVAL);
    ns.open('q', O.CREAT | O.RDWR, 0o640, undefined, root);
    expect(errnoOf(() => ns.open('q', O.CREAT | O.EXCL | O.RDWR, 0o600, undefined, root))).toBe(E.EEXIST);
    expect(errnoOf(() => ns.open('q', O.RDONLY, 0, undefined, user))).toBe(E.EACCES);
    expect(errnoOf(() => ns.open('q', O.RDONLY, 0, undefined, { ...user, groups: [0] }))).toBe(0);
    expect(errnoOf(() => ns.unlink('q', user))).toBe(E.EACCES);
    ns.unlink('q', root);
    expect(errnoOf(() => ns.unlink('q', root))).toBe(E.ENOENT);
  });

  it('show as files in an mqueue mount, with the QSIZE line', () => {
    const sb = makeSandbox({ mounts: [...SPEC_MOUNTS, MQUEUE_MOUNT] });
    sb.addProcess(1);
    const ctx = sb.ctx();
    const entry = sb.synthetic.mqueues.open('jobs', O.CREAT | O.RDWR, 0o644, undefined, root);
    entry.queue.send(bytes('hello'), 3);
    entry.queue.send(bytes('!'), 1);
    expect(listDir(sb.vfs, ctx, '/dev/mqueue')).toEqual(['.', '..', 'jobs']);
    expect(sb.vfs.stat(ctx, undefined, '/dev/mqueue', 0).mode).toBe(S.IFDIR | 0o1777);
    expect(sb.vfs.stat(ctx, undefined, '/dev/mqueue/jobs', 0).mode).toBe(S.IFREG | 0o644);
    expect(readAll(sb.vfs, ctx, '/dev/mqueue/jobs')).toBe('QSIZE:6          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n');
    entry.queue.setNotification({ pid: 1, notify: 0, signo: 10, alive: () => true, deliver: () => {} }, 1);
    expect(readAll(sb.vfs, ctx, '/dev/mqueue/jobs')).toBe('QSIZE:6          NOTIFY:0     SIGNO:10    NOTIFY_PID:1     \n');
    const file = sb.vfs.open(ctx, undefined, '/dev/mqueue/jobs', O.RDONLY, 0);
    expect(file.readiness(POLL.IN)).toBe(POLL.IN);

    // Creating and removing files there creates and removes queues.
    const usr = userCtx(sb.vfs);
    sb.vfs.open(usr, undefined, '/dev/mqueue/mine', O.CREAT | O.RDWR, 0o600).unref();
    const mine = sb.synthetic.mqueues.get('mine')!;
    expect([mine.uid, mine.mode, mine.queue.attr.maxmsg, mine.queue.attr.msgsize]).toEqual([1000, 0o600, 10, 8192]);
    expect(errnoOf(() => sb.vfs.unlink(usr, undefined, '/dev/mqueue/jobs', 0))).toBe(E.EPERM);
    sb.vfs.unlink(usr, undefined, '/dev/mqueue/mine', 0);
    expect(sb.synthetic.mqueues.get('mine')).toBeUndefined();
    expect(errnoOf(() => sb.vfs.mkdir(ctx, undefined, '/dev/mqueue/dir', 0o755))).toBe(E.EPERM);
  });

  it('notify once when a message reaches an empty queue nobody waits on', () => {
    const ns = new MqueueNamespace(new MemoryAccount());
    const q = ns.open('q', O.CREAT | O.RDWR, 0o600, undefined, root).queue;
    let delivered = 0;
    q.setNotification({ pid: 1, notify: 0, signo: 10, alive: () => true, deliver: () => delivered++ }, 1);
    expect(errnoOf(() => q.setNotification({ pid: 2, notify: 0, signo: 10, alive: () => true, deliver: () => {} }, 2))).toBe(E.EBUSY);
    q.send(bytes('a'), 0);
    q.send(bytes('b'), 0);
    expect(delivered).toBe(1);
    expect(q.describe()).toContain('NOTIFY_PID:0 ');
  });

  it('drops the registration of a process that is gone, and notifies nobody while a receiver waits', async () => {
    const ns = new MqueueNamespace(new MemoryAccount());
    const q = ns.open('q', O.CREAT | O.RDWR, 0o600, undefined, root).queue;
    let alive = true;
    let delivered = 0;
    q.setNotification({ pid: 1, notify: 0, signo: 10, alive: () => alive, deliver: () => delivered++ }, 1);
    alive = false;
    q.setNotification({ pid: 2, notify: 0, signo: 10, alive: () => true, deliver: () => delivered++ }, 2);
    expect(q.describe()).toContain('NOTIFY_PID:2 ');
    let wake: () => void = () => {};
    const waiting = q.receiving(() => new Promise<void>((resolve) => (wake = resolve)));
    q.send(bytes('a'), 0);
    expect(delivered).toBe(0);
    wake();
    await waiting;
  });

  it('charges a queue to its creator until it is unlinked and closed (RLIMIT_MSGQUEUE)', () => {
    const ns = new MqueueNamespace(new MemoryAccount());
    const attr = { maxmsg: 10, msgsize: 8192 };
    const limit = BigInt(queueBytes(attr) + 1000);
    const first = ns.open('a', O.CREAT | O.RDWR, 0o600, attr, root, limit);
    expect(errnoOf(() => ns.open('b', O.CREAT | O.RDWR, 0o600, attr, root, limit))).toBe(E.EMFILE);
    first.opens++;
    ns.unlink('a');
    expect(errnoOf(() => ns.open('b', O.CREAT | O.RDWR, 0o600, attr, root, limit))).toBe(E.EMFILE);
    ns.closed(first);
    expect(ns.open('b', O.CREAT | O.RDWR, 0o600, attr, root, limit).name).toBe('b');
  });

  it('gives mq_open a file through Vfs.openAnonymous', () => {
    const sb = makeSandbox();
    sb.addProcess(1);
    const entry = sb.synthetic.mqueues.open('anon', O.CREAT | O.RDWR, 0o600, undefined, root);
    const file = sb.vfs.openAnonymous(sb.synthetic.mqueueInode(entry), '/anon', O.RDWR, sb.ctx());
    expect(sb.vfs.pathOf(sb.ctx(), file.location)).toBe('/anon');
    expect(sb.synthetic.mqueueInode(entry)).toBe(file.inode);
    entry.queue.send(bytes('x'), 0);
    expect(file.readiness(POLL.IN | POLL.OUT)).toBe(POLL.IN | POLL.OUT);
  });
});
