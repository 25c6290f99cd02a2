/**
 * A byte count as people read it: `2 GiB`, `1.5 MiB`, `512 bytes` (binary units, as `ls -h` and
 * file managers on Linux show them; at most one decimal, none when whole).
 */
export function bytesInWords(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'] as const;
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit: (typeof units)[number] = 'KiB';
  for (const next of units) {
    value /= 1024;
    unit = next;
    if (value < 1024) break;
  }
  return `${Number(value.toFixed(1))} ${unit}`;
}
