// Text in and out: comma-separated option values, and results for people as aligned columns or as
// one record's name/value lines.

/** `a, b,,c` → ['a', 'b', 'c']; undefined when the option was not given. */
export const commaList = (text: string | undefined) =>
  text
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function details(record: Record<string, unknown>): string {
  return table(
    Object.entries(record).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : String(value ?? '')]),
  );
}

/** The hint under a page that has more after it. */
export const more = (cursor: string | null) => (cursor ? `\n\nMore: --cursor ${cursor} (or --all)` : '');
