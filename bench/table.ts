// Plain-text tables for the terminal: a header row, a rule, right-aligned numbers.

export type Cell = string | number;

export function table(title: string, header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (cell: Cell) => (typeof cell === 'number' ? String(cell) : cell);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => text(r[i] ?? '').length)));
  const line = (cells: readonly Cell[]) =>
    cells.map((cell, i) => (typeof cell === 'number' ? text(cell).padStart(widths[i]!) : text(cell).padEnd(widths[i]!))).join('  ').trimEnd();
  return [title, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''].join('\n');
}

export const kib = (bytes: number): number => Math.round(bytes / 1024);
