// linux.seccomp of config.json, read as runc reads it (libcontainer/seccomp): the checks
// the schema cannot make (SCMP_ACT_NOTIFY and a listener, which need a seccomp agent the
// sentry does not have; unknown architectures and flags), and the profile the sentry
// enforces. As runc does: KILL is KILL_THREAD; ERRNO without errnoRet is EPERM; a rule
// whose action is the default is dropped; names this architecture lacks are skipped;
// conditions on the same argument become separate rules (ORed), others are ANDed; and
// unless the default allows, numbers above the highest the profile names get ENOSYS.
import { NR } from '../abi/linux-syscalls.js';
import { SeccompProfile, type ArgCondition, type ComparisonOp, type ProfileAction, type ProfileRule } from '../sentry/kernel/seccomp-profile.js';
import { formatProblem, TsscError, type Problem } from './errors.js';
import { describeValue } from './describe-value.js';
import type { LinuxSeccomp } from './spec.js';

const EPERM = 1;
/** libseccomp refuses an ERRNO action's data from MAX_ERRNO (4095) up, and runc with it. */
const ERRNO_LIMIT = 4095;

/** libseccomp's architecture names runc accepts. */
const ARCHITECTURES = new Set([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_LOONGARCH64',
]);
/** Filter flags runc knows; none changes what the sentry's evaluation decides. */
const FLAGS = new Set([
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
]);
const NOTIFY_REASON = 'tssc enforces the profile in its sentry and has no seccomp agent to notify';

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with linux.seccomp beyond its shape (pointers under /linux/seccomp). */
export function seccompProblems(file: string, seccomp: unknown): Problem[] {
  if (!isObject(seccomp)) return [];
  const problems: Problem[] = [];
  const add = (pointer: string, message: string): void => {
    problems.push({ file, pointer: `/linux/seccomp${pointer}`, message });
  };
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') add('/defaultAction', `SCMP_ACT_NOTIFY is not supported: ${NOTIFY_REASON}`);
  const checkErrno = (pointer: string, action: unknown, errnoRet: unknown): void => {
    if (action === 'SCMP_ACT_ERRNO' && typeof errnoRet === 'number' && errnoRet >= ERRNO_LIMIT) {
      add(pointer, `must be below ${ERRNO_LIMIT} (libseccomp refuses larger errno values), got ${errnoRet}`);
    }
  };
  checkErrno('/defaultErrnoRet', seccomp.defaultAction, seccomp.defaultErrnoRet);
  for (const field of ['listenerPath', 'listenerMetadata'] as const) {
    if (seccomp[field] !== undefined) add(`/${field}`, `is not supported: ${NOTIFY_REASON}`);
  }
  if (Array.isArray(seccomp.architectures)) {
    seccomp.architectures.forEach((arch, i) => {
      if (typeof arch === 'string' && !ARCHITECTURES.has(arch)) add(`/architectures/${i}`, `unknown architecture ${describeValue(arch)}`);
    });
  }
  if (Array.isArray(seccomp.flags)) {
    seccomp.flags.forEach((flag, i) => {
      if (typeof flag === 'string' && !FLAGS.has(flag)) add(`/flags/${i}`, `unknown seccomp flag ${describeValue(flag)}`);
    });
  }
  if (Array.isArray(seccomp.syscalls)) {
    seccomp.syscalls.forEach((rule, i) => {
      if (!isObject(rule)) return;
      if (rule.action === 'SCMP_ACT_NOTIFY') add(`/syscalls/${i}/action`, `SCMP_ACT_NOTIFY is not supported: ${NOTIFY_REASON}`);
      checkErrno(`/syscalls/${i}/errnoRet`, rule.action, rule.errnoRet);
      if (Array.isArray(rule.args)) {
        rule.args.forEach((arg, j) => {
          for (const field of ['value', 'valueTwo'] as const) {
            const v = isObject(arg) ? arg[field] : undefined;
            // JSON.parse rounds integers beyond 2^53: a comparison with the rounded value would be wrong.
            if (typeof v === 'number' && !Number.isSafeInteger(v)) add(`/syscalls/${i}/args/${j}/${field}`, `${v} is beyond 2^53 and cannot be read exactly`);
          }
        });
      }
      if (Array.isArray(rule.names)) {
        rule.names.forEach((name, j) => {
          if (name === '') add(`/syscalls/${i}/names/${j}`, 'must name a system call, got ""');
        });
      }
    });
  }
  return problems;
}

function actionOf(name: string, errnoRet: number | undefined): ProfileAction {
  switch (name) {
    case 'SCMP_ACT_ALLOW': return { kind: 'allow' };
    case 'SCMP_ACT_LOG': return { kind: 'log' };
    case 'SCMP_ACT_ERRNO': return { kind: 'errno', errno: errnoRet ?? EPERM };
    case 'SCMP_ACT_TRACE': return { kind: 'trace' };
    case 'SCMP_ACT_TRAP': return { kind: 'trap' };
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return { kind: 'kill-thread' };
    case 'SCMP_ACT_KILL_PROCESS': return { kind: 'kill-process' };
    default: throw new TsscError(`config.json: /linux/seccomp: unsupported action ${describeValue(name)}`);
  }
}

const sameAction = (a: ProfileAction, b: ProfileAction): boolean =>
  a.kind === b.kind && (a.kind !== 'errno' || b.kind !== 'errno' || a.errno === b.errno);

const NUMBERS = new Map<string, number>(Object.entries(NR));

/** The profile the sentry enforces; a profile the checks refuse throws its first problem. */
export function compileSeccompProfile(seccomp: LinuxSeccomp, file = 'config.json'): SeccompProfile {
  const problem = seccompProblems(file, seccomp)[0];
  if (problem) throw new TsscError(formatProblem(problem));
  const defaultAction = actionOf(seccomp.defaultAction, seccomp.defaultErrnoRet);
  const rules = new Map<number, ProfileRule[]>();
  let highest: number | undefined;
  for (const entry of seccomp.syscalls ?? []) {
    const action = actionOf(entry.action, entry.errnoRet);
    const conditions: ArgCondition[] = (entry.args ?? []).map((arg) => ({
      index: arg.index,
      op: arg.op.replace(/^SCMP_CMP_/, '') as ComparisonOp,
      value: BigInt(arg.value),
      valueTwo: BigInt(arg.valueTwo ?? 0),
    }));
    const indices = conditions.map((c) => c.index);
    const repeated = new Set(indices).size !== indices.length;
    const entryRules: ProfileRule[] = repeated ? conditions.map((c) => ({ action, conditions: [c] })) : [{ action, conditions }];
    for (const name of entry.names) {
      const nr = NUMBERS.get(name);
      if (nr === undefined) continue;
      highest = Math.max(highest ?? 0, nr);
      if (sameAction(action, defaultAction)) continue;
      rules.set(nr, [...(rules.get(nr) ?? []), ...entryRules]);
    }
  }
  const permissive = ['allow', 'log', 'trace'].includes(defaultAction.kind);
  return new SeccompProfile({ defaultAction, rules, enosysAbove: permissive ? undefined : highest });
}
