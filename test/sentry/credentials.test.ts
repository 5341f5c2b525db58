// The set*id and capability rules of the sentry's credentials (credentials(7), capabilities(7)).
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { ALL_CAPS } from '../../src/abi/linux-capability.js';
import { capsFromNames, capset, makeCredentials, setgroups, setresuid, setreuid, setuid } from '../../src/sentry/kernel/credentials.js';
import { errnoOf } from './errno-of.js';

const root = makeCredentials({ uid: 0, gid: 0, groups: [], effective: ALL_CAPS, permitted: ALL_CAPS, inheritable: 0n, bounding: ALL_CAPS });
const user = makeCredentials({ uid: 1000, gid: 1000, groups: [50], effective: 0n, permitted: 0n, inheritable: 0n, bounding: ALL_CAPS });

describe('credentials', () => {
  it('reads OCI capability names', () => {
    expect(capsFromNames(['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN', 'CAP_NOT_A_CAP'])).toBe((1n << 0n) | (1n << 5n) | (1n << 21n));
  });

  it('lets root become anyone, dropping its capabilities', () => {
    const next = setuid(root, 1000);
    expect([next.ruid, next.euid, next.suid, next.fsuid]).toEqual([1000, 1000, 1000, 1000]);
    expect(next.effective).toBe(0n);
    expect(next.permitted).toBe(0n);
  });

  it('keeps permitted capabilities while a saved uid stays 0, and regains them', () => {
    const dropped = setresuid(root, -1, 1000, -1);
    expect(dropped.effective).toBe(0n);
    expect(dropped.permitted).toBe(ALL_CAPS);
    const back = setresuid(dropped, -1, 0, -1);
    expect(back.effective).toBe(ALL_CAPS);
  });

  it('refuses unprivileged changes to ids the caller does not have', () => {
    expect(errnoOf(() => setuid(user, 0))).toBe(E.EPERM);
    expect(errnoOf(() => setresuid(user, 1000, 1001, -1))).toBe(E.EPERM);
    expect(errnoOf(() => setgroups(user, [0]))).toBe(E.EPERM);
    expect(setreuid(user, -1, 1000).euid).toBe(1000);
  });

  it('never grows the permitted set with capset', () => {
    expect(errnoOf(() => capset(user, 1n, 1n, 0n))).toBe(E.EPERM);
    const fewer = capset(root, 1n, 1n, 0n);
    expect(fewer.permitted).toBe(1n);
    expect(errnoOf(() => capset(fewer, 3n, 3n, 0n))).toBe(E.EPERM);
  });
});
