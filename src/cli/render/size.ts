/**
 * @module cli/render/size — byte counts for people, as rkt printed them (go-humanize's IBytes,
 * the vendored version without a space: `44MiB`, `2.3KiB`, `7B`). One token per size keeps
 * `awk '{print $3}'`-style scripts working on tables.
 */

const IEC_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;
const BASE = 1024;

/**
 * `bytes` in powers of 1024: one decimal below 10 units (`2.3MiB`), none from 10 on (`44MiB`);
 * counts below 10 are plain (`7B`). Throws a plain Error for a negative or non-finite count
 * (a programmer error: sizes come from the filesystem).
 */
export function formatBytesIec(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`formatBytesIec: not a byte count: ${bytes}`);
  if (bytes < 10) return `${Math.trunc(bytes)}B`;
  let exponent = 0;
  // A loop rather than log(): Math.log(1024 ** 2) / Math.log(1024) is 1.9999…, which would
  // print one MiB as 1024KiB.
  while (exponent < IEC_UNITS.length - 1 && bytes >= BASE ** (exponent + 1)) exponent += 1;
  const value = Math.floor((bytes / BASE ** exponent) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)}${IEC_UNITS[exponent] ?? 'B'}`;
}
