// User namespaces as kernel/user_namespace.c and cap_capable define them: maps written
// once and translated through the parent, the view of each reader, the write rules of
// /proc/PID/{uid_map,gid_map,setgroups}, and who has a capability over which namespace.
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { ALL_CAPS, CAP } from '../../src/abi/linux-capability.js';
import { credentialsIn, fsCredentials, hasCapability, idForTask, idFromTask, makeCredentials, nsCapable, setgroups, setuid } from '../../src/sentry/kernel/credentials.js';
import { userNamespaceFiles } from '../../src/sentry/kernel/namespaces/user-namespace-files.js';
import { INITIAL_USER_NAMESPACE, ownerOf, parseIdMap, showIdMap } from '../../src/sentry/kernel/namespaces/user-namespace.js';
import type { TaskCredentials } from '../../src/sentry/kernel/syscall.js';
import { errnoOf } from './errno-of.js';

const user = (uid: number, caps = 0n): TaskCredentials => makeCredentials({ uid, gid: uid, groups: [], effective: caps, permitted: caps, inheritable: 0n, bounding: ALL_CAPS });
/** unshare(CLONE_NEWUSER) by creds. */
const unshared = (creds: TaskCredentials): TaskCredentials => credentialsIn(creds, creds.userNs.child(creds.euid, creds.egid, (creds.effective >> BigInt(CAP.SETFCAP)) & 1n ? true : false, 1024));

describe('user namespaces', () => {
  it('gives the creator every capability inside and none outside; its euid keeps them over the namespace from outside', () => {
    const outside = user(1000);
    const inside = unshared(outside);
    expect(nsCapable(inside, inside.userNs, CAP.SYS_ADMIN)).toBe(true);
    expect(hasCapability(inside, CAP.SYS_ADMIN)).toBe(false);
    expect(hasCapability(inside, CAP.DAC_OVERRIDE)).toBe(false);
    expect(fsCredentials(inside).caps).toBe(0n);
    // The owner in the parent namespace has them over the child (and its descendants).
    expect(nsCapable(outside, inside.userNs, CAP.SYS_ADMIN)).toBe(true);
    // Its ids must be mapped before it makes another below (EPERM).
    expect(errnoOf(() => unshared(inside))).toBe(E.EPERM);
    const files = userNamespaceFiles(inside.userNs, () => inside);
    files.writeSetgroups('deny');
    files.writeMap('uid', '0 1000 1');
    files.writeMap('gid', '0 1000 1');
    const deeper = unshared(inside);
    expect(nsCapable(outside, deeper.userNs, CAP.SYS_ADMIN)).toBe(true);
    // Another user of the parent namespace, a sibling namespace, and the child over its parent: none.
    expect(nsCapable(user(1001), inside.userNs, CAP.SYS_ADMIN)).toBe(false);
    expect(nsCapable(unshared(user(1000)), inside.userNs, CAP.SYS_ADMIN)).toBe(false);
    expect(nsCapable(deeper, inside.userNs, CAP.SYS_ADMIN)).toBe(false);
    // Sandbox root with every capability has them over every namespace.
    expect(nsCapable(user(0, ALL_CAPS), deeper.userNs, CAP.SYS_ADMIN)).toBe(true);
    expect(ownerOf({})).toBe(INITIAL_USER_NAMESPACE);
  });

  it('maps ids through the parent, shows unmapped ones as 65534 and refuses them at the boundary', () => {
    const outside = user(1000);
    const inside = unshared(outside);
    expect(idForTask(inside, 'uid', 1000)).toBe(65534);
    expect(errnoOf(() => idFromTask(inside, 'uid', 0))).toBe(E.EINVAL);
    const files = userNamespaceFiles(inside.userNs, () => inside);
    files.writeSetgroups('deny\n');
    files.writeMap('uid', '0 1000 1');
    files.writeMap('gid', '0 1000 1\n');
    expect(idForTask(inside, 'uid', 1000)).toBe(0);
    expect(idFromTask(inside, 'uid', 0)).toBe(1000);
    expect(idFromTask(inside, 'uid', -1)).toBe(-1);
    // Its capabilities reach files its namespace maps (owner and group), no other.
    const vfsView = fsCredentials(inside);
    expect([vfsView.caps, vfsView.userNamespace?.maps(1000, 1000), vfsView.userNamespace?.maps(1000, 0), vfsView.userNamespace?.maps(0, 0)]).toEqual([0n, true, false, false]);
    // The next level maps its 0 onto the parent's 0, which is sandbox uid 1000.
    const deeper = unshared(inside);
    const deeperFiles = userNamespaceFiles(deeper.userNs, () => deeper);
    deeperFiles.writeSetgroups('deny');
    deeperFiles.writeMap('uid', '0 0 1');
    expect(deeper.userNs.toKernel('uid', 0)).toBe(1000);
    // Each reader sees the lower ids in its own namespace (its parent's when it reads its own).
    expect(showIdMap(deeper.userNs, 'uid', deeper.userNs)).toBe(`${'0'.padStart(10)} ${'0'.padStart(10)} ${'1'.padStart(10)}\n`);
    expect(showIdMap(deeper.userNs, 'uid', INITIAL_USER_NAMESPACE)).toBe(`${'0'.padStart(10)} ${'1000'.padStart(10)} ${'1'.padStart(10)}\n`);
    expect(showIdMap(INITIAL_USER_NAMESPACE, 'uid', INITIAL_USER_NAMESPACE)).toBe(`${'0'.padStart(10)} ${'0'.padStart(10)} ${'4294967295'.padStart(10)}\n`);
    // set*id inside: mapped ids only, and setgroups never once denied.
    expect(setuid(inside, 1000).euid).toBe(1000);
    expect(errnoOf(() => setgroups(inside, []))).toBe(E.EPERM);
  });

  it('writes a map once, with only the ids the writer holds, in lines Linux parses', () => {
    const inside = unshared(user(1000));
    const files = userNamespaceFiles(inside.userNs, () => inside);
    expect(errnoOf(() => files.writeMap('uid', '0 0 1'))).toBe(E.EPERM);
    expect(errnoOf(() => files.writeMap('uid', '0 1000 2'))).toBe(E.EPERM);
    expect(errnoOf(() => files.writeMap('gid', '0 1000 1'))).toBe(E.EPERM);
    expect(errnoOf(() => files.writeMap('uid', '0 1000 1\n0 1001 1'))).toBe(E.EINVAL);
    expect(errnoOf(() => files.writeMap('uid', '0 1000 0'))).toBe(E.EINVAL);
    expect(errnoOf(() => files.writeMap('uid', '0 4294967295 1'))).toBe(E.EINVAL);
    expect(errnoOf(() => files.writeMap('uid', ''))).toBe(E.EINVAL);
    files.writeMap('uid', '0 1000 1');
    expect(errnoOf(() => files.writeMap('uid', '0 1000 1'))).toBe(E.EPERM);
    // Someone else, even with the parent's 1001, may not touch it; nor the sandbox's own map.
    expect(errnoOf(() => userNamespaceFiles(inside.userNs, () => user(1001)).writeMap('gid', '0 1001 1'))).toBe(E.EPERM);
    expect(errnoOf(() => userNamespaceFiles(INITIAL_USER_NAMESPACE, () => user(0, ALL_CAPS)).writeMap('uid', '0 0 1'))).toBe(E.EPERM);
    expect(errnoOf(() => files.writeSetgroups('maybe'))).toBe(E.EINVAL);
    // Sandbox root with CAP_SETUID over the parent maps a range.
    const root = user(0, ALL_CAPS);
    const child = unshared(root);
    userNamespaceFiles(child.userNs, () => root).writeMap('uid', '0 100000 65536\n');
    expect(child.userNs.toKernel('uid', 65535)).toBe(165535);
    expect(parseIdMap('  1 2 3 \n4 5 6\n')).toEqual([{ first: 1, lowerFirst: 2, count: 3 }, { first: 4, lowerFirst: 5, count: 6 }]);
  });

  it('nests 33 namespaces below the sandbox\'s, then ENOSPC', () => {
    let creds = user(0, ALL_CAPS);
    for (let level = 1; level <= 33; level++) {
      creds = unshared(creds);
      const now = creds;
      const files = userNamespaceFiles(now.userNs, () => now);
      files.writeSetgroups('deny');
      files.writeMap('uid', '0 0 1');
      files.writeMap('gid', '0 0 1');
    }
    expect(errnoOf(() => unshared(creds))).toBe(E.ENOSPC);
  });
});
