// The identity after execve (capabilities(7), "Transformation of capabilities during
// execve()") for the cases the C fixture cannot reach natively here: nosuid mounts, a
// malformed security.capability, a fs context shared with another process, and the
// invariants (ambient within permitted and inheritable, keepcaps cleared).
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { CAP, parseFileCapabilities } from '../../src/abi/linux-capability.js';
import { ALL_CAPS } from '../../src/abi/linux-capability.js';
import { makeCredentials, setresuid } from '../../src/sentry/kernel/credentials.js';
import { credentialsAfterExec, type ExecFile } from '../../src/sentry/kernel/exec-credentials.js';
import { errnoOf } from './errno-of.js';

const bit = (cap: number): bigint => 1n << BigInt(cap);
const root = makeCredentials({ uid: 0, gid: 0, groups: [], effective: ALL_CAPS, permitted: ALL_CAPS, inheritable: 0n, bounding: ALL_CAPS });
const user = setresuid(root, 1000, 1000, 1000);
const file = (over: Partial<ExecFile> = {}): ExecFile => ({ mode: 0o100755, uid: 0, gid: 0, nosuid: false, capabilities: undefined, ...over });
const v2 = (permitted: bigint, effective: boolean): Uint8Array => {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000000 | (effective ? 1 : 0), 0);
  b.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
  return b;
};

describe('credentials after execve', () => {
  it('ignores setuid bits and file capabilities on a nosuid mount', () => {
    const caps = parseFileCapabilities(v2(bit(CAP.NET_RAW), true));
    const { creds, secure } = credentialsAfterExec(user, file({ mode: 0o104755, nosuid: true, capabilities: caps }), false);
    expect([creds.euid, creds.permitted, creds.effective, secure]).toEqual([1000, 0n, 0n, false]);
  });

  it('fails with EINVAL for a malformed security.capability, EPERM when the bounding set withholds an effective one', () => {
    expect(parseFileCapabilities(Buffer.alloc(7))).toBeUndefined();
    expect(errnoOf(() => credentialsAfterExec(user, file({ capabilities: 'invalid' }), false))).toBe(E.EINVAL);
    const bounded = { ...user, bounding: ALL_CAPS & ~bit(CAP.NET_RAW) };
    expect(errnoOf(() => credentialsAfterExec(bounded, file({ capabilities: parseFileCapabilities(v2(bit(CAP.NET_RAW), true)) }), false))).toBe(E.EPERM);
  });

  it('gives a setuid file no new privileges while the fs context is shared with another process', () => {
    const { creds, secure } = credentialsAfterExec(user, file({ mode: 0o104755 }), true);
    expect([creds.euid, creds.permitted, secure]).toEqual([1000, 0n, true]);
  });

  it('clears keepcaps and keeps ambient within permitted and inheritable', () => {
    const kept = { ...user, permitted: bit(CAP.CHOWN), inheritable: bit(CAP.CHOWN), ambient: bit(CAP.CHOWN), securebits: 0x10 };
    const { creds } = credentialsAfterExec(kept, file(), false);
    expect([creds.permitted, creds.effective, creds.ambient, creds.securebits]).toEqual([bit(CAP.CHOWN), bit(CAP.CHOWN), bit(CAP.CHOWN), 0]);
  });
});
