/**
 * @module quantity — Kubernetes-style resource quantities as appc isolators use them
 * (formats.md §1.5): a decimal number then a suffix — binary `Ki Mi Gi Ti Pi Ei`, decimal
 * `n u m k M G T P E` (lowercase `k` only), or an exponent `e3`. `1.` and `.001` are fine;
 * spaces, `0.1mi`, `1i` and `1K` are not.
 */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX_FACTOR: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity (bytes for memory, cores for cpu), or undefined when malformed. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const [, number = '', suffix = ''] = match;
  const base = Number.parseFloat(number.endsWith('.') ? number.slice(0, -1) : number);
  if (suffix === '') return base;
  const factor = SUFFIX_FACTOR[suffix];
  if (factor !== undefined) return base * factor;
  return base * 10 ** Number(suffix.slice(1));
}
