// The benchmark table: medians per sandbox, ratios to native and to the C floor of one
// intercepted syscall, as plain text for the terminal and as Markdown for docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The markers of a results block written by SCRIPT (bench/run.mjs, bench/containerd.mjs ...). */
const markers = (script) => {
  const name = script === 'run.mjs' ? 'bench' : `bench-${script.replace(/\.mjs$/, '')}`;
  return { begin: `<!-- ${name}:begin (written by bench/${script} --write) -->`, end: `<!-- ${name}:end -->` };
};

export const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function formatValue(cell, unit) {
  if (cell === undefined) return 'n/a';
  if (cell.error !== undefined) return cell.error.startsWith('unsupported') ? 'unsupported yet' : 'fails';
  if (cell.samples.length === 0) return 'fails';
  const v = median(cell.samples);
  // A star: some rounds failed (listed under the table); the median is of the others.
  const mark = cell.failures?.length ? '*' : '';
  return (unit === 'us/op' ? (v / 1000).toFixed(2) : v.toFixed(1)) + mark;
}

function ratio(cell, base) {
  if (cell?.samples === undefined || cell.samples.length === 0 || !(base > 0)) return '—';
  return `${(median(cell.samples) / base).toFixed(1)}x`;
}

/** Rows of strings: one per workload, then the header. */
function rows(results, sandboxNames, floorNs) {
  const sandboxed = sandboxNames.filter((n) => n !== 'native');
  const header = ['workload', 'unit', ...sandboxNames, ...sandboxed.map((n) => `${n}/native`), ...sandboxed.map((n) => `${n}/C floor`)];
  const body = results.map((w) => {
    const native = w.cells.native?.samples?.length ? median(w.cells.native.samples) : undefined;
    return [
      w.name,
      w.unit,
      ...sandboxNames.map((n) => formatValue(w.cells[n], w.unit)),
      ...sandboxed.map((n) => ratio(w.cells[n], native)),
      ...sandboxed.map((n) => (w.unit === 'us/op' ? ratio(w.cells[n], floorNs) : '—')),
    ];
  });
  return [header, ...body];
}

export function textTable(results, sandboxNames, floorNs) {
  const table = rows(results, sandboxNames, floorNs);
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

export function markdownTable(results, sandboxNames, floorNs) {
  const [header, ...body] = rows(results, sandboxNames, floorNs);
  return [header, header.map((_, i) => (i < 2 ? '---' : '---:')), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The errors behind "fails"/"unsupported" cells, so the table never hides why. */
export function errorNotes(results) {
  return results.flatMap((w) =>
    Object.entries(w.cells).flatMap(([n, c]) => [
      ...(c?.error !== undefined ? [`${w.name} under ${n}: ${c.error}`] : []),
      ...(c?.failures ?? []).map((failure) => `${w.name} under ${n}, ${failure}`),
    ]),
  );
}

/** Replaces the results block of FILE written by SCRIPT (between its markers) with MARKDOWN; appends it if absent. */
export function writeResults(file, markdown, script = 'run.mjs') {
  const { begin: BEGIN, end: END } = markers(script);
  const block = `${BEGIN}\n${markdown}\n${END}`;
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '';
  }
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  text = start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + END.length) : `${text}\n${block}\n`;
  writeFileSync(file, text);
}

/**
 * Writes a run's table into FILE as SCRIPT's results block, saying how it was measured: the
 * command, the machine, the commit, the load before (loadBefore) and after, then notes.
 */
export function writeMeasured({ repo, file, script, startedAt, rounds, loadBefore, table, notes }) {
  const command = `node bench/${script} ${process.argv.slice(2).join(' ')}`.trim();
  const tssc = execFileSync('git', ['-C', repo, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  const markdown = [
    `Measured ${startedAt.toISOString()} with \`${command}\` (median of ${rounds} round${rounds === 1 ? '' : 's'}).`,
    '',
    `- machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.type()} ${os.release()}, node ${process.version}`,
    `- tssc at commit ${tssc}; load average before: ${loadBefore}; after: ${loadAverage()}`,
    '',
    table,
    '',
    ...notes.map((e) => `- ${e}`),
  ].join('\n');
  writeResults(path.resolve(repo, file), markdown, script);
}

/** The load averages, as the results blocks show them. */
export const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** A Markdown table of strings: the first two columns left-aligned, the values right. */
export const pipeTable = (header, body) => [header, header.map((_, i) => (i < 2 ? '---' : '---:')), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
