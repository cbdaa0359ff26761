/** One text line per record: strings as they are, anything else as JSON. */
export function toLine(record: unknown): string {
  if (typeof record === 'string') return record;
  if (typeof record === 'bigint') return record.toString();
  try {
    return JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(record);
  } catch {
    return String(record);
  }
}

export function toLines(records: readonly unknown[]): string {
  let s = '';
  for (let i = 0; i < records.length; i++) s += toLine(records[i]) + '\n';
  return s;
}
