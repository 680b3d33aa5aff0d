/**
 * @module podfile/quantity — Kubernetes resource quantities, exactly (no floating point):
 * a decimal number then a binary suffix `Ki Mi Gi Ti Pi Ei`, a decimal suffix
 * `n u m k M G T P E` (lowercase `k` only) or an exponent `e6`. Converted to whole bytes
 * (memory) or whole millicores (cpu); a value that is not whole in that unit — `100m` of
 * memory is 0.1 bytes — is refused rather than rounded (formats.md §1.5, §4 #15).
 */

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const MAX_EXPONENT = 40;
const MAX_DIGITS = 40;

export const QUANTITY_UNITS = ['bytes', 'millicores'] as const;
/** Memory is counted in bytes, cpu in millicores (1 core = 1000). */
export type QuantityUnit = (typeof QUANTITY_UNITS)[number];

/** The grammar in one sentence, for error messages. */
export const QUANTITY_GRAMMAR =
  'a quantity is a number with an optional suffix: binary Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E, or an exponent such as e6 (e.g. 500m, 2, 128Mi, 1G)';

function suggestion(text: string): string {
  const upperK = /^(\d+(?:\.\d+)?)K$/.exec(text);
  if (upperK !== null) return ` (did you mean ${upperK[1]}k or ${upperK[1]}Ki?)`;
  const bytes = /^(\d+(?:\.\d+)?)([KMGTPE])i?B$/i.exec(text);
  if (bytes !== null) {
    const suffix = (bytes[2] ?? '').toUpperCase();
    return ` (did you mean ${bytes[1]}${suffix === 'K' ? 'k' : suffix} or ${bytes[1]}${suffix}i?)`;
  }
  const lowerBinary = /^(\d+(?:\.\d+)?)([kmgtpe])i$/.exec(text);
  if (lowerBinary !== null) return ` (did you mean ${lowerBinary[1]}${(lowerBinary[2] ?? '').toUpperCase()}i?)`;
  return '';
}

/** The quantity in whole `unit`s, or the problem in words. */
export function parseQuantity(text: string, unit: QuantityUnit): { value: number } | { problem: string } {
  const match = QUANTITY.exec(text);
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match ?? [];
  if (match === null || (whole === '' && fraction === '')) {
    return { problem: `"${text}" is not a valid quantity${suggestion(text)}: ${QUANTITY_GRAMMAR}` };
  }
  if (whole.length + fraction.length > MAX_DIGITS) return { problem: `"${text}" has too many digits` };
  let exp10 = unit === 'millicores' ? 3 : 0;
  let exp2 = 0;
  if (suffix in BINARY) exp2 = BINARY[suffix] ?? 0;
  else if (suffix in DECIMAL) exp10 += DECIMAL[suffix] ?? 0;
  else if (suffix !== '') exp10 += Number(suffix.slice(1));
  if (Math.abs(exp10) > MAX_EXPONENT) return { problem: `"${text}" is out of range` };
  const digits = BigInt(`${whole}${fraction}` || '0');
  if (sign === '-' && digits !== 0n) return { problem: `"${text}" is negative: quantities must not be negative` };
  exp10 -= fraction.length;
  let numerator = digits * 2n ** BigInt(exp2);
  let denominator = 1n;
  if (exp10 >= 0) numerator *= 10n ** BigInt(exp10);
  else denominator = 10n ** BigInt(-exp10);
  if (numerator % denominator !== 0n) {
    return unit === 'bytes'
      ? { problem: `"${text}" is not a whole number of bytes${/^\d+m$/.test(text) ? ` (m means milli: did you mean ${text.slice(0, -1)}Mi?)` : ''}` }
      : { problem: `"${text}" is finer than 1m (cpu is counted in millicores)` };
  }
  const value = numerator / denominator;
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return { problem: `"${text}" is too large` };
  return { value: Number(value) };
}

/** Memory as Kubernetes prints it: the largest binary suffix that divides exactly. */
export function formatBytes(bytes: number): string {
  for (const [suffix, shift] of Object.entries(BINARY).reverse()) {
    const unit = 2 ** shift;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** CPU as Kubernetes prints it: whole cores, else millicores. */
export function formatMillicores(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}
