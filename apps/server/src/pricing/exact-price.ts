// Exact prices (docs/api.md §5.1): a price in USD per million tokens is exactly micro-dollars per token, kept here as an
// integer count of nano-micros per token (9 decimal places) so that Σ tokens × price is integer arithmetic and the
// cost is rounded half-up once, at the end. No price goes through a floating-point multiplication: the catalogue's
// JSON numbers are read back as the decimals they were written as (String(0.075) is "0.075").

/** Decimal places of micros per token a price may have (USD 0.000000001 per million tokens). */
export const PRICE_SCALE = 9;
const SCALE = 10n ** BigInt(PRICE_SCALE);

/** A price per token in nano-micros (1e-9 micro-dollars), i.e. USD per million tokens × 1e9. */
export type NanoMicros = bigint;

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * USD per million tokens — a decimal string or a JSON number — as nano-micros per token; null when it is not a
 * non-negative decimal with at most PRICE_SCALE fraction digits (never rounded: a price is taken exactly or refused).
 */
export function priceFromDecimal(value: string | number): NanoMicros | null {
  if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) return null;
  // The shortest text that reads back as the same double: the decimal the catalogue was written with.
  const match = DECIMAL.exec(typeof value === 'number' ? String(value) : value.trim());
  if (!match) return null;
  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  const exponent = Number(match[3] ?? '0');
  // digits × 10^(exponent − fraction.length), as an integer number of 10^-PRICE_SCALE units.
  const shift = exponent - fraction.length + PRICE_SCALE;
  const digits = BigInt(`${whole}${fraction}`);
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  return digits % divisor === 0n ? digits / divisor : null;
}

/** The decimal string of a price, USD per million tokens ("0.075", "3", "22.5"). */
export function priceToDecimal(price: NanoMicros): string {
  const whole = price / SCALE;
  const fraction = (price % SCALE).toString().padStart(PRICE_SCALE, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Σ tokens × price, rounded half-up to whole micros once. */
export function costMicros(lines: Array<{ tokens: number; price: NanoMicros }>): number {
  let total = 0n;
  for (const line of lines) total += BigInt(line.tokens) * line.price;
  const micros = (total + SCALE / 2n) / SCALE;
  return Number(micros);
}
