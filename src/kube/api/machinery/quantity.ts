/**
 * Kubernetes resource quantities ("100m", "1.5", "128Mi", "1e3"): parsing into exact values (BigInt nano-units)
 * and the canonical form kube-apiserver writes back (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000m` → `1`), so that
 * pod resources read back as from a real cluster, and the scheduler can add requests exactly.
 */

const NANO = 1_000_000_000n;

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface Quantity {
  /** The value in units of 10^-9 (rounded up, as Kubernetes rounds up below its smallest scale). */
  nanos: bigint;
  format: Format;
}

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

export class QuantityError extends Error {}

/** Parses a quantity given as a string or a JSON number. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input.trim();
  const m = QUANTITY.exec(text);
  if (!m) throw new QuantityError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
  const negative = m[1] === '-';
  const [intPart, fracPart = ''] = m[2]!.split('.');
  const digits = BigInt((intPart || '0') + fracPart || '0');
  const fracLen = fracPart.length;
  const suffix = m[3] ?? '';
  let format: Format = 'DecimalSI';
  // value = digits * 10^-fracLen * multiplier; nanos = value * 10^9 (rounded up)
  let num = digits * NANO;
  let den = 10n ** BigInt(fracLen);
  if (suffix in BINARY) {
    format = 'BinarySI';
    num *= BINARY[suffix]!;
  } else if (/^[eE]/.test(suffix)) {
    format = 'DecimalExponent';
    const exp = Number(suffix.slice(1));
    if (Math.abs(exp) > 30) throw new QuantityError('quantity exponent out of range');
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    const exp = DECIMAL_EXP[suffix]!;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  let nanos = num / den;
  if (nanos * den !== num) nanos += 1n; // round up, as Kubernetes does beyond nano precision
  return { nanos: negative ? -nanos : nanos, format };
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError('quantities must be finite numbers');
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : String(n);
}

/** The canonical string of a quantity, as kube-apiserver serializes resource.Quantity. */
export function formatQuantity(q: Quantity): string {
  const negative = q.nanos < 0n;
  const abs = negative ? -q.nanos : q.nanos;
  const sign = negative ? '-' : '';
  if (abs === 0n) return '0';
  if (q.format === 'BinarySI' && abs % NANO === 0n) {
    const bytes = abs / NANO;
    if (bytes >= 1024n) {
      for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
        const unit = BINARY[suffix]!;
        if (bytes % unit === 0n) return `${sign}${bytes / unit}${suffix}`;
      }
    }
    // Not a multiple of 1024: written as a decimal number.
  }
  const exponentForm = q.format === 'DecimalExponent';
  for (const exp of [18, 15, 12, 9, 6, 3, 0, -3, -6, -9]) {
    const unit = 10n ** BigInt(exp + 9);
    if (abs % unit === 0n) {
      const mantissa = abs / unit;
      if (exponentForm) return exp === 0 ? `${sign}${mantissa}` : `${sign}${mantissa}e${exp}`;
      const suffix = Object.keys(DECIMAL_EXP).find((s) => DECIMAL_EXP[s] === exp)!;
      return `${sign}${mantissa}${suffix}`;
    }
  }
  return `${sign}${abs}n`;
}

/** Canonicalizes a quantity given as a string or number; throws QuantityError when it is not one. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

/** Milli-units (CPU) of a quantity, rounded up. */
export function milliValue(q: string | number): bigint {
  const n = parseQuantity(q).nanos;
  const m = n / 1_000_000n;
  return m * 1_000_000n === n ? m : m + 1n;
}

/** Whole units (bytes, pods) of a quantity, rounded up. */
export function unitValue(q: string | number): bigint {
  const n = parseQuantity(q).nanos;
  const u = n / NANO;
  return u * NANO === n ? u : u + 1n;
}
