// The spec's linux.seccomp profile as the sentry evaluates it: per syscall number, rules
// tried in profile order (the first whose conditions all hold decides), else the default
// action; conditions compare the raw 64-bit argument registers, unsigned, as libseccomp's
// filters do. Built from config.json by src/oci/seccomp-profile.ts.

/** What the profile does with a call (libseccomp's SCMP_ACT_*). */
export type ProfileAction =
  | { readonly kind: 'allow' }
  | { readonly kind: 'log' }
  | { readonly kind: 'errno'; readonly errno: number }
  /** SCMP_ACT_TRACE with no tracer: the call fails with ENOSYS. */
  | { readonly kind: 'trace' }
  | { readonly kind: 'trap' }
  | { readonly kind: 'kill-thread' }
  | { readonly kind: 'kill-process' };

export type ComparisonOp = 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';

export interface ArgCondition {
  readonly index: number;
  readonly op: ComparisonOp;
  readonly value: bigint;
  /** MASKED_EQ: the value the masked argument must equal. */
  readonly valueTwo: bigint;
}

export interface ProfileRule {
  readonly action: ProfileAction;
  /** All must hold (an empty list always does). */
  readonly conditions: readonly ArgCondition[];
}

export interface ProfileSpec {
  readonly defaultAction: ProfileAction;
  /** Rules by syscall number, in profile order. */
  readonly rules: ReadonlyMap<number, readonly ProfileRule[]>;
  /**
   * Numbers above this get ENOSYS whatever the default (runc's stub for syscalls newer
   * than the profile, so a C library falls back); undefined: no such stub.
   */
  readonly enosysAbove?: number | undefined;
}

const ENOSYS = 38;
const ENOSYS_ACTION: ProfileAction = { kind: 'errno', errno: ENOSYS };

/** args are the raw registers, already unsigned 64-bit values (a BigUint64Array's). */
function holds(condition: ArgCondition, args: readonly bigint[]): boolean {
  const arg = args[condition.index]!;
  const value = condition.value;
  switch (condition.op) {
    case 'NE': return arg !== value;
    case 'LT': return arg < value;
    case 'LE': return arg <= value;
    case 'EQ': return arg === value;
    case 'GE': return arg >= value;
    case 'GT': return arg > value;
    case 'MASKED_EQ': return (arg & value) === condition.valueTwo;
  }
}

const permits = (action: ProfileAction): boolean => action.kind === 'allow' || action.kind === 'log';

export class SeccompProfile {
  constructor(private readonly spec: ProfileSpec) {}

  /** The action for call nr with these argument registers. */
  decide(nr: number, args: readonly bigint[]): ProfileAction {
    if (this.spec.enosysAbove !== undefined && nr > this.spec.enosysAbove) return ENOSYS_ACTION;
    const rules = this.spec.rules.get(nr);
    if (rules) {
      for (const rule of rules) {
        let all = true;
        for (const condition of rule.conditions) {
          if (!holds(condition, args)) {
            all = false;
            break;
          }
        }
        if (all) return rule.action;
      }
    }
    return this.spec.defaultAction;
  }

  /** Whether every call nr may make runs (so it need not stop for the profile). */
  alwaysPermits(nr: number): boolean {
    if (this.spec.enosysAbove !== undefined && nr > this.spec.enosysAbove) return false;
    const rules = this.spec.rules.get(nr) ?? [];
    if (!rules.every((rule) => permits(rule.action))) return false;
    return permits(this.spec.defaultAction) || rules.some((rule) => rule.conditions.length === 0);
  }
}
