// Columns laid out as runc's `list` lays them out (Go tabwriter: minimum width 12, one
// space of padding, last column unpadded).
const MIN_WIDTH = 12;
const PADDING = 1;

export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? MIN_WIDTH, cell.length + PADDING);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? MIN_WIDTH))).join('') + '\n')
    .join('');
}
