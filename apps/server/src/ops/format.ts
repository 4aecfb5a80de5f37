/**
 * How the ops CLI prints for people: aligned tables and `key  value` blocks (on a terminal), or the JSON documents
 * scripts read (`--json`, or whenever stdout is not a terminal). Plain text, no colours, no dependencies.
 * You probably don't need to edit this file.
 */

const MAX_CELL = 60;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
}

/** An aligned table of `rows` (columns: the given ones, or every key of the first row); `(none)` when empty. */
export function table(rows: ReadonlyArray<object>, columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const records = rows as ReadonlyArray<Record<string, unknown>>;
  const keys = columns ?? Object.keys(records[0] ?? {});
  const cells = records.map((row) => keys.map((key) => cell(row[key])));
  const widths = keys.map((key, i) => Math.max(key.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `key  value` lines for one object. */
export function fields(record: object | null | undefined): string {
  if (!record) return '(none)';
  const entries = Object.entries(record);
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`).join('\n');
}

/** Titled sections, separated by a blank line. */
export function sections(parts: Array<[title: string, body: string]>): string {
  return parts.map(([title, body]) => `${title}\n${body}`).join('\n\n');
}
