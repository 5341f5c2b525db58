// docs/syscalls.md from the x86-64 table: what the sandbox does with every syscall.
// Regenerate with `node dist/syscalls/linux/syscall-docs.js > docs/syscalls.md`.

import { errnoName } from '../../abi/errno.js';
import type { SupportLevel, SyscallEntry, SyscallTable } from '../../sentry/syscall.js';
import { linuxX86_64Table } from './table.js';

const HEADINGS: Record<SupportLevel, string> = {
  supported: 'Supported',
  partial: 'Partially supported',
  unsupported: 'Not supported (ENOSYS)',
  refused: 'Refused by the seccomp filter',
};

function how(entry: SyscallEntry): string {
  if (entry.class === 'passthrough') return 'host kernel (no stop)';
  if (entry.class === 'refused') return `filter: ${errnoName(entry.errno ?? 38)}`;
  return entry.handler ? 'sentry' : 'sentry: ENOSYS';
}

export function renderSyscallDocs(table: SyscallTable): string {
  const entries = [...table.entries()];
  const lines = [
    '# Linux system calls under tssc (x86-64)',
    '',
    'Generated from `src/syscalls/linux/table.ts` by `src/syscalls/linux/syscall-docs.ts`; do not edit.',
    '',
    'Every call is one of: answered by the **sentry** (the seccomp filter stops the task and',
    'the sentry answers from its own model), run by the **host kernel** without a stop (calls',
    'about the task\'s own memory, signal state and scheduling), or **refused** by the filter',
    'with the errno shown. x32 and i386 entry points are refused (x32: ENOSYS; i386: the',
    'process is killed).',
    '',
    '| level | count |',
    '| --- | ---: |',
    ...(Object.keys(HEADINGS) as SupportLevel[]).map((level) => `| ${HEADINGS[level]} | ${entries.filter((e) => e.support === level).length} |`),
    '',
  ];
  for (const level of Object.keys(HEADINGS) as SupportLevel[]) {
    const rows = entries.filter((e) => e.support === level);
    if (rows.length === 0) continue;
    lines.push(`## ${HEADINGS[level]}`, '', '| nr | name | handled by | notes |', '| ---: | --- | --- | --- |');
    for (const e of rows) lines.push(`| ${e.nr} | ${e.name} | ${how(e)} | ${e.note ?? ''} |`);
    lines.push('');
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.stdout.write(renderSyscallDocs(linuxX86_64Table));
}
