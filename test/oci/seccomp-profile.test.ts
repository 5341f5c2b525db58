// linux.seccomp read as runc reads it: what validation refuses (with the field's pointer)
// and how the compiled profile decides calls (first matching rule, ORed rules for one
// argument, unsigned 64-bit comparisons, the ENOSYS stub above the highest named call).
import { describe, expect, it } from 'vitest';
import { compileSeccompProfile, seccompProblems } from '../../src/oci/seccomp-profile.js';
import type { LinuxSeccomp } from '../../src/oci/spec.js';

const NR = { read: 0, getppid: 110, personality: 135, clone3: 435 } as const;
const args = (...values: bigint[]): bigint[] => [...values, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);

describe('linux.seccomp', () => {
  it('names each field it cannot enforce', () => {
    const problems = seccompProblems('config.json', {
      defaultAction: 'SCMP_ACT_NOTIFY',
      listenerPath: '/run/x.sock',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'],
      flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_NOPE'],
      syscalls: [
        { names: ['read', ''], action: 'SCMP_ACT_ERRNO', errnoRet: 4095 },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    expect(problems.map((p) => `${p.pointer}: ${p.message}`)).toEqual([
      '/linux/seccomp/defaultAction: SCMP_ACT_NOTIFY is not supported: tssc enforces the profile in its sentry and has no seccomp agent to notify',
      '/linux/seccomp/listenerPath: is not supported: tssc enforces the profile in its sentry and has no seccomp agent to notify',
      '/linux/seccomp/architectures/1: unknown architecture "SCMP_ARCH_Z80"',
      '/linux/seccomp/flags/1: unknown seccomp flag "SECCOMP_FILTER_FLAG_NOPE"',
      '/linux/seccomp/syscalls/0/errnoRet: must be below 4095 (libseccomp refuses larger errno values), got 4095',
      '/linux/seccomp/syscalls/0/names/1: must name a system call, got ""',
      `/linux/seccomp/syscalls/1/args/0/value: ${2 ** 60} is beyond 2^53 and cannot be read exactly`,
    ]);
    expect(() => compileSeccompProfile({ defaultAction: 'SCMP_ACT_NOTIFY' })).toThrow('config.json: /linux/seccomp/defaultAction: SCMP_ACT_NOTIFY is not supported');
  });

  it('decides by the first matching rule, on unsigned 64-bit values', () => {
    const profile = compileSeccompProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0, op: 'SCMP_CMP_NE' }] },
        { names: ['getppid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 7, op: 'SCMP_CMP_EQ' }, { index: 2, value: 8, op: 'SCMP_CMP_EQ' }] },
        { names: ['getppid', 'not_a_syscall'], action: 'SCMP_ACT_KILL', args: [{ index: 3, value: 0x7fffffff, op: 'SCMP_CMP_GT' }] },
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      ],
    } as LinuxSeccomp);
    expect(profile.decide(NR.getppid, args(1n, 1n))).toEqual({ kind: 'errno', errno: 5 });
    expect(profile.decide(NR.getppid, args(1n, 0n))).toEqual({ kind: 'allow' });
    expect(profile.decide(NR.getppid, args(0n, 0n, 7n))).toEqual({ kind: 'errno', errno: 1 });
    expect(profile.decide(NR.getppid, args(0n, 0n, 8n))).toEqual({ kind: 'errno', errno: 1 });
    expect(profile.decide(NR.getppid, args(0n, 0n, 0n, 0xffffffffffffffffn))).toEqual({ kind: 'kill-thread' });
    expect(profile.decide(NR.getppid, args(0n, 0n, 0n, 0x7fffffffn))).toEqual({ kind: 'allow' });
    // A rule with the default action is dropped, as runc drops it.
    expect(profile.alwaysPermits(NR.read)).toBe(true);
    expect(profile.alwaysPermits(NR.getppid)).toBe(false);
  });

  it('answers ENOSYS above the highest call the profile names unless the default allows', () => {
    const strict = compileSeccompProfile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['personality', 'read'], action: 'SCMP_ACT_ALLOW' }] });
    expect(strict.decide(NR.read, args())).toEqual({ kind: 'allow' });
    expect(strict.decide(NR.getppid, args())).toEqual({ kind: 'errno', errno: 1 });
    expect(strict.decide(NR.clone3, args())).toEqual({ kind: 'errno', errno: 38 });
    const open = compileSeccompProfile({ defaultAction: 'SCMP_ACT_LOG', syscalls: [{ names: ['read'], action: 'SCMP_ACT_TRAP' }] });
    expect(open.decide(NR.clone3, args())).toEqual({ kind: 'log' });
  });
});
