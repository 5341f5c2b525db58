// PidNamespace: numbers per level, visibility only downwards, the first process as init,
// numbers freed with their identity and handed out again after the last one taken.
import { describe, expect, it } from 'vitest';
import { PidNamespace } from '../../src/sentry/kernel/namespaces/pid-namespace.js';
import type { ThreadGroup } from '../../src/sentry/kernel/thread-group.js';

const group = (name: string) => ({ name }) as unknown as ThreadGroup;

describe('PidNamespace', () => {
  it('numbers a task at its own level and every level above, never below or beside', () => {
    const root = new PidNamespace(undefined);
    const child = new PidNamespace(root);
    const grandchild = new PidNamespace(child);
    const sibling = new PidNamespace(root);
    const init = group('init');
    child.assign(7, init);
    expect(child.init).toBe(init);
    expect(child.numberOf(7)).toBe(1);
    expect(root.numberOf(7)).toBe(7);
    grandchild.assign(9, group('deeper'));
    expect([root.numberOf(9), child.numberOf(9), grandchild.numberOf(9)]).toEqual([9, 2, 1]);
    expect(grandchild.numberOf(7)).toBe(0);
    expect(sibling.numberOf(7)).toBe(0);
    expect(child.idOf(2)).toBe(9);
    expect(grandchild.idOf(2)).toBeUndefined();
    expect(root.numbersDownTo(grandchild, 9)).toEqual([9, 2, 1]);
    expect(child.numbersDownTo(grandchild, 9)).toEqual([2, 1]);
    expect(root.contains(grandchild) && child.contains(grandchild) && !grandchild.contains(child) && !sibling.contains(child)).toBe(true);
    expect(grandchild.level).toBe(2);
  });

  it('frees numbers with their identity and goes on from the last one taken', () => {
    const root = new PidNamespace(undefined);
    const ns = new PidNamespace(root);
    ns.assign(10, group('a'));
    ns.assign(11, group('b'));
    ns.assign(12, group('c'));
    ns.release(11);
    expect(ns.idOf(2)).toBeUndefined();
    ns.assign(13, group('d'));
    expect(ns.numberOf(13)).toBe(4);
    // Assigning an identity again (an exec's leader swap) keeps its number.
    ns.assign(13, group('d'));
    expect(ns.numberOf(13)).toBe(4);
    expect(root.numberOf(0)).toBe(0);
    expect(ns.numberOf(0)).toBe(0);
  });
});
