// docs/syscalls.md from the rows of the x86-64 table: what the sandbox does with every
// syscall, and why the host kernel may run the ones it runs.
// Regenerate with `node dist/syscalls/linux/syscall-docs.js > docs/syscalls.md`.

import { errnoName } from '../../abi/errno.js';
import type { ArgumentCase, FilterRule, FilterVerdict, SupportLevel, SyscallEntry, SyscallTable } from '../../sentry/kernel/syscall.js';
import { linuxX86_64Table } from './table.js';

const HEADINGS: Record<SupportLevel, string> = {
  supported: 'Supported',
  partial: 'Partially supported',
  unsupported: 'Not supported (ENOSYS)',
  refused: 'Refused by the seccomp filter',
};

function verdictText(verdict: FilterVerdict, handled: boolean): string {
  if (verdict === 'pass') return 'host kernel';
  if (verdict === 'trap') return handled ? 'sentry' : 'sentry: ENOSYS';
  return `filter: ${errnoName(verdict.refuse)}`;
}

/** Who answers the call: the sentry, the host kernel, the filter, or which by an argument. */
export function filterText(rule: FilterRule, handled: boolean): string {
  if (typeof rule === 'string' || 'refuse' in rule) return verdictText(rule, handled);
  const arg = rule.mask === undefined ? rule.argName : `${rule.argName} & 0x${(rule.mask >>> 0).toString(16)}`;
  const test = (c: ArgumentCase): string => ('oneOf' in c ? `${arg} in ${c.label} (${c.oneOf.join(', ')})` : `${c.label} set`);
  const cases = rule.cases.map((c) => `${test(c)}: ${verdictText(c.then, handled)}`);
  return `by ${rule.argName}: ${[...cases, `else ${verdictText(rule.otherwise, handled)}`].join('; ')}`;
}

/** Whether the filter lets the host kernel run the call, always or for some arguments. */
export function mayPass(rule: FilterRule): boolean {
  if (typeof rule === 'string' || 'refuse' in rule) return rule === 'pass';
  return rule.otherwise === 'pass' || rule.cases.some((c) => c.then === 'pass');
}

/** The line of docs/syscalls.md that describes entry in its level's table. */
export function docLine(entry: SyscallEntry): string {
  return `| ${entry.nr} | ${entry.name} | ${filterText(entry.filter, entry.handler !== undefined)} | ${entry.note ?? ''} |`;
}

export function renderSyscallDocs(table: SyscallTable): string {
  const entries = [...table.entries()];
  const lines = [
    '# Linux system calls under tssc (x86-64)',
    '',
    'Generated from the rows of `src/syscalls/linux/table.ts` by `src/syscalls/linux/syscall-docs.ts`; do not edit.',
    '',
    'Every call is one of: answered by the **sentry** (the seccomp filter stops the task and',
    'the sentry answers from its own model), run by the **host kernel** without a stop (calls',
    'about the task\'s own memory, signal state and scheduling), **refused** by the filter',
    'with the errno shown, or decided by one of its arguments. Numbers no row names, x32',
    'numbers and high-bit numbers are ENOSYS from the filter; the i386 entry points kill the',
    'process.',
    '',
    '| level | count |',
    '| --- | ---: |',
    ...(Object.keys(HEADINGS) as SupportLevel[]).map((level) => `| ${HEADINGS[level]} | ${entries.filter((e) => e.support === level).length} |`),
    '',
  ];
  for (const level of Object.keys(HEADINGS) as SupportLevel[]) {
    const rows = entries.filter((e) => e.support === level);
    if (rows.length === 0) continue;
    lines.push(`## ${HEADINGS[level]}`, '', '| nr | name | answered by | notes |', '| ---: | --- | --- | --- |');
    for (const e of rows) lines.push(docLine(e));
    lines.push('');
  }
  lines.push(
    '## Why the host kernel may run these',
    '',
    'The rows the filter lets through to the host kernel, always or for some arguments, and',
    'why that is safe for the host; the tid-carrying calls the sentry translates instead are',
    'in docs/security.md.',
    '',
    '| nr | name | why |',
    '| ---: | --- | --- |',
  );
  for (const e of entries.filter((entry) => mayPass(entry.filter))) lines.push(`| ${e.nr} | ${e.name} | ${e.why ?? ''} |`);
  lines.push('');
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.stdout.write(renderSyscallDocs(linuxX86_64Table));
}
