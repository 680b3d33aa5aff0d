/**
 * @module cli/render/table — plain text columns: left-aligned, two spaces apart, no trailing
 * blanks. Widths count UTF-16 code units, which is exact for the ASCII that IDs, names, sizes
 * and times are made of.
 */

/** Space between two columns. */
export const COLUMN_GAP = '  ';

/**
 * Lay `rows` out as columns (the first row may be the legend). Every row should have the same
 * number of cells; a short row leaves its last columns empty. Ends with a newline unless empty.
 */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join(COLUMN_GAP).trimEnd())
    .map((line) => `${line}\n`)
    .join('');
}
