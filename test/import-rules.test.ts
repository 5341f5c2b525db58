// The layers of src/ and the way imports flow between them, as src/sentry/README.md
// states them: cli -> oci -> syscalls -> sentry/kernel (and the wasm runner) ->
// sentry/platform (and the ELF loader it starts images with) -> vfs, netstack -> waiter,
// accounting -> abi, native. Nothing imports a layer above its own, so the kernel never
// imports a syscall table (tables register with it), and the tracer's binding
// (src/native/ptrace.ts) belongs to the ptrace platform.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

/** Top to bottom; a file may import its own layer and any below it. */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['oci'],
  ['syscalls'],
  ['sentry/kernel', 'sentry/wasm'],
  ['sentry/platform', 'sentry/loader'],
  ['vfs', 'netstack'],
  ['waiter', 'accounting'],
  ['abi', 'native'],
];

/** Modules only the folder named may import. */
const OWNED: readonly { readonly module: string; readonly owner: string }[] = [{ module: 'native/ptrace.ts', owner: 'sentry/platform/ptrace' }];

/**
 * Imports that break a rule today, each with why and what removes it. The test fails
 * when one is no longer needed, so the list only shrinks.
 */
const EXCEPTIONS: readonly { readonly from: string; readonly to: string; readonly why: string }[] = [
  // The ptrace platform's event loop is the adapter between ptrace stops and the kernel:
  // it finds the kernel's Task by host tid and reports each stop to the part that acts on
  // it (SyscallStops, TaskEvents, TaskLifecycle), naming their types. It goes when the
  // loop is generic over the task and the kernel hands it one event interface.
  { from: 'sentry/platform/ptrace/stop-dispatch.ts', to: 'sentry/kernel/', why: 'reports each stop to the kernel part that acts on it' },
];

interface Import {
  readonly from: string;
  readonly to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of src/ (static, type-only, re-export or dynamic), as paths under src/. */
function imports(): Import[] {
  const found: Import[] = [];
  const specifier = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(specifier)) {
      const target = (match[1] ?? match[2] ?? match[3])!;
      const resolved = path.resolve(path.dirname(file), target).replace(/\.js$/, '.ts');
      found.push({ from: path.relative(SRC, file), to: path.relative(SRC, resolved) });
    }
  }
  return found;
}

function layerOf(file: string): number {
  const layer = LAYERS.findIndex((dirs) => dirs.some((dir) => file === `${dir}.ts` || file.startsWith(`${dir}/`)));
  if (layer < 0) throw new Error(`src/${file} is in no layer: give its folder one in test/import-rules.test.ts and src/sentry/README.md`);
  return layer;
}

function breaks(i: Import): string | undefined {
  if (layerOf(i.to) < layerOf(i.from)) return `imports upward (${LAYERS[layerOf(i.to)]!.join(', ')} is above ${LAYERS[layerOf(i.from)]!.join(', ')})`;
  const owned = OWNED.find((o) => o.module === i.to);
  if (owned && !i.from.startsWith(`${owned.owner}/`)) return `imports ${owned.module}, which only ${owned.owner} may`;
  return undefined;
}

function excused(i: Import): boolean {
  return EXCEPTIONS.some((e) => e.from === i.from && i.to.startsWith(e.to));
}

describe('import rules (src/sentry/README.md)', () => {
  const all = imports();

  it('finds the imports it checks', () => {
    expect(all.some((i) => i.from === 'cli/main.ts' || i.from.startsWith('cli/'))).toBe(true);
    expect(all.some((i) => i.from.startsWith('syscalls/') && i.to === 'sentry/kernel/syscall.ts')).toBe(true);
  });

  it('puts every source file in a layer', () => {
    for (const file of sourceFiles(SRC)) layerOf(path.relative(SRC, file));
  });

  it('never imports upward, nor a module another layer owns', () => {
    const broken = all.filter((i) => !excused(i)).flatMap((i) => {
      const why = breaks(i);
      return why ? [`src/${i.from} -> src/${i.to}: ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('never has the kernel import a syscall table', () => {
    const tables = all.filter((i) => i.from.startsWith('sentry/') && i.to.startsWith('syscalls/'));
    expect(tables).toEqual([]);
  });

  it('lists only exceptions that are still needed', () => {
    const stale = EXCEPTIONS.filter((e) => !all.some((i) => i.from === e.from && i.to.startsWith(e.to) && breaks(i)));
    expect(stale.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });
});
